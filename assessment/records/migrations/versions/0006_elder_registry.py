"""The elder registry over time: lifecycle (deregistered, merged), attribute provenance and
roster imports.

Revision ID: 0006_elder_registry
Revises: 0004_county_decisions
Create Date: 2026-12-06 17:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006_elder_registry'
down_revision = '0004_county_decisions'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table('elders') as batch:
        batch.add_column(sa.Column('status', sa.String(length=16), nullable=False,
                                   server_default='active'))
        batch.add_column(sa.Column('left_on', sa.Date(), nullable=True))
        batch.add_column(sa.Column('merged_into', sa.String(length=36), nullable=True))
    with op.batch_alter_table('elder_details') as batch:
        batch.add_column(sa.Column('provenance', sa.JSON(), nullable=False,
                                   server_default='{}'))
    op.create_table(
        'elder_statuses',
        sa.Column('elder_id', sa.String(length=36), primary_key=True),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('hlc', sa.Integer(), nullable=False),
        sa.Column('device_id', sa.String(length=64), nullable=False),
        sa.Column('payload', sa.JSON(), nullable=False),
    )
    op.create_table(
        'roster_imports',
        sa.Column('id', sa.String(length=36), primary_key=True),
        sa.Column('kind', sa.String(length=24), nullable=False),
        sa.Column('source', sa.String(length=100), nullable=False),
        sa.Column('as_of', sa.Date(), nullable=False),
        sa.Column('file_name', sa.String(length=200), nullable=False),
        sa.Column('actor', sa.String(length=64), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('summary', sa.JSON(), nullable=False),
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table('roster_imports')
    op.drop_table('elder_statuses')
    with op.batch_alter_table('elder_details') as batch:
        batch.drop_column('provenance')
    with op.batch_alter_table('elders') as batch:
        batch.drop_column('merged_into')
        batch.drop_column('left_on')
        batch.drop_column('status')
