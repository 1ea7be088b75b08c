"""record_heads.elder_id: the elder a head is about, indexed with the record type

An elder head's own id, an assessment head's payload ``elder_id`` (when it is a string that
fits), NULL for anything else; existing heads are filled in here, in batches.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-15
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None

ELDER_ID_MAX = 64
BATCH = 2000

_heads = sa.table("record_heads", sa.column("record_type", sa.String),
                  sa.column("record_id", sa.String), sa.column("payload", sa.Text),
                  sa.column("elder_id", sa.String))


def _payload_elder(payload: str) -> str | None:
    """An assessment payload's ``elder_id`` when it is a string that fits the column."""
    try:
        value: Any = json.loads(payload)
    except ValueError:
        return None
    elder_id = value.get("elder_id") if isinstance(value, dict) else None
    return elder_id if isinstance(elder_id, str) and len(elder_id) <= ELDER_ID_MAX else None


def _backfill(conn: sa.Connection) -> None:
    """Elder heads in one statement; assessment heads read and updated in key order,
    ``BATCH`` at a time (the payload is parsed in Python: the same on both databases)."""
    h = _heads.c
    conn.execute(sa.update(_heads).where(h.record_type == "elder")
                 .values(elder_id=h.record_id))
    update = (sa.update(_heads)
              .where(h.record_type == "assessment", h.record_id == sa.bindparam("key"))
              .values(elder_id=sa.bindparam("elder")))
    after: str | None = None
    while True:
        query = sa.select(h.record_id, h.payload).where(h.record_type == "assessment")
        if after is not None:
            query = query.where(h.record_id > after)
        rows = conn.execute(query.order_by(h.record_id).limit(BATCH)).all()
        if not rows:
            return
        found = [{"key": str(r.record_id), "elder": elder} for r in rows
                 if (elder := _payload_elder(str(r.payload))) is not None]
        if found:
            conn.execute(update, found)
        after = str(rows[-1].record_id)


def upgrade() -> None:
    """Apply this migration (a nullable column and an index: no table rebuild needed)."""
    op.add_column("record_heads", sa.Column("elder_id", sa.String(length=64), nullable=True))
    op.create_index(op.f("ix_record_heads_elder"), "record_heads",
                    ["elder_id", "record_type"], unique=False)
    _backfill(op.get_bind())


def downgrade() -> None:
    """Revert this migration."""
    op.drop_index(op.f("ix_record_heads_elder"), table_name="record_heads")
    with op.batch_alter_table("record_heads", schema=None) as batch_op:
        batch_op.drop_column("elder_id")
