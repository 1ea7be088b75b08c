"""The current state of many elders computed in worker processes, at the end of a big import.

When the last batch of a bundle import is in, every elder it touched has its state rows
computed again from its heads (:mod:`server.deferred_state`). Parsing the heads and placing
each elder in the visit plan is Python: a quarter of a 1,000,000-elder import, on one core.

The heads are the import's own writes, not yet committed, so only the import's connection
can read them. The work is split accordingly:

* the import's process reads a part's heads (:func:`~server.current_state.read_part`) and,
  later, writes its rows (:func:`~server.current_state.write_part`), on its connection and
  in its transaction, part after part in order;
* worker processes (:mod:`server.worker_pool`) compute the rows between the two
  (:func:`~server.current_state.part_rows`), a few parts ahead of the writing: while one
  part is computed, the next is read and the one before is written.

The rows are those the import's process would compute itself: the same function of the
same heads, with the visit plan the import's process read (sent to each worker when it
starts). A part that fails in a worker raises in the import, which rolls back whole.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from concurrent.futures import Future
from datetime import date

from sqlalchemy import Connection

from assessment.visits.plan import VisitPlan
from server.current_state import PartHeads, PartRows, part_rows, read_part, write_part
from server.worker_pool import spawn_pool


class _Worker:
    """The plan and day a worker process computes every part with."""

    plan: VisitPlan | None = None
    today: date | None = None


def _start_worker(plan: VisitPlan, today: date) -> None:
    _Worker.plan, _Worker.today = plan, today


def _rows(part: PartHeads) -> PartRows:
    """A part's rows (in a worker)."""
    if _Worker.plan is None or _Worker.today is None:  # pragma: no cover - initializer ran
        raise RuntimeError("worker started without a plan")
    return part_rows(part, _Worker.plan, _Worker.today)


def refresh_in_workers(conn: Connection, parts: Iterable[Sequence[str]], *, plan: VisitPlan,
                       today: date, workers: int) -> None:
    """Write the state rows of each part of elder ids in ``parts``, in order, the rows
    computed by ``workers`` processes (the caller has removed their old rows). ``parts`` may
    read ``conn`` too: it is advanced between this function's statements, never during one."""
    with spawn_pool(workers, _start_worker, (plan, today)) as pool:
        pending: deque[tuple[Sequence[str], Future[PartRows]]] = deque()
        try:
            for ids in parts:
                pending.append((ids, pool.submit(_rows, read_part(conn, ids))))
                if len(pending) > workers:  # the workers stay busy with the parts after it
                    _write_first(conn, pending)
            while pending:
                _write_first(conn, pending)
        finally:
            for _ids, future in pending:  # on a failure, the parts not yet begun are dropped
                future.cancel()


def _write_first(conn: Connection, pending: deque[tuple[Sequence[str], Future[PartRows]]]
                 ) -> None:
    ids, future = pending.popleft()
    write_part(conn, ids, future.result(), replace=False)
