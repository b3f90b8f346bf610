"""Cutouts: the footprint index of survey tiles

Revision ID: 0005
Revises: 0004
Created: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('remotem_cutout_tiles',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('survey', sa.String(length=100), nullable=False),
    sa.Column('tile', sa.String(length=255), nullable=False),
    sa.Column('band', sa.String(length=32), nullable=False),
    sa.Column('path', sa.String(length=2048), nullable=False),
    sa.Column('hdu', sa.Integer(), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=True),
    sa.Column('mtime', sa.Float(), nullable=True),
    sa.Column('naxis1', sa.Integer(), nullable=False),
    sa.Column('naxis2', sa.Integer(), nullable=False),
    sa.Column('header', sa.Text(), nullable=False),
    sa.Column('vertices', sa.JSON(), nullable=False),
    sa.Column('centre', sa.JSON(), nullable=False),
    sa.Column('radius', sa.Float(), nullable=False),
    sa.Column('dec_min', sa.Float(), nullable=False),
    sa.Column('dec_max', sa.Float(), nullable=False),
    sa.Column('indexed', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('survey', 'tile', 'band', name='uq_remotem_cutout_tiles_file')
    )
    with op.batch_alter_table('remotem_cutout_tiles', schema=None) as batch_op:
        batch_op.create_index('ix_remotem_cutout_tiles_dec', ['survey', 'band', 'dec_min', 'dec_max'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('remotem_cutout_tiles', schema=None) as batch_op:
        batch_op.drop_index('ix_remotem_cutout_tiles_dec')
    op.drop_table('remotem_cutout_tiles')
