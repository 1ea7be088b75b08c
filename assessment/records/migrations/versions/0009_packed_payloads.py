"""Packed JSON: change-log payloads, answers and person fields compressed (records.packing).

The columns keep their names and declared types (SQLite stores the packed values as blobs);
every existing value is converted in place, inside the migration's one transaction, so a store
is either all converted or left as it was. Values already packed are left alone (the format
byte tells them apart), so the conversion is safe to repeat.

Revision ID: 0009_packed_payloads
Revises: 0007_visits
Create Date: 2026-12-06 21:00:00.000000
"""

from __future__ import annotations

from alembic import op

from assessment.records.packing import pack, unpack

revision = '0009_packed_payloads'
down_revision = '0007_visits'
branch_labels = None
depends_on = None

# (table, key column, packed column)
COLUMNS = (
    ("change_log", "seq", "payload"),
    ("assessments", "id", "answers"),
    ("elder_details", "elder_num", "info"),
    ("elder_details", "elder_num", "attributes"),
    ("elder_details", "elder_num", "provenance"),
)
BATCH = 2000


def _convert(table: str, key: str, column: str, *, packing: bool) -> None:
    connection = op.get_bind()
    wanted = "text" if packing else "blob"
    last: object = None
    while True:
        after = "" if last is None else f"AND {key} > ?"
        rows = connection.exec_driver_sql(
            f"SELECT {key}, {column} FROM {table} WHERE typeof({column}) = '{wanted}' "
            f"{after} ORDER BY {key} LIMIT {BATCH}", () if last is None else (last,)).all()
        if not rows:
            return
        values: list[tuple[object, object]] = [
            (pack(str(value).encode("utf-8")) if packing
             else unpack(bytes(value)).decode("utf-8"), k)
            for k, value in rows]
        connection.exec_driver_sql(f"UPDATE {table} SET {column} = ? WHERE {key} = ?", values)
        last = rows[-1][0]


def upgrade() -> None:
    """Pack every stored value."""
    for table, key, column in COLUMNS:
        _convert(table, key, column, packing=True)


def downgrade() -> None:
    """Back to plain JSON text."""
    for table, key, column in COLUMNS:
        _convert(table, key, column, packing=False)
