"""Search as you type over the encrypted store: the elder register API against its own SQL.

Workload: a demo township of ``size`` elders (100,000 by default) in a SQLCipher database.
Typing sequences as an assessor types them, taken from real rows: pinyin initials (``w``,
``wx``, ``wxy``), full pinyin (``z`` … ``zhangsan``), Chinese names (``王``, ``王秀``), ID-number
tails (``1`` … ``12345``) and village names. Each keystroke costs what the desktop client does
on a keystroke: ``workspace.elders.count`` plus the first page (``elders.page(…, 0, 50)``)
through the workspace API.

Floor: the very same SQL statements (captured from the API calls) run through ``sqlcipher3``
directly on a keyed connection, without SQLAlchemy, sessions or row objects.

Goals: p95 per keystroke ≤ 30 ms; ratio to the floor ≤ 1.5.
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import event

from assessment.records.api import RegisterFilter
from assessment.records.database import connect_raw
from assessment.records.datadir import database_path, keyring_path, workspace_exists
from assessment.records.demo import DEMO_PASSWORD, DEMO_SUPERVISOR, create_demo_workspace
from assessment.records.keyring import Keyring
from assessment.records.search import name_readings
from assessment.records.workspace import Workspace
from benchmarks.harness import record

PAGE = 50
GOAL_MS = 30.0


def _typing(ws: Workspace, rng: random.Random, people: int) -> list[tuple[str, str]]:
    """(kind, typed text) for every keystroke of a realistic set of searches."""
    flt = RegisterFilter()
    total = ws.elders.count(flt)
    keystrokes: list[tuple[str, str]] = []
    for _ in range(people):
        row = ws.elders.page(flt, rng.randrange(total), 1)[0]
        profile = ws.elders.get(row.elder_id)
        syllables = name_readings(profile.name)[0]
        initials = "".join(s[0] for s in syllables)
        full = "".join(syllables)
        for kind, word in (("initials", initials), ("pinyin", full[:8]),
                           ("name", profile.name)):
            keystrokes += [(kind, word[:i]) for i in range(1, len(word) + 1)]
        if profile.id_number:
            tail = profile.id_number[-5:]
            keystrokes += [("id_tail", tail[-i:]) for i in range(1, 6)]
        if profile.village:
            keystrokes += [("village", profile.village[:i]) for i in (1, 2)]
    return keystrokes


def _p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def _measure(ws: Workspace, raw: Any, keystrokes: list[tuple[str, str]]) -> dict[str, Any]:
    captured: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any,
                executemany: bool) -> None:
        captured.append((statement, parameters))

    api: dict[str, list[float]] = {}
    floor: dict[str, list[float]] = {}
    event.listen(ws._store.engine, "before_cursor_execute", capture)
    try:
        for kind, typed in keystrokes:
            flt = RegisterFilter(text=typed)
            captured.clear()
            start = time.perf_counter()
            ws.elders.count(flt)
            ws.elders.page(flt, 0, PAGE)
            api.setdefault(kind, []).append((time.perf_counter() - start) * 1000)
            statements = [(s, p) for s, p in captured
                          if not s.startswith(("BEGIN", "COMMIT", "ROLLBACK"))]
            start = time.perf_counter()
            for statement, parameters in statements:
                raw.execute(statement, parameters).fetchall()
            floor.setdefault(kind, []).append((time.perf_counter() - start) * 1000)
    finally:
        event.remove(ws._store.engine, "before_cursor_execute", capture)
    return {"api": api, "floor": floor}


def _build(data_dir: Path, size: int) -> None:
    if not workspace_exists(data_dir):
        create_demo_workspace(data_dir, elders=size, seed=42)


def run(size: int = 100_000, data_dir: Path | None = None,
        people: int = 60) -> list[dict[str, object]]:
    """Measure search-as-you-type latency over ``size`` elders; one record per query kind
    plus one for all keystrokes. ``data_dir`` reuses (or keeps) a demo workspace."""
    with tempfile.TemporaryDirectory(prefix="yinling-bench-") as tmp:
        folder = data_dir if data_dir is not None else Path(tmp) / "data"
        started = time.perf_counter()
        _build(folder, size)
        build_s = time.perf_counter() - started
        key = Keyring.load(keyring_path(folder)).unlock(DEMO_SUPERVISOR, DEMO_PASSWORD)
        raw = connect_raw(database_path(folder), key)
        try:
            with Workspace.open(folder, DEMO_SUPERVISOR, DEMO_PASSWORD) as ws:
                rng = random.Random(7)
                keystrokes = _typing(ws, rng, people)
                _measure(ws, raw, keystrokes[:50])  # warm the page caches of both
                result = _measure(ws, raw, keystrokes)
        finally:
            raw.close()
    out: list[dict[str, object]] = []
    everything_api: list[float] = []
    everything_floor: list[float] = []
    goal = f"p95 ≤ {GOAL_MS:g} ms per keystroke (count + first page); ratio ≤ 1.5"
    for kind in sorted(result["api"]):
        api_ms: list[float] = result["api"][kind]
        floor_ms: list[float] = result["floor"][kind]
        everything_api += api_ms
        everything_floor += floor_ms
        out.append(record(f"store_search.{kind}.p95", _p95(api_ms), "ms", _p95(floor_ms), goal,
                          size=size, keystrokes=len(api_ms),
                          median=round(statistics.median(api_ms), 3)))
    out.append(record("store_search.all.p95", _p95(everything_api), "ms", _p95(everything_floor),
                      goal, size=size, keystrokes=len(everything_api),
                      max=round(max(everything_api), 3), build_s=round(build_s, 1)))
    return out


def main(report: Callable[[dict[str, object]], None] = print) -> None:
    """Run at full size and print the records."""
    for line in run():
        report(line)


if __name__ == "__main__":
    main()
