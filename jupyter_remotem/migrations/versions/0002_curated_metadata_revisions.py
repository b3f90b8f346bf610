"""Curated metadata: each revision of an entry's curated document (with its patch, author and
time), and where each catalog value came from (the file, or the curated layer)

Revision ID: 0002
Revises: 0001
Created: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A database made before migrations was given the baseline's tables as the models declared them
    # when it was stamped; what this revision adds may be there already.
    existing = sa.inspect(op.get_bind())
    if not existing.has_table("remotem_catalog_curated"):
        op.create_table('remotem_catalog_curated',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('repository', sa.String(length=200), nullable=False),
        sa.Column('path', sa.String(length=2048), nullable=False),
        sa.Column('dataset', sa.String(length=1024), nullable=False),
        sa.Column('revision', sa.Integer(), nullable=False),
        sa.Column('document', sa.JSON(), nullable=False),
        sa.Column('patch', sa.JSON(), nullable=False),
        sa.Column('author', sa.String(length=200), nullable=False),
        sa.Column('when', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('repository', 'path', 'dataset', 'revision', name='uq_remotem_catalog_curated')
        )
    if "source" not in {column["name"] for column in existing.get_columns("remotem_catalog_values")}:
        with op.batch_alter_table('remotem_catalog_values', schema=None) as batch_op:
            batch_op.add_column(sa.Column('source', sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('remotem_catalog_values', schema=None) as batch_op:
        batch_op.drop_column('source')
    op.drop_table('remotem_catalog_curated')
