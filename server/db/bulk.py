"""Bulk statements for ingest: ``COPY`` on PostgreSQL, ``executemany`` on SQLite.

Ingest writes thousands of rows per batch. PostgreSQL's ``COPY … FROM STDIN`` streams them
in one statement (psycopg's C adapters encode the rows); SQLite's ``executemany`` is already
a tight loop in C. Lookups of many keys use one parameter (``= ANY(…)``) on PostgreSQL
instead of thousands of bound parameters.

Speed: a timestamp costs psycopg more to encode than the rest of a row, and a batch's rows
share one (``received_at``, ``updated_at``): such a column is sent as the same text in every
row, encoded once. A list of strings is sent as one JSON text, which PostgreSQL unpacks
(encoding it costs a fraction of psycopg's text array).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import (
    ARRAY,
    JSON,
    ColumnElement,
    Connection,
    String,
    Table,
    any_,
    bindparam,
    cast,
    func,
    insert,
    select,
)
from sqlalchemy.sql.elements import ColumnClause

from server.db.engine import is_sqlite


def _copy_sql(conn: Connection, table: Table, columns: Sequence[str]) -> str:
    preparer = conn.dialect.identifier_preparer
    return (f"COPY {preparer.format_table(table)} "
            f"({', '.join(preparer.quote(c) for c in columns)}) FROM STDIN")


def _copy_text(value: Any) -> Any:
    """A value as ``COPY`` may take it for every row: a timestamp as its ISO text (which
    PostgreSQL reads back to the same instant), anything else as it is."""
    return value.isoformat() if isinstance(value, datetime) else value


@contextmanager
def streamed_rows(conn: Connection, table: Table, columns: Sequence[str],
                  any_rows: bool = True, *, same: Mapping[str, Any] | None = None,
                  ) -> Iterator[Callable[[tuple[Any, ...]], None]]:
    """A function taking one row (a tuple of values in ``columns`` order) at a time.

    ``same`` holds the columns that have one value in every row (given once, not in the rows).
    On PostgreSQL the rows stream to the server through ``COPY`` as they come, so the
    database stores them while the caller goes on working; the caller must not run other
    statements on ``conn`` inside the block. On SQLite (and when the caller knows there will
    be no rows, ``any_rows`` false) they are inserted when it ends.
    """
    fixed = dict(same or {})
    if is_sqlite(conn) or not any_rows:
        rows: list[tuple[Any, ...]] = []
        yield rows.append
        if rows:
            conn.execute(insert(table), [{**dict(zip(columns, row, strict=True)), **fixed}
                                         for row in rows])
        return
    raw = conn.connection.driver_connection
    assert raw is not None
    tail = tuple(_copy_text(value) for value in fixed.values())
    sql = _copy_sql(conn, table, [*columns, *fixed])
    with raw.cursor() as cursor, cursor.copy(sql) as copy:
        write_row = copy.write_row
        if tail:
            yield lambda row: write_row(row + tail)
        else:
            yield write_row


def _shared_timestamps(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> list[str]:
    """The columns holding one and the same timestamp object in every row."""
    first = rows[0]
    return [c for c in columns if isinstance(first[c], datetime)
            and all(row[c] is first[c] for row in rows)]


def insert_rows(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert ``rows`` (dicts with the same keys) into ``table`` in the caller's transaction."""
    if not rows:
        return
    if is_sqlite(conn):
        conn.execute(insert(table), list(rows))
        return
    columns = list(rows[0])
    shared = _shared_timestamps(rows, columns)
    varying = [c for c in columns if c not in shared]
    tail = tuple(_copy_text(rows[0][c]) for c in shared)
    sql = _copy_sql(conn, table, [*varying, *shared])
    raw = conn.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cursor, cursor.copy(sql) as copy:
        write_row = copy.write_row
        if len(varying) == 1:
            (column,) = varying
            for row in rows:
                write_row((row[column], *tail))
        elif varying:
            values = itemgetter(*varying)
            for row in rows:
                write_row(values(row) + tail)
        else:
            for _ in rows:
                write_row(tail)


def among(conn: Connection, column: ColumnClause[Any],
          values: Sequence[Any]) -> ColumnElement[bool]:
    """``column IN values`` as one parameter on PostgreSQL (``column = ANY(…)``): strings as
    one JSON array text unpacked by the server, other values as an array."""
    if is_sqlite(conn):
        return column.in_(values)
    if isinstance(column.type, String) and all(type(v) is str for v in values):
        text = json.dumps(list(values))
        elements = select(func.json_array_elements_text(cast(bindparam(None, text), JSON)))
        return column == any_(func.array(elements.scalar_subquery()))
    return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
