"""Current state refreshed once at the end of a bundle import instead of after every batch.

Ingest refreshes the current-state tables (:mod:`server.current_state`) for the elders each
batch touched. A bundle carries an elder's profile and its assessments in different batches,
so each elder would be recomputed several times, each time reading and parsing its heads
again. Inside the import's one transaction nothing reads those tables between batches, and
their rows are a function of the final heads alone, so the import notes the touched elders
(and the assessments that may have named another elder before) in a temporary table and
refreshes each of them once when the last batch is in: the same rows, bounded memory (the
ids wait in the database, not in Python).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Column, Connection, MetaData, String, Table, delete, select

from server import current_state
from server.db.bulk import insert_rows
from server.db.engine import is_sqlite
from server.db.planstats import FreshStatistics
from server.db.tables import assessment_state, elder_state

STATE_TABLES = ("elder_state", "assessment_state")

_metadata = MetaData()
pending_state = Table(
    "pending_state", _metadata,
    Column("kind", String(1), nullable=False),  # "e": an elder, "a": an assessment
    Column("id", String(64), nullable=False),
    prefixes=["TEMPORARY"],
)
CHUNK = current_state.BATCH
ID_MAX = 64


class DeferredState:
    """Collects what :func:`current_state.refresh` would be called with, batch after batch,
    in a temporary table of the caller's transaction; :meth:`finish` refreshes it all."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        if is_sqlite(conn):
            conn.exec_driver_sql("DROP TABLE IF EXISTS temp.pending_state")
            conn.exec_driver_sql("CREATE TEMP TABLE pending_state (kind VARCHAR(1) NOT NULL, "
                                 "id VARCHAR(64) NOT NULL)")
        else:
            conn.exec_driver_sql("CREATE TEMP TABLE pending_state (kind VARCHAR(1) NOT NULL, "
                                 "id VARCHAR(64) NOT NULL) ON COMMIT DROP")
        conn.exec_driver_sql("CREATE INDEX ix_pending_state ON pending_state (kind, id)")

    def note(self, elder_ids: Iterable[str], assessment_ids: Iterable[str] = ()) -> None:
        """Remember elders to refresh (and assessments whose earlier elder is refreshed too)."""
        rows = [{"kind": "e", "id": i} for i in elder_ids if len(i) <= ID_MAX]
        rows += [{"kind": "a", "id": i} for i in assessment_ids if len(i) <= ID_MAX]
        insert_rows(self.conn, pending_state, rows)

    def _ids(self, kind: str) -> Iterable[list[str]]:
        """The distinct ids of one kind, :data:`CHUNK` at a time, in order."""
        p = pending_state.c
        after = ""
        while True:
            ids = [str(i) for (i,) in self.conn.execute(
                select(p.id).where(p.kind == kind, p.id > after).group_by(p.id)
                .order_by(p.id).limit(CHUNK))]
            if not ids:
                return
            yield ids
            after = ids[-1]

    def finish(self) -> None:
        """Refresh every noted elder once (the assessments' earlier elders first), then
        drop the table.

        The assessments' chunks look their rows up in the state tables, which grow inside
        the import's transaction: those tables (and the noted ids) are analyzed as they grow
        (:mod:`server.db.planstats`), so each lookup stays an index scan. The elders' old
        rows are then removed by one statement (not one lookup per chunk), and each chunk's
        rows are computed from its heads and inserted."""
        planner = FreshStatistics(self.conn, ("pending_state", *STATE_TABLES),
                                  first=current_state.BATCH)
        planner.now()
        done = 0
        for ids in self._ids("a"):
            current_state.refresh(self.conn, (), ids)
            done += len(ids)
            planner.done(done)
        noted = select(pending_state.c.id).where(pending_state.c.kind == "e")
        self.conn.execute(delete(elder_state).where(elder_state.c.elder_id.in_(noted)))
        self.conn.execute(delete(assessment_state).where(
            assessment_state.c.elder_id.in_(noted)))
        plan, today = current_state.plan_today(self.conn)
        for ids in self._ids("e"):
            rows = current_state.part_rows(current_state.read_part(self.conn, ids), plan, today)
            current_state.write_part(self.conn, rows)
        planner.now()  # the state tables' statistics as committed (the dashboard plans on them)
        self.conn.exec_driver_sql("DROP TABLE pending_state" if not is_sqlite(self.conn)
                                  else "DROP TABLE temp.pending_state")
