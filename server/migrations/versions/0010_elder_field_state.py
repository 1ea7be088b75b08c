"""elder_field_state: an elder's profile fields and the writes that set them in one row (a
JSON object, server.field_state) instead of one elder_fields row per field

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | None = None
depends_on: str | None = None

BATCH = 2000

_old = sa.table("elder_fields", sa.column("record_id", sa.String), sa.column("field", sa.String),
                sa.column("value", sa.Text), sa.column("hlc", sa.BigInteger),
                sa.column("device_id", sa.String), sa.column("version", sa.Integer))
_new = sa.table("elder_field_state", sa.column("record_id", sa.String),
                sa.column("fields", sa.Text))


def _pages(conn: sa.Connection, table: sa.TableClause) -> Iterator[list[str]]:
    """The distinct record ids of ``table``, :data:`BATCH` at a time, in order."""
    after = ""
    while True:
        ids = [str(i) for (i,) in conn.execute(
            sa.select(table.c.record_id).where(table.c.record_id > after)
            .group_by(table.c.record_id).order_by(table.c.record_id).limit(BATCH))]
        if not ids:
            return
        yield ids
        after = ids[-1]


def upgrade() -> None:
    """Create the table, fill it from ``elder_fields`` elder by elder (:data:`BATCH` at a
    time), drop ``elder_fields``."""
    from assessment.wire.merge import FieldState
    from server import field_state

    op.create_table(
        "elder_field_state",
        sa.Column("record_id", sa.String(64), nullable=False),
        sa.Column("fields", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("record_id", name=op.f("pk_elder_field_state")),
    )
    conn = op.get_bind()
    for ids in _pages(conn, _old):
        held: dict[str, dict[str, FieldState]] = {i: {} for i in ids}
        for row in conn.execute(sa.select(_old).where(_old.c.record_id.in_(ids))):
            held[str(row.record_id)][str(row.field)] = FieldState(
                json.loads(row.value), int(row.hlc), str(row.device_id), int(row.version))
        conn.execute(sa.insert(_new), [{"record_id": i, "fields": field_state.encode(f)}
                                       for i, f in held.items()])
    op.drop_table("elder_fields")


def downgrade() -> None:
    """Recreate ``elder_fields`` from the rows, then drop ``elder_field_state``."""
    from assessment.wire.changes import canonical_text
    from server import field_state

    op.create_table(
        "elder_fields",
        sa.Column("record_id", sa.String(64), nullable=False),
        sa.Column("field", sa.String(128), nullable=False),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("hlc", sa.BigInteger, nullable=False),
        sa.Column("device_id", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("record_id", "field", name=op.f("pk_elder_fields")),
    )
    conn = op.get_bind()
    for ids in _pages(conn, _new):
        rows = [{"record_id": str(r.record_id), "field": path,
                 "value": canonical_text(state.value), "hlc": state.hlc,
                 "device_id": state.device_id, "version": state.version}
                for r in conn.execute(sa.select(_new).where(_new.c.record_id.in_(ids)))
                for path, state in field_state.decode(str(r.fields)).items()]
        if rows:
            conn.execute(sa.insert(_old), rows)
    op.drop_table("elder_field_state")
