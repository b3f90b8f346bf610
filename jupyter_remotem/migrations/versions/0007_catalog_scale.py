"""Catalog at scale: facet counts per repository, scalars told from ranges in the values' indexes, checksums

Revision ID: 0007
Revises: 0006
Created: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

#: The facet fields whose counts are kept (``repository``: every entry of it).
COUNTED = ('format', 'kind', 'dtype', 'status')


def _index_columns(table: str) -> dict[str, list[str]]:
    return {index['name']: list(index['column_names']) for index in sa.inspect(op.get_bind()).get_indexes(table)}


def upgrade() -> None:
    # A database made before migrations had its tables made from today's models at the baseline:
    # each change is made only when it is not there yet.
    inspector = sa.inspect(op.get_bind())
    entries = {column['name'] for column in inspector.get_columns('remotem_catalog_entries')}
    if 'checksum' not in entries:
        with op.batch_alter_table('remotem_catalog_entries', schema=None) as batch_op:
            batch_op.add_column(sa.Column('checksum', sa.String(length=64), nullable=True))
    if 'ix_remotem_catalog_checksum' not in _index_columns('remotem_catalog_entries'):
        with op.batch_alter_table('remotem_catalog_entries', schema=None) as batch_op:
            batch_op.create_index('ix_remotem_catalog_checksum', ['checksum'], unique=False)

    values = {column['name'] for column in inspector.get_columns('remotem_catalog_values')}
    if 'ranged' not in values:
        with op.batch_alter_table('remotem_catalog_values', schema=None) as batch_op:
            batch_op.add_column(sa.Column('ranged', sa.Boolean(), server_default=sa.false(), nullable=False))
        op.execute(sa.text('UPDATE remotem_catalog_values SET ranged = (low IS NOT NULL AND high IS NOT NULL '
                           'AND low <> high)'))
    wanted = {'ix_remotem_catalog_values_number': ['namespace', 'key', 'ranged', 'low', 'high'],
              'ix_remotem_catalog_values_base': ['namespace', 'key', 'dimension', 'ranged', 'base_low', 'base_high']}
    present = _index_columns('remotem_catalog_values')
    for name, columns in wanted.items():
        if present.get(name) != columns:
            with op.batch_alter_table('remotem_catalog_values', schema=None) as batch_op:
                if name in present:
                    batch_op.drop_index(name)
                batch_op.create_index(name, columns, unique=False)

    if 'remotem_catalog_counts' not in inspector.get_table_names():
        op.create_table('remotem_catalog_counts',
        sa.Column('repository', sa.String(length=200), nullable=False),
        sa.Column('field', sa.String(length=16), nullable=False),
        sa.Column('value', sa.String(length=256), nullable=False),
        sa.Column('count', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('repository', 'field', 'value')
        )
        # The counts of the entries there are already.
        op.execute(sa.text("INSERT INTO remotem_catalog_counts (repository, field, value, count) "
                           "SELECT repository, 'repository', repository, count(*) FROM remotem_catalog_entries "
                           "GROUP BY repository"))
        for field in COUNTED:
            op.execute(sa.text(f"INSERT INTO remotem_catalog_counts (repository, field, value, count) "
                               f"SELECT repository, '{field}', {field}, count(*) FROM remotem_catalog_entries "
                               f"WHERE {field} IS NOT NULL GROUP BY repository, {field}"))


def downgrade() -> None:
    op.drop_table('remotem_catalog_counts')
    with op.batch_alter_table('remotem_catalog_values', schema=None) as batch_op:
        batch_op.drop_index('ix_remotem_catalog_values_number')
        batch_op.drop_index('ix_remotem_catalog_values_base')
        batch_op.create_index('ix_remotem_catalog_values_number', ['namespace', 'key', 'low', 'high'], unique=False)
        batch_op.create_index('ix_remotem_catalog_values_base', ['namespace', 'key', 'dimension', 'base_low',
                                                                  'base_high'], unique=False)
        batch_op.drop_column('ranged')
    with op.batch_alter_table('remotem_catalog_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_remotem_catalog_checksum')
        batch_op.drop_column('checksum')
