"""Pipelines: the manifests of committed targets

Revision ID: 0009
Revises: 0008
Created: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('remotem_pipeline_targets',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('run_id', sa.String(length=32), nullable=True),
    sa.Column('store', sa.String(length=2048), nullable=False),
    sa.Column('target', sa.Text(), nullable=False),
    sa.Column('step', sa.String(length=255), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('components', sa.JSON(), nullable=False),
    sa.Column('writer', sa.JSON(), nullable=True),
    sa.Column('committed', sa.DateTime(), nullable=False),
    sa.Column('owner', sa.String(length=255), nullable=True),
    sa.Column('job_id', sa.String(length=36), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('remotem_pipeline_targets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_remotem_pipeline_targets_job_id'), ['job_id'], unique=False)
        batch_op.create_index('ix_remotem_pipeline_targets_place', ['store', 'target'], unique=False)
        batch_op.create_index(batch_op.f('ix_remotem_pipeline_targets_run_id'), ['run_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('remotem_pipeline_targets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_remotem_pipeline_targets_run_id'))
        batch_op.drop_index('ix_remotem_pipeline_targets_place')
        batch_op.drop_index(batch_op.f('ix_remotem_pipeline_targets_job_id'))
    op.drop_table('remotem_pipeline_targets')
