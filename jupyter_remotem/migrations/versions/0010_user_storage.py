"""Storages users add themselves, their secrets encrypted

Revision ID: 0010
Revises: 0009
Created: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('remotem_user_storage',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('owner', sa.String(length=255), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('protocol', sa.String(length=32), nullable=False),
    sa.Column('url', sa.String(length=2048), nullable=False),
    sa.Column('options', sa.JSON(), nullable=False),
    sa.Column('secret_fields', sa.JSON(), nullable=False),
    sa.Column('secrets', sa.Text(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('writable', sa.Boolean(), nullable=False),
    sa.Column('created', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('owner', 'name', name='uq_remotem_user_storage_owner_name')
    )
    with op.batch_alter_table('remotem_user_storage', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_remotem_user_storage_owner'), ['owner'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('remotem_user_storage', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_remotem_user_storage_owner'))
    op.drop_table('remotem_user_storage')
