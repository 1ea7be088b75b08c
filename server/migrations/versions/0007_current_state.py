"""elder_state and assessment_state: the county's current state per elder and assessment,
kept by ingest (server.current_state), filled here from the existing record heads

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create both tables. They are filled from the heads by migration 0009, which adds the
    last columns of ``elder_state`` (the product's own rule, so that the backfill and ingest
    cannot disagree: :func:`server.current_state.rebuild` writes the full row)."""
    op.create_table(
        "elder_state",
        sa.Column("elder_id", sa.String(64), nullable=False),
        sa.Column("township_id", sa.Integer, nullable=False),
        sa.Column("name", sa.Text),
        sa.Column("village", sa.Text),
        sa.Column("sex", sa.String(8)),
        sa.Column("birth_date", sa.Date),
        sa.Column("attributes", sa.Text, nullable=False),
        sa.Column("current_assessment", sa.String(64)),
        sa.Column("current_grade", sa.Integer),
        sa.Column("last_assessed", sa.Date),
        sa.Column("due_on", sa.Date),
        sa.Column("left_on", sa.Date),
        sa.PrimaryKeyConstraint("elder_id", name=op.f("pk_elder_state")),
    )
    op.create_index("ix_elder_state_township", "elder_state", ["township_id"])
    op.create_table(
        "assessment_state",
        sa.Column("assessment_id", sa.String(64), nullable=False),
        sa.Column("elder_id", sa.String(64), nullable=False),
        sa.Column("township_id", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("grade", sa.Integer),
        sa.Column("reference_date", sa.Date),
        sa.Column("reason", sa.Text),
        sa.Column("finalized_at", sa.Text),
        sa.PrimaryKeyConstraint("assessment_id", name=op.f("pk_assessment_state")),
    )
    op.create_index("ix_assessment_state_elder", "assessment_state", ["elder_id"])


def downgrade() -> None:
    """Drop both tables."""
    op.drop_index("ix_assessment_state_elder", table_name="assessment_state")
    op.drop_table("assessment_state")
    op.drop_index("ix_elder_state_township", table_name="elder_state")
    op.drop_table("elder_state")
