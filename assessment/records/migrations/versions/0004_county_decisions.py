"""What the county decides for this laptop: elders transferred to another township, and local
conflicts settled by the county's value.

Revision ID: 0004_county_decisions
Revises: 0003_assessment_eligibility
Create Date: 2026-12-08 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004_county_decisions'
down_revision = '0003_assessment_eligibility'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table('elders') as batch:
        batch.add_column(sa.Column('transferred_to', sa.String(length=100), nullable=True))
    with op.batch_alter_table('sync_conflicts') as batch:
        batch.add_column(sa.Column('resolved_at', sa.DateTime(), nullable=True))
        batch.add_column(sa.Column('resolved_by', sa.String(length=64), nullable=True))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table('sync_conflicts') as batch:
        batch.drop_column('resolved_by')
        batch.drop_column('resolved_at')
    with op.batch_alter_table('elders') as batch:
        batch.drop_column('transferred_to')
