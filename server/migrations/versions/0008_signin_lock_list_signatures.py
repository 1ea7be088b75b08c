"""operators.failed_signins/failed_at (the sign-in lock); list_versions.signature/signed_key
(the county's signature of a list version, made once rather than at every download)

Revision ID: 0008
Revises: 0005
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("operators") as batch:
        batch.add_column(sa.Column("failed_signins", sa.Integer, nullable=False,
                                   server_default="0"))
        batch.add_column(sa.Column("failed_at", sa.DateTime(timezone=True)))
    with op.batch_alter_table("list_versions") as batch:
        batch.add_column(sa.Column("signature", sa.Text))
        batch.add_column(sa.Column("signed_key", sa.String(64)))


def downgrade() -> None:
    with op.batch_alter_table("list_versions") as batch:
        batch.drop_column("signed_key")
        batch.drop_column("signature")
    with op.batch_alter_table("operators") as batch:
        batch.drop_column("failed_at")
        batch.drop_column("failed_signins")
