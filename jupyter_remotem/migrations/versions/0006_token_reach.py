"""Token reach: the places and datasets a personal token is restricted to

Revision ID: 0006
Revises: 0005
Created: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A database made before migrations had its tables made from today's models at the baseline.
    if 'reach' not in {column['name'] for column in sa.inspect(op.get_bind()).get_columns('remotem_tokens')}:
        with op.batch_alter_table('remotem_tokens', schema=None) as batch_op:
            batch_op.add_column(sa.Column('reach', sa.JSON(none_as_null=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('remotem_tokens', schema=None) as batch_op:
        batch_op.drop_column('reach')
