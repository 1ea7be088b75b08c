"""visit_plan_versions: visit plans the county publishes, signed and pulled like lists

Revision ID: 0006
Revises: 0008
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0008"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "visit_plan_versions",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("plan_ref", sa.String(140), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("content", sa.Text, nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visit_plan_versions")),
        sa.UniqueConstraint("plan_ref", name=op.f("uq_visit_plan_versions_plan_ref")),
    )


def downgrade() -> None:
    op.drop_table("visit_plan_versions")
