"""Datasets (owned files and folders with grants, lineage and the manifest of closed ones); token scopes

Revision ID: 0004
Revises: 0003
Created: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A database made before migrations had its tables made from today's models at the baseline.
    if 'scopes' not in {column['name'] for column in sa.inspect(op.get_bind()).get_columns('remotem_tokens')}:
        with op.batch_alter_table('remotem_tokens', schema=None) as batch_op:
            batch_op.add_column(sa.Column('scopes', sa.JSON(none_as_null=True), nullable=True))

    op.create_table('remotem_datasets',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('type', sa.String(length=32), nullable=False),
    sa.Column('owner', sa.String(length=200), nullable=False),
    sa.Column('repository', sa.String(length=200), nullable=False),
    sa.Column('path', sa.String(length=2048), nullable=False),
    sa.Column('state', sa.String(length=8), nullable=False),
    sa.Column('created', sa.DateTime(), nullable=False),
    sa.Column('modified', sa.DateTime(), nullable=False),
    sa.Column('closed', sa.DateTime(), nullable=True),
    sa.Column('verified', sa.DateTime(), nullable=True),
    sa.Column('verification', sa.JSON(), nullable=True),
    sa.Column('run', sa.JSON(), nullable=True),
    sa.Column('job_id', sa.String(length=36), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('repository', 'path', name='uq_remotem_datasets_place')
    )
    with op.batch_alter_table('remotem_datasets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_remotem_datasets_job_id'), ['job_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_remotem_datasets_owner'), ['owner'], unique=False)

    op.create_table('remotem_dataset_files',
    sa.Column('dataset_id', sa.String(length=36), nullable=False),
    sa.Column('path', sa.String(length=2048), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['dataset_id'], ['remotem_datasets.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('dataset_id', 'path')
    )
    op.create_table('remotem_dataset_grants',
    sa.Column('dataset_id', sa.String(length=36), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('principal', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=8), nullable=False),
    sa.ForeignKeyConstraint(['dataset_id'], ['remotem_datasets.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('dataset_id', 'kind', 'principal')
    )
    with op.batch_alter_table('remotem_dataset_grants', schema=None) as batch_op:
        batch_op.create_index('ix_remotem_dataset_grants_who', ['kind', 'principal'], unique=False)

    op.create_table('remotem_dataset_parents',
    sa.Column('child', sa.String(length=36), nullable=False),
    sa.Column('parent', sa.String(length=36), nullable=False),
    sa.ForeignKeyConstraint(['child'], ['remotem_datasets.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['parent'], ['remotem_datasets.id'], ),
    sa.PrimaryKeyConstraint('child', 'parent')
    )
    with op.batch_alter_table('remotem_dataset_parents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_remotem_dataset_parents_parent'), ['parent'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('remotem_dataset_parents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_remotem_dataset_parents_parent'))
    op.drop_table('remotem_dataset_parents')
    with op.batch_alter_table('remotem_dataset_grants', schema=None) as batch_op:
        batch_op.drop_index('ix_remotem_dataset_grants_who')
    op.drop_table('remotem_dataset_grants')
    op.drop_table('remotem_dataset_files')
    with op.batch_alter_table('remotem_datasets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_remotem_datasets_owner'))
        batch_op.drop_index(batch_op.f('ix_remotem_datasets_job_id'))
    op.drop_table('remotem_datasets')
    with op.batch_alter_table('remotem_tokens', schema=None) as batch_op:
        batch_op.drop_column('scopes')
