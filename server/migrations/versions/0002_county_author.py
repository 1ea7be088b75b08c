"""the county as an author of changes; elder transfers between townships

The county's own pseudo-device is a ``devices`` row without an account or a township (so
``received_changes`` can name it), and ``transfers`` records every re-assignment of an elder.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Apply this migration (SQLite rebuilds ``devices``: foreign keys are off meanwhile)."""
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.alter_column("account_id", existing_type=sa.Integer(), nullable=True)
        batch_op.alter_column("township_id", existing_type=sa.Integer(), nullable=True)
    op.create_table(
        "transfers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("elder_id", sa.String(length=64), nullable=False),
        sa.Column("from_township_id", sa.Integer(), nullable=False),
        sa.Column("to_township_id", sa.Integer(), nullable=False),
        sa.Column("assessments", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["from_township_id"], ["townships.id"],
                                name=op.f("fk_transfers_from_township_id_townships")),
        sa.ForeignKeyConstraint(["to_township_id"], ["townships.id"],
                                name=op.f("fk_transfers_to_township_id_townships")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transfers")),
    )
    with op.batch_alter_table("transfers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_transfers_elder_id"), ["elder_id"], unique=False)


def downgrade() -> None:
    """Revert this migration (only while the county has authored no change)."""
    with op.batch_alter_table("transfers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_transfers_elder_id"))
    op.drop_table("transfers")
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.alter_column("township_id", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("account_id", existing_type=sa.Integer(), nullable=False)
