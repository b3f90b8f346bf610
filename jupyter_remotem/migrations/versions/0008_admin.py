"""Administration and notices: jobs an administrator paused, what administrators did to jobs, job notices by e-mail

Revision ID: 0008
Revises: 0007
Created: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

_JOB_COLUMNS = (
    ('paused_by', sa.String(length=255)),
    ('notify', sa.String(length=16)),
    ('notified', sa.DateTime()),
    ('notify_attempts', sa.Integer()),
)


def upgrade() -> None:
    # A database made before migrations had its jobs table made from today's models at the baseline.
    present = {column['name'] for column in sa.inspect(op.get_bind()).get_columns('remotem_jobs')}
    missing = [(name, kind) for name, kind in _JOB_COLUMNS if name not in present]
    if missing:
        with op.batch_alter_table('remotem_jobs', schema=None) as batch_op:
            for name, kind in missing:
                batch_op.add_column(sa.Column(name, kind, nullable=True))
    op.create_table('remotem_admin_actions',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('job_id', sa.String(length=36), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('admin', sa.String(length=255), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('remotem_admin_actions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_remotem_admin_actions_job_id'), ['job_id'], unique=False)
    op.create_table('remotem_user_addresses',
    sa.Column('owner', sa.String(length=255), nullable=False),
    sa.Column('address', sa.String(length=320), nullable=False),
    sa.Column('updated', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('owner')
    )


def downgrade() -> None:
    op.drop_table('remotem_user_addresses')
    with op.batch_alter_table('remotem_admin_actions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_remotem_admin_actions_job_id'))
    op.drop_table('remotem_admin_actions')
    with op.batch_alter_table('remotem_jobs', schema=None) as batch_op:
        for name, _ in reversed(_JOB_COLUMNS):
            batch_op.drop_column(name)
