"""The service-list match pinned on a finalized assessment: list versions and per-item results.

Revision ID: 0003_assessment_eligibility
Revises: 0002_sync_state
Create Date: 2026-12-01 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003_assessment_eligibility'
down_revision = '0002_sync_state'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table('assessments') as batch:
        batch.add_column(sa.Column('eligibility', sa.JSON(), nullable=True))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table('assessments') as batch:
        batch.drop_column('eligibility')
