"""Deep roster pages: every page of a search read by key, as the roster window scrolls.

Workload: a demo township of ``size`` elders (100,000 by default) in a SQLCipher database.
For each search (a one-digit ID tail, the whole roster by name, a one-letter pinyin prefix,
the whole roster by age) every page of 200 rows (the roster model's page) is read through
:meth:`~assessment.records.elders.Elders.page` past the previous page's last key,
each page three times (median).

Floor: the very same keyset SQL (captured from the API call, the key bound) run through
``sqlcipher3`` directly on a keyed connection, three times (median).

Figure: the slowest page (ms); the median page beside it. ``offset_ms``: the same deepest
pages read by offset as the roster did before keyset paging (the last ``DEEP`` pages).
Goal: every page ≤ 50 ms.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import event

from assessment.records.api import RegisterFilter, RegisterKey, RegisterSort
from assessment.records.database import connect_raw
from assessment.records.datadir import database_path, keyring_path, workspace_exists
from assessment.records.demo import DEMO_PASSWORD, DEMO_SUPERVISOR, create_demo_workspace
from assessment.records.keyring import Keyring
from assessment.records.workspace import Workspace
from benchmarks.harness import MIN_RUNS, record

PAGE = 200
DEEP = 3
GOAL_MS = 50.0
SEARCHES = (("id_digit", RegisterFilter(text="7")), ("all_by_name", RegisterFilter()),
            ("pinyin_letter", RegisterFilter(text="z")),
            ("all_by_age", RegisterFilter(sort=RegisterSort.AGE)))


def _median_ms(work: Any) -> float:
    times = []
    for _ in range(MIN_RUNS):
        start = time.perf_counter()
        work()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def _walk(ws: Workspace, raw: Any, flt: RegisterFilter) -> tuple[list[float], list[float], int]:
    """Per page: the API's median time and the floor's, and how many rows were read."""
    captured: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any,
                executemany: bool) -> None:
        captured.append((statement, parameters))

    api: list[float] = []
    floor: list[float] = []
    after: RegisterKey | None = None
    rows = 0
    while True:
        captured.clear()
        event.listen(ws._store.engine, "before_cursor_execute", capture)
        try:
            page = ws.elders.page(flt, 0, PAGE, after)
        finally:
            event.remove(ws._store.engine, "before_cursor_execute", capture)
        statements = [(s, p) for s, p in captured
                      if not s.startswith(("BEGIN", "COMMIT", "ROLLBACK"))]
        api.append(_median_ms(lambda key=after: ws.elders.page(flt, 0, PAGE, key)))
        floor.append(_median_ms(lambda sql=statements: [raw.execute(s, p).fetchall()
                                                          for s, p in sql]))
        rows += len(page)
        if len(page) < PAGE:
            return api, floor, rows
        after = page[-1].key


def run(size: int = 100_000, data_dir: Path | None = None) -> list[dict[str, object]]:
    """Read every page of each search by key over ``size`` elders; ``data_dir`` reuses (or
    keeps) a demo workspace."""
    out: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory(prefix="yinling-bench-") as tmp:
        folder = data_dir if data_dir is not None else Path(tmp) / "data"
        if not workspace_exists(folder):
            create_demo_workspace(folder, elders=size, seed=42)
        key = Keyring.load(keyring_path(folder)).unlock(DEMO_SUPERVISOR, DEMO_PASSWORD)
        raw = connect_raw(database_path(folder), key)
        try:
            with Workspace.open(folder, DEMO_SUPERVISOR, DEMO_PASSWORD) as ws:
                for kind, flt in SEARCHES:
                    api, floor, rows = _walk(ws, raw, flt)
                    deep = [max(rows - PAGE * i, 0) for i in range(1, DEEP + 1)]
                    offset = [_median_ms(lambda at=at, f=flt: ws.elders.page(f, at, PAGE))
                              for at in deep]
                    out.append(record(
                        f"roster_deep_page.{kind}", max(api), "ms", max(floor),
                        f"every page ≤ {GOAL_MS:g} ms", size=size, pages=len(api), rows=rows,
                        median_ms=round(statistics.median(api), 3),
                        median_floor_ms=round(statistics.median(floor), 3),
                        offset_ms=round(max(offset), 3)))
        finally:
            raw.close()
    return out
