"""Planner statistics kept current inside one long write transaction (PostgreSQL).

A bundle import writes every row in one transaction (refused whole, nothing applied in part).
Autovacuum cannot analyze rows that are not committed, so inside that transaction PostgreSQL
plans against the statistics the tables had before it began — none at all for a new county.
Without a column's statistics, ``record_id = ANY(…)`` over a batch's 2,000–5,000 keys is
estimated at the default selectivity per key (half the table or more), and the planner picks
a parallel sequential scan: harmless at 20,000 elders, but at 1,000,000 one lookup of a
batch's profile fields scanned 35 million rows for minutes. ``ANALYZE`` inside the
transaction samples the rows the transaction wrote itself, so each table is analyzed again
whenever the work done has doubled since the last time: a handful of runs of about a second
each over a whole import, and every lookup is an index scan again. On SQLite nothing is done
(its planner uses the indexes without statistics).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection

from server.db.engine import is_sqlite

FIRST = 20_000  # rows of work before the first ANALYZE


class FreshStatistics:
    """``ANALYZE tables`` each time :meth:`done` reports twice the work of the last run."""

    def __init__(self, conn: Connection, tables: Sequence[str], first: int | None = None
                 ) -> None:
        self._conn = conn
        self._tables = tuple(tables)
        self._next = FIRST if first is None else first
        self.runs = 0
        self._active = not is_sqlite(conn)

    def done(self, work: int) -> None:
        """``work`` rows written (or looked up) so far in this transaction."""
        if self._active and work >= self._next:
            self.now()
            self._next = 2 * work

    def now(self) -> None:
        """Analyze the tables at once (PostgreSQL)."""
        if self._active:
            self._conn.exec_driver_sql("ANALYZE " + ", ".join(self._tables))
            self.runs += 1
