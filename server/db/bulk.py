"""Bulk statements for ingest: ``COPY`` on PostgreSQL, ``executemany`` on SQLite.

Ingest writes thousands of rows per batch. PostgreSQL's ``COPY … FROM STDIN`` streams them
in one statement (psycopg's C adapters encode the rows); SQLite's ``executemany`` is already
a tight loop in C. Lookups of many keys use one array parameter (``= ANY(…)``) on PostgreSQL
instead of thousands of bound parameters.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from operator import itemgetter
from typing import Any

from sqlalchemy import ARRAY, ColumnElement, Connection, Table, any_, bindparam, insert
from sqlalchemy.sql.elements import ColumnClause

from server.db.engine import is_sqlite


def _copy_sql(conn: Connection, table: Table, columns: Sequence[str]) -> str:
    preparer = conn.dialect.identifier_preparer
    return (f"COPY {preparer.format_table(table)} "
            f"({', '.join(preparer.quote(c) for c in columns)}) FROM STDIN")


@contextmanager
def streamed_rows(conn: Connection, table: Table, columns: Sequence[str],
                  any_rows: bool = True) -> Iterator[Callable[[Sequence[Any]], None]]:
    """A function taking one row (values in ``columns`` order) at a time.

    On PostgreSQL the rows stream to the server through ``COPY`` as they come, so the
    database stores them while the caller goes on working; the caller must not run other
    statements on ``conn`` inside the block. On SQLite (and when the caller knows there will
    be no rows, ``any_rows`` false) they are inserted when it ends.
    """
    if is_sqlite(conn) or not any_rows:
        rows: list[Sequence[Any]] = []
        yield rows.append
        if rows:
            conn.execute(insert(table), [dict(zip(columns, row, strict=True)) for row in rows])
        return
    raw = conn.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cursor, cursor.copy(_copy_sql(conn, table, columns)) as copy:
        yield copy.write_row


def insert_rows(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert ``rows`` (dicts with the same keys) into ``table`` in the caller's transaction."""
    if not rows:
        return
    if is_sqlite(conn):
        conn.execute(insert(table), list(rows))
        return
    columns = list(rows[0])
    sql = _copy_sql(conn, table, columns)
    raw = conn.connection.driver_connection
    assert raw is not None
    values = itemgetter(*columns)
    with raw.cursor() as cursor, cursor.copy(sql) as copy:
        if len(columns) == 1:
            for row in rows:
                copy.write_row((values(row),))
        else:
            for row in rows:
                copy.write_row(values(row))


def among(conn: Connection, column: ColumnClause[Any],
          values: Sequence[Any]) -> ColumnElement[bool]:
    """``column IN values`` as one parameter on PostgreSQL (``column = ANY(:array)``)."""
    if is_sqlite(conn):
        return column.in_(values)
    return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
