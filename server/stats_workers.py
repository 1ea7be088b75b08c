"""The county workbook's parts computed side by side, in worker processes.

The workbook (:func:`server.stats.county_workbook`) is the sum of the statistics of disjoint
parts of the county's elders (:func:`server.stats_frames.part_bounds`,
:func:`~assessment.documents.statistics.combine_statistics`). Each part is read, matched
against the lists and counted in Python and pandas, which hold one core; at a million
elders that is most of the workbook's time, so on PostgreSQL the parts are shared out
among a few worker processes (:func:`server.worker_pool.default_workers`), each with its
own connection.

**One snapshot.** The parent exports its transaction's snapshot
(``pg_export_snapshot()``) and every worker reads under it (``SET TRANSACTION SNAPSHOT``,
repeatable read): all parts see the county exactly as the parent saw it, even while
bundles are imported meanwhile — the sum is the statistics of one moment, which reading
the parts one after another in read-committed statements did not promise.

The workers (:mod:`server.worker_pool`) are gone when the workbook is done. Each holds one
part at a time, so memory stays bounded by the part size per worker.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TypeVar

from sqlalchemy import Connection, Engine

from assessment.documents.statistics import Statistics, compute_statistics
from assessment.eligibility.registry import ListRegistry
from server.county_lists import county_lists
from server.db.engine import make_engine
from server.stats_frames import part_input
from server.worker_pool import spawn_pool

Bound = tuple[str | None, str]
T = TypeVar("T")
SNAPSHOT_ID = re.compile(r"[0-9A-F]+(-[0-9A-F]+)+")  # as pg_export_snapshot() writes it


@dataclass(frozen=True, slots=True)
class PartJob:
    """What every part of one workbook shares: the database, the snapshot and the options
    of :func:`~assessment.documents.statistics.compute_statistics`."""

    url: str
    snapshot: str
    as_of: date
    start: date | None
    end: date | None
    interval_months: int
    with_eligibility: bool


class _Worker:
    """A worker process's engine and lists, kept from one part to the next."""

    engine: Engine | None = None
    lists: tuple[str, ListRegistry | None] | None = None


def _start_worker(url: str) -> None:
    _Worker.engine = make_engine(url)


def _part_statistics(job: PartJob, bound: Bound) -> Statistics:
    """The statistics of one part, read under the workbook's snapshot (in a worker)."""
    engine = _Worker.engine
    if engine is None:  # pragma: no cover - the initializer always ran first
        raise RuntimeError("worker started without an engine")
    with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
        # SET takes no parameters; the id is PostgreSQL's own, checked in the parent.
        conn.exec_driver_sql(f"SET TRANSACTION SNAPSHOT '{job.snapshot}'")
        lists = _lists(conn, job)
        source = part_input(conn, job.as_of, lists, *bound, job.start, job.end)
        conn.rollback()  # read only
    return compute_statistics(source, as_of=job.as_of, start=job.start, end=job.end,
                              interval_months=job.interval_months)


def _lists(conn: Connection, job: PartJob) -> ListRegistry | None:
    """The county's lists as the snapshot holds them, read once per worker."""
    held = _Worker.lists
    if held is None or held[0] != job.snapshot:
        held = (job.snapshot, county_lists(conn) if job.with_eligibility else None)
        _Worker.lists = held
    return held[1]


def parallel_statistics(conn: Connection, bounds: Sequence[Bound], *, as_of: date,
                        start: date | None, end: date | None, interval_months: int,
                        with_eligibility: bool, workers: int,
                        meanwhile: Callable[[], T]) -> tuple[list[Statistics], T]:
    """The statistics of each part of ``bounds`` (in order), computed by ``workers``
    processes under ``conn``'s snapshot (PostgreSQL; ``conn`` stays in its transaction
    until all are done), and what ``meanwhile`` returns: it runs here on ``conn`` while the
    workers start and compute."""
    snapshot = str(conn.exec_driver_sql("SELECT pg_export_snapshot()").scalar_one())
    if not SNAPSHOT_ID.fullmatch(snapshot):
        raise RuntimeError(f"unexpected snapshot id {snapshot!r}")
    url = conn.engine.url.render_as_string(hide_password=False)
    job = PartJob(url, snapshot, as_of, start, end, interval_months, with_eligibility)
    with spawn_pool(min(workers, len(bounds)), _start_worker, (url,)) as pool:
        pending = [pool.submit(_part_statistics, job, bound) for bound in bounds]
        try:
            extra = meanwhile()
            return [future.result() for future in pending], extra
        finally:
            for future in pending:  # on a failure, the parts not yet begun are dropped
                future.cancel()
