"""County scale: a demo township's bundle imported into PostgreSQL, the dashboard and the
workbook over it, each in a child process whose peak memory is reported.

Data: a real demo laptop (:func:`assessment.records.demo.create_demo_workspace`, ``size``
elders, about two thirds assessed, with re-assessments, corrections and drafts) exports
every change as one bundle (format 3, streamed; a log of more than 1,000,000 changes in
parts, imported one after another); records are its changes (elders,
assessments and the laptop's few account and setting records).

Lines (one JSON line each):

* ``county_bundle_import``: ``yinling import-bundle`` of that bundle into an empty county on
  a throw-away PostgreSQL cluster (verify the signature, decrypt the frames, grade every
  assessment again, merge every profile, write changes, heads and current state, sign the
  receipt), in records per second, median of 3 imports into fresh databases, with the
  child's ``peak_rss_mb`` (the largest of the three) and ``total_peak_rss_mb``, the child
  and any processes it starts together (none: the import runs in one process, with a
  helper thread). Floor: ``COPY`` of the very rows the import wrote (changes, heads,
  profile fields, current state; dumped from the first import) into a fresh schema on the
  same cluster, in one transaction, as records per second.
  Goals: ≥ 5,000 records/s, peak RSS ≤ 400 MB. ``export_s`` and ``roundtrip_records_per_s``
  (export plus import) are reported beside.
* ``county_dashboard``: the dashboard summary (:func:`server.stats._compute_summary`, not
  the cached one), seconds, median of 3: one grouped scan of ``elder_state`` (grades, due
  dates and the 探访关爱 sums of :mod:`server.visit_state`) and one of
  ``assessment_state``. Floor: one ``GROUP BY`` scan of ``elder_state`` counting the same
  grades and due dates. Goal at 1M elders: ≤ 1 s.
* ``county_workbook``: the county workbook with eligibility (:func:`server.stats.
  county_workbook`, a part of the elders at a time, shared by ``workers`` processes
  (:mod:`server.stats_workers`), and the streamed Excel file), seconds, median of 3, with
  the child's ``peak_rss_mb`` and ``total_peak_rss_mb``, the child and its workers together
  (sampled five times a second). Floor (one process): reading the same state rows the
  workbook reads (every column of ``elder_state``, a superset of what the parts read, and
  of ``assessment_state``) and writing them bare (no formats) with the workbook's writer,
  XlsxWriter in constant-memory mode. Goals at 1M elders: ≤ 30 s, ≤ 1 GB (all processes).

Alone: ``python -m benchmarks county_scale --size 20000``; at the largest sizes
``--laptop DIR`` (a demo workspace already built), ``--lines import,dashboard,workbook`` and
``--runs N`` (the import, the export, the workbook and their floors timed N times instead
of 3; the line says how many).
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import xlsxwriter
from sqlalchemy import Connection, and_, case, func, or_, select, text

from assessment.documents.exports import write_statistics_xlsx
from assessment.records.demo import DEMO_PASSWORD, DEMO_SUPERVISOR, create_demo_workspace
from assessment.records.workspace import Workspace
from assessment.wire.bundle import export_bundle
from assessment.wire.device import DeviceKeys
from assessment.wire.enrolment import build_request
from benchmarks.harness import MIN_RUNS, record
from server import county, stats
from server.bundles import import_bundle
from server.config import Settings
from server.context import ServerContext
from server.db.engine import make_engine
from server.db.tables import assessment_state, elder_state
from server.enrolment import enrol
from server.worker_pool import default_workers
from testkit.pgtemp import TempPostgres

COPIED = ("received_changes", "record_heads", "elder_field_state", "elder_state",
          "assessment_state")
MAX_BUNDLE = 8 * 1024 * 1024 * 1024


def _settings(data_dir: Path, url: str) -> Settings:
    return Settings(data_dir=data_dir, db_url=url, max_bundle_bytes=MAX_BUNDLE)


def _peak_mb() -> float:
    """This process's peak resident memory (``VmHWM``: since its ``exec``, unlike
    ``ru_maxrss``, which keeps the high-water mark of the parent it was forked from)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


# --- the child processes ---------------------------------------------------------------------

def _child_import(data_dir: Path, url: str, bundles: list[Path]) -> dict[str, Any]:
    applied = quarantined = 0
    with ServerContext.open(_settings(data_dir, url)) as ctx, _TreePeak() as tree:
        start = time.perf_counter()
        for bundle in bundles:  # one, or the parts of a log longer than one bundle, in order
            result = import_bundle(ctx, bundle, "bench").result
            applied += result.applied
            quarantined += result.quarantined
        seconds = time.perf_counter() - start
    return {"seconds": seconds, "applied": applied, "quarantined": quarantined,
            "peak_rss_mb": _peak_mb(),
            "total_peak_rss_mb": max(_peak_mb(), round(tree.peak_kb / 1024, 1))}


def _child_dashboard(data_dir: Path, url: str) -> dict[str, Any]:
    with ServerContext.open(_settings(data_dir, url)) as ctx:
        times = []
        for _ in range(MIN_RUNS):
            with ctx.engine.connect() as conn:
                start = time.perf_counter()
                summary = stats._compute_summary(conn, date.today())
                times.append(time.perf_counter() - start)
    elders = sum(t["elders"] for t in summary["townships"])
    return {"seconds": statistics.median(times), "elders": elders, "peak_rss_mb": _peak_mb()}


def _tree_rss_kb(pid: int) -> int:
    """The resident memory of a process and of all its descendants, in KiB (0 for a
    process gone meanwhile)."""
    total = 0
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
        for task in Path(f"/proc/{pid}/task").iterdir():
            total += sum(_tree_rss_kb(int(c)) for c in (task / "children").read_text().split())
    except (FileNotFoundError, ProcessLookupError):
        pass
    return total


class _TreePeak:
    """The largest resident memory of this process and its worker processes together,
    sampled five times a second while it runs (workers' own peaks are not in this
    process's ``VmHWM``)."""

    def __init__(self) -> None:
        self.peak_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.2):
            self.peak_kb = max(self.peak_kb, _tree_rss_kb(os.getpid()))

    def __enter__(self) -> _TreePeak:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _child_workbook(data_dir: Path, url: str, out: Path, runs: int) -> dict[str, Any]:
    with ServerContext.open(_settings(data_dir, url)) as ctx, _TreePeak() as tree:
        times = []
        for _ in range(runs):
            with ctx.engine.connect() as conn:
                start = time.perf_counter()
                book = stats.county_workbook(conn, as_of=date.today())
                write_statistics_xlsx(book, out)
                times.append(time.perf_counter() - start)
    return {"seconds": statistics.median(times), "bytes": out.stat().st_size,
            "peak_rss_mb": _peak_mb(),
            "total_peak_rss_mb": max(_peak_mb(), round(tree.peak_kb / 1024, 1)),
            "workers": default_workers()}


def _child(mode: str, *args: str) -> dict[str, Any]:
    """Run one measurement in a fresh interpreter (its own peak memory); its JSON answer."""
    done = subprocess.run([sys.executable, "-m", "benchmarks.county_scale", mode, *args],
                          check=True, capture_output=True, text=True)
    answer: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return answer


# --- set-up and floors -----------------------------------------------------------------------

def _county_for(data_dir: Path, url: str, keys: DeviceKeys) -> None:
    """An empty county with the demo laptop enrolled (its own keys)."""
    with ServerContext.open(_settings(data_dir, url)) as ctx, ctx.engine.begin() as conn:
        county.add_township(conn, "t1", "示范镇", "bench")
        county.add_account(conn, "pinggu", "评估员", "t1", "bench")
        code = county.new_enrolment_code(conn, "pinggu", "bench")
        enrol(conn, build_request(keys, code, "演示笔记本"), ctx.keys, "bench")


def _dump(cluster: TempPostgres, database: str, folder: Path) -> None:
    """The rows the import wrote, as COPY files (binary)."""
    import psycopg

    with psycopg.connect(cluster.dsn(database)) as conn, conn.cursor() as cursor:
        for table in COPIED:
            with (folder / f"{table}.copy").open("wb") as handle, \
                    cursor.copy(f"COPY {table} TO STDOUT (FORMAT BINARY)") as copy:
                for chunk in copy:
                    handle.write(chunk)


def _copy_floor(cluster: TempPostgres, data_dir: Path, database: str, folder: Path,
                keys: DeviceKeys) -> float:
    """Seconds to COPY the dumped rows into a fresh county (the same township and device),
    in one transaction."""
    _county_for(data_dir, cluster.create_database(database), keys)
    try:
        return _copy_into(cluster, database, folder)
    finally:
        cluster.drop_database(database)


def _copy_into(cluster: TempPostgres, database: str, folder: Path) -> float:
    import psycopg

    with psycopg.connect(cluster.dsn(database)) as conn, conn.cursor() as cursor:
        for table in COPIED:  # what the county set up is not part of the work
            cursor.execute(f"TRUNCATE {table} CASCADE".encode())
        conn.commit()
        start = time.perf_counter()
        for table in COPIED:
            with (folder / f"{table}.copy").open("rb") as handle, \
                    cursor.copy(f"COPY {table} FROM STDIN (FORMAT BINARY)") as copy:
                while chunk := handle.read(1 << 20):
                    copy.write(chunk)
        conn.commit()
        return time.perf_counter() - start


def _group_by_floor(conn: Connection) -> None:
    """One grouped scan counting grades and due dates per township."""
    e = elder_state.c
    today = date.today()
    soon = today + timedelta(days=30)
    conn.execute(select(e.township_id, func.count(),
                        *(func.sum(case((e.current_grade == g, 1), else_=0))
                          for g in range(5)),
                        func.sum(case((e.current_grade.is_(None), 1), else_=0)),
                        func.sum(case((e.due_on <= today, 1), else_=0)),
                        func.sum(case((and_(e.due_on > today, e.due_on <= soon), 1),
                                      else_=0)))
                 .where(or_(e.left_on.is_(None), e.left_on > today))
                 .group_by(e.township_id)).all()


def _bare_workbook(conn: Connection, out: Path) -> None:
    """The state rows the workbook reads, written bare (no formats, no widths) with the
    workbook's own writer, XlsxWriter in constant-memory mode."""
    book = xlsxwriter.Workbook(str(out), {"constant_memory": True})
    for table in (elder_state, assessment_state):
        sheet = book.add_worksheet(table.name)
        result = conn.execute(select(table).execution_options(yield_per=5000))
        sheet.write_row(0, 0, list(result.keys()))
        for number, row in enumerate(result, start=1):
            sheet.write_row(number, 0, row)
    book.close()


def _database_mb(cluster: TempPostgres, database: str) -> float:
    """The size of a database on disk (tables, indexes, TOAST), in MB."""
    import psycopg

    with psycopg.connect(cluster.dsn(database)) as conn:
        row = conn.execute("SELECT pg_database_size(current_database())").fetchone()
    assert row is not None
    return round(int(row[0]) / 2**20, 1)


def _median(work: Any, runs: int = MIN_RUNS) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


LINES = ("import", "dashboard", "workbook")


def run(size: int, *, laptop: str | None = None, lines: str | None = None,
        runs: int = MIN_RUNS) -> list[dict[str, object]]:
    """The lines at ``size`` demo elders: all three, or those named in ``lines``
    (comma-separated: ``import``, ``dashboard``, ``workbook``). ``laptop`` is an existing demo
    workspace of ``size`` elders to export instead of building one; ``runs`` how many times the
    import and its floor are timed (the export is timed as often)."""
    chosen = tuple(LINES if lines is None else (n.strip() for n in lines.split(",")))
    if unknown := [n for n in chosen if n not in LINES]:
        raise SystemExit(f"unknown county_scale lines: {unknown}")
    work = Path(tempfile.mkdtemp(prefix="yinling-county-scale-"))
    cluster = TempPostgres().start()
    try:
        return _run(size, work, cluster, Path(laptop) if laptop else None, chosen, runs)
    finally:
        cluster.stop()
        shutil.rmtree(work, ignore_errors=True)


def _run(size: int, work: Path, cluster: TempPostgres, laptop: Path | None,
         chosen: tuple[str, ...], runs: int) -> list[dict[str, object]]:
    data_dir = work / "county"
    if laptop is None:
        laptop = work / "laptop"
        create_demo_workspace(laptop, elders=size)
    with ServerContext.open(_settings(data_dir, cluster.create_database("keys"))) as ctx:
        box = ctx.keys.box.public_key()
    ws = Workspace.open(laptop, DEMO_SUPERVISOR, DEMO_PASSWORD)
    try:
        keys = ws.device_keys()
        bundles: list[Path] = []

        def export() -> None:  # a log longer than one bundle goes out in parts
            bundles.clear()
            after = 0
            while (manifest := export_bundle(ws.outbox, keys, box,
                                             work / f"demo-{len(bundles)}.ylb",
                                             after_seq=after)) is not None:
                bundles.append(work / f"demo-{len(bundles)}.ylb")
                after = manifest.seq_to

        export_s = _median(export, runs)
        records = ws.outbox.sync_state().last_seq
    finally:
        ws.close()

    lines: list[dict[str, object]] = []
    imported = "import0"
    imports = []
    for run_no in range(runs if "import" in chosen else 1):
        url = cluster.create_database(f"import{run_no}")
        _county_for(data_dir, url, keys)
        answer = _child("import", str(data_dir), url, *map(str, bundles))
        assert answer["applied"] == records, answer
        imports.append(answer)
        if run_no:  # only the first is read again (disk: a 1M-elder county is ~15 GB)
            cluster.drop_database(f"import{run_no}")
    if "import" in chosen:
        import_s = statistics.median(a["seconds"] for a in imports)
        db_mb = _database_mb(cluster, imported)
        dumps = work / "dumps"
        dumps.mkdir()
        _dump(cluster, imported, dumps)
        floor_s = statistics.median(_copy_floor(cluster, data_dir, f"floor{i}", dumps, keys)
                                    for i in range(runs))
        # For records/s a higher figure is better: the ratio stays figure / floor.
        lines.append(record(
            "county_bundle_import", records / import_s, "records/s", records / floor_s,
            ">= 5000 records/s; peak RSS <= 400 MB",
            peak_rss_mb=max(a["peak_rss_mb"] for a in imports),
            total_peak_rss_mb=max(a["total_peak_rss_mb"] for a in imports), records=records,
            elders=size, bundles=len(bundles),
            bundle_mb=round(sum(b.stat().st_size for b in bundles) / 2**20, 1),
            import_s=round(import_s, 3), floor_s=round(floor_s, 3), runs=runs,
            quarantined=imports[0]["quarantined"], export_s=round(export_s, 3), db_mb=db_mb,
            roundtrip_records_per_s=round(records / (export_s + import_s))))

    url = cluster.url(imported)
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            conn.execute(text("ANALYZE"))
            conn.commit()
        if "dashboard" in chosen:
            dashboard = _child("dashboard", str(data_dir), url)
            with engine.connect() as conn:
                group_s = _median(lambda: _group_by_floor(conn))
            lines.append(record("county_dashboard", dashboard["seconds"], "s", group_s,
                                "<= 1 s at 1M elders", elders=dashboard["elders"],
                                peak_rss_mb=dashboard["peak_rss_mb"]))
        if "workbook" in chosen:
            workbook = _child("workbook", str(data_dir), url, str(work / "county.xlsx"),
                              str(runs))
            with engine.connect() as conn:
                bare_s = _median(lambda: _bare_workbook(conn, work / "bare.xlsx"), runs)
            lines.append(record("county_workbook", workbook["seconds"], "s", bare_s,
                                "<= 30 s and <= 1 GB at 1M elders", elders=size, runs=runs,
                                peak_rss_mb=workbook["peak_rss_mb"],
                                total_peak_rss_mb=workbook["total_peak_rss_mb"],
                                workers=workbook["workers"], xlsx_bytes=workbook["bytes"]))
    finally:
        engine.dispose()
    return lines


def main(argv: list[str]) -> int:
    """The child processes: ``import DATA URL BUNDLE…``, ``dashboard DATA URL``, ``workbook
    DATA URL OUT RUNS``; each prints one JSON line."""
    mode, *args = argv
    if mode == "import":
        answer = _child_import(Path(args[0]), args[1], [Path(a) for a in args[2:]])
    elif mode == "dashboard":
        answer = _child_dashboard(Path(args[0]), args[1])
    elif mode == "workbook":
        answer = _child_workbook(Path(args[0]), args[1], Path(args[2]), int(args[3]))
    else:
        raise SystemExit(f"unknown mode {mode}")
    print(json.dumps(answer), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
