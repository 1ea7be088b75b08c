"""elder_state gains the 探访关爱 facts (server.visit_state): latest visit, referral counts,
and the visit tier with the plan version and the days it holds for; assessment_state its
elder's township (the dashboard's period count without a join); filled from the heads

Revision ID: 0009
Revises: 0007
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0007"
branch_labels: str | None = None
depends_on: str | None = None

COLUMNS = ("last_visit", "referrals_open", "referrals_closed", "visit_plan", "visit_tier",
           "visit_undetermined", "tier_from", "tier_until")


def upgrade() -> None:
    """Add the columns and fill every row again from the heads, 2,000 elders per batch
    (:func:`server.current_state.rebuild`, the rule ingest keeps)."""
    with op.batch_alter_table("elder_state") as batch:
        batch.add_column(sa.Column("last_visit", sa.Date))
        batch.add_column(sa.Column("referrals_open", sa.Integer, nullable=False,
                                   server_default="0"))
        batch.add_column(sa.Column("referrals_closed", sa.Integer, nullable=False,
                                   server_default="0"))
        batch.add_column(sa.Column("visit_plan", sa.String(128)))
        batch.add_column(sa.Column("visit_tier", sa.Integer))
        batch.add_column(sa.Column("visit_undetermined", sa.Boolean))
        batch.add_column(sa.Column("tier_from", sa.Date))
        batch.add_column(sa.Column("tier_until", sa.Date))
    with op.batch_alter_table("assessment_state") as batch:
        batch.add_column(sa.Column("elder_township", sa.Integer))
    from server.current_state import rebuild

    rebuild(op.get_bind())


def downgrade() -> None:
    """Drop the columns."""
    with op.batch_alter_table("assessment_state") as batch:
        batch.drop_column("elder_township")
    with op.batch_alter_table("elder_state") as batch:
        for name in reversed(COLUMNS):
            batch.drop_column(name)
