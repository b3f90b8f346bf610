"""Baseline: the job store's tables when migrations began (jobs and their events, checkpoints and
ledger of written files, throughput records, personal tokens) and the catalog's.

Revision ID: 0001
Revises: nothing (databases made before migrations are stamped with this revision)
Created: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('remotem_catalog_annotation_changes',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('annotation_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('who', sa.String(length=200), nullable=False),
    sa.Column('when', sa.DateTime(), nullable=False),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('remotem_catalog_annotation_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_remotem_catalog_annotation_changes_annotation_id'), ['annotation_id'], unique=False)

    op.create_table('remotem_catalog_annotations',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('repository', sa.String(length=200), nullable=False),
    sa.Column('path', sa.String(length=2048), nullable=False),
    sa.Column('dataset', sa.String(length=1024), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.Column('author', sa.String(length=200), nullable=False),
    sa.Column('visibility', sa.String(length=16), nullable=False),
    sa.Column('group', sa.String(length=200), nullable=True),
    sa.Column('created', sa.DateTime(), nullable=False),
    sa.Column('modified', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('remotem_catalog_annotations', schema=None) as batch_op:
        batch_op.create_index('ix_remotem_catalog_annotations_target', ['repository', 'path', 'dataset'], unique=False)
        batch_op.create_index('ix_remotem_catalog_annotations_value', ['kind', 'value'], unique=False)

    op.create_table('remotem_catalog_entries',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('repository', sa.String(length=200), nullable=False),
    sa.Column('path', sa.String(length=2048), nullable=False),
    sa.Column('dataset', sa.String(length=1024), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=512), nullable=False),
    sa.Column('format', sa.String(length=32), nullable=True),
    sa.Column('size', sa.BigInteger(), nullable=True),
    sa.Column('mtime', sa.Float(), nullable=True),
    sa.Column('shape', sa.JSON(), nullable=True),
    sa.Column('shape_text', sa.String(length=256), nullable=True),
    sa.Column('dtype', sa.String(length=32), nullable=True),
    sa.Column('ndim', sa.Integer(), nullable=True),
    sa.Column('nav_ndim', sa.Integer(), nullable=True),
    sa.Column('axes', sa.JSON(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('indexed', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('repository', 'path', 'dataset', name='uq_remotem_catalog_entry')
    )
    with op.batch_alter_table('remotem_catalog_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_remotem_catalog_entries_shape_text'), ['shape_text'], unique=False)
        batch_op.create_index('ix_remotem_catalog_format', ['format'], unique=False)
        batch_op.create_index('ix_remotem_catalog_mtime', ['mtime'], unique=False)
        batch_op.create_index('ix_remotem_catalog_name', ['name'], unique=False)
        batch_op.create_index('ix_remotem_catalog_path', ['path'], unique=False)
        batch_op.create_index('ix_remotem_catalog_repository_format', ['repository', 'format'], unique=False)
        batch_op.create_index('ix_remotem_catalog_size', ['size'], unique=False)

    op.create_table('remotem_catalog_saved',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('owner', sa.String(length=200), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('query', sa.JSON(), nullable=False),
    sa.Column('visibility', sa.String(length=16), nullable=False),
    sa.Column('group', sa.String(length=200), nullable=True),
    sa.Column('created', sa.DateTime(), nullable=False),
    sa.Column('modified', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('owner', 'name', name='uq_remotem_catalog_saved')
    )
    op.create_table('remotem_job_events',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('job_id', sa.String(length=36), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('phase', sa.String(length=16), nullable=True),
    sa.Column('level', sa.String(length=8), nullable=True),
    sa.Column('message', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('remotem_job_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_remotem_job_events_job_id'), ['job_id'], unique=False)

    op.create_table('remotem_jobs',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('owner', sa.String(length=255), nullable=False),
    sa.Column('phase', sa.String(length=16), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('request', sa.JSON(), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('created', sa.DateTime(), nullable=False),
    sa.Column('started', sa.DateTime(), nullable=True),
    sa.Column('ended', sa.DateTime(), nullable=True),
    sa.Column('progress', sa.JSON(none_as_null=True), nullable=True),
    sa.Column('quote', sa.JSON(none_as_null=True), nullable=True),
    sa.Column('execution_duration', sa.Float(), nullable=True),
    sa.Column('destruction', sa.DateTime(), nullable=True),
    sa.Column('results', sa.JSON(), nullable=False),
    sa.Column('error', sa.JSON(none_as_null=True), nullable=True),
    sa.Column('worker_id', sa.String(length=255), nullable=True),
    sa.Column('heartbeat', sa.DateTime(), nullable=True),
    sa.Column('action', sa.String(length=16), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('groups', sa.JSON(none_as_null=True), nullable=True),
    sa.Column('keep_files', sa.Boolean(), nullable=True),
    sa.Column('dismissed', sa.Boolean(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('remotem_jobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_remotem_jobs_owner'), ['owner'], unique=False)
        batch_op.create_index('ix_remotem_jobs_queue', ['phase', 'priority', 'created'], unique=False)

    op.create_table('remotem_throughput',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('operation', sa.String(length=64), nullable=False),
    sa.Column('repository', sa.String(length=255), nullable=False),
    sa.Column('bytes', sa.BigInteger(), nullable=False),
    sa.Column('seconds', sa.Float(), nullable=False),
    sa.Column('estimate_error', sa.Float(), nullable=True),
    sa.Column('created', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('remotem_throughput', schema=None) as batch_op:
        batch_op.create_index('ix_remotem_throughput_lookup', ['operation', 'repository', 'created'], unique=False)

    op.create_table('remotem_tokens',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('owner', sa.String(length=255), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('groups', sa.JSON(), nullable=False),
    sa.Column('created', sa.DateTime(), nullable=False),
    sa.Column('expires', sa.DateTime(), nullable=True),
    sa.Column('last_used', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('digest')
    )
    with op.batch_alter_table('remotem_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_remotem_tokens_owner'), ['owner'], unique=False)

    op.create_table('remotem_written',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('job_id', sa.String(length=36), nullable=True),
    sa.Column('owner', sa.String(length=255), nullable=False),
    sa.Column('groups', sa.JSON(none_as_null=True), nullable=True),
    sa.Column('repository', sa.String(length=255), nullable=False),
    sa.Column('path', sa.Text(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('format', sa.String(length=16), nullable=True),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('mtime', sa.Float(), nullable=True),
    sa.Column('recorded', sa.DateTime(), nullable=False),
    sa.Column('verified', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('remotem_written', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_remotem_written_job_id'), ['job_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_remotem_written_owner'), ['owner'], unique=False)
        batch_op.create_index('ix_remotem_written_verify', ['verified'], unique=False)

    op.create_table('remotem_catalog_values',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('namespace', sa.String(length=8), nullable=False),
    sa.Column('key', sa.String(length=512), nullable=False),
    sa.Column('text', sa.String(length=1024), nullable=True),
    sa.Column('low', sa.Float(), nullable=True),
    sa.Column('high', sa.Float(), nullable=True),
    sa.Column('unit', sa.String(length=64), nullable=True),
    sa.Column('base_low', sa.Float(), nullable=True),
    sa.Column('base_high', sa.Float(), nullable=True),
    sa.Column('dimension', sa.String(length=128), nullable=True),
    sa.ForeignKeyConstraint(['entry_id'], ['remotem_catalog_entries.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('remotem_catalog_values', schema=None) as batch_op:
        batch_op.create_index('ix_remotem_catalog_values_base', ['namespace', 'key', 'dimension', 'base_low', 'base_high'], unique=False)
        batch_op.create_index(batch_op.f('ix_remotem_catalog_values_entry_id'), ['entry_id'], unique=False)
        batch_op.create_index('ix_remotem_catalog_values_number', ['namespace', 'key', 'low', 'high'], unique=False)
        batch_op.create_index('ix_remotem_catalog_values_text', ['namespace', 'key', 'text'], unique=False)

    op.create_table('remotem_checkpoints',
    sa.Column('job_id', sa.String(length=36), nullable=False),
    sa.Column('partition', sa.Integer(), nullable=False),
    sa.Column('start', sa.Integer(), nullable=False),
    sa.Column('stop', sa.Integer(), nullable=False),
    sa.Column('worker_id', sa.String(length=255), nullable=False),
    sa.Column('created', sa.DateTime(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=True),
    sa.ForeignKeyConstraint(['job_id'], ['remotem_jobs.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('job_id', 'partition')
    )


def downgrade() -> None:
    op.drop_table('remotem_checkpoints')
    with op.batch_alter_table('remotem_catalog_values', schema=None) as batch_op:
        batch_op.drop_index('ix_remotem_catalog_values_text')
        batch_op.drop_index('ix_remotem_catalog_values_number')
        batch_op.drop_index(batch_op.f('ix_remotem_catalog_values_entry_id'))
        batch_op.drop_index('ix_remotem_catalog_values_base')

    op.drop_table('remotem_catalog_values')
    with op.batch_alter_table('remotem_written', schema=None) as batch_op:
        batch_op.drop_index('ix_remotem_written_verify')
        batch_op.drop_index(batch_op.f('ix_remotem_written_owner'))
        batch_op.drop_index(batch_op.f('ix_remotem_written_job_id'))

    op.drop_table('remotem_written')
    with op.batch_alter_table('remotem_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_remotem_tokens_owner'))

    op.drop_table('remotem_tokens')
    with op.batch_alter_table('remotem_throughput', schema=None) as batch_op:
        batch_op.drop_index('ix_remotem_throughput_lookup')

    op.drop_table('remotem_throughput')
    with op.batch_alter_table('remotem_jobs', schema=None) as batch_op:
        batch_op.drop_index('ix_remotem_jobs_queue')
        batch_op.drop_index(batch_op.f('ix_remotem_jobs_owner'))

    op.drop_table('remotem_jobs')
    with op.batch_alter_table('remotem_job_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_remotem_job_events_job_id'))

    op.drop_table('remotem_job_events')
    op.drop_table('remotem_catalog_saved')
    with op.batch_alter_table('remotem_catalog_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_remotem_catalog_size')
        batch_op.drop_index('ix_remotem_catalog_repository_format')
        batch_op.drop_index('ix_remotem_catalog_path')
        batch_op.drop_index('ix_remotem_catalog_name')
        batch_op.drop_index('ix_remotem_catalog_mtime')
        batch_op.drop_index('ix_remotem_catalog_format')
        batch_op.drop_index(batch_op.f('ix_remotem_catalog_entries_shape_text'))

    op.drop_table('remotem_catalog_entries')
    with op.batch_alter_table('remotem_catalog_annotations', schema=None) as batch_op:
        batch_op.drop_index('ix_remotem_catalog_annotations_value')
        batch_op.drop_index('ix_remotem_catalog_annotations_target')

    op.drop_table('remotem_catalog_annotations')
    with op.batch_alter_table('remotem_catalog_annotation_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_remotem_catalog_annotation_changes_annotation_id'))

    op.drop_table('remotem_catalog_annotation_changes')
