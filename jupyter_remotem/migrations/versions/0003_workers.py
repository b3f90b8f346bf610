"""Workers: each worker process as it last announced itself, with its read-rate limit (quotes read it)

Revision ID: 0003
Revises: 0002
Created: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('remotem_workers',
    sa.Column('worker_id', sa.String(length=200), nullable=False),
    sa.Column('max_read_rate', sa.Float(), nullable=True),
    sa.Column('started', sa.DateTime(), nullable=False),
    sa.Column('seen', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('worker_id')
    )
    with op.batch_alter_table('remotem_workers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_remotem_workers_seen'), ['seen'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('remotem_workers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_remotem_workers_seen'))

    op.drop_table('remotem_workers')
