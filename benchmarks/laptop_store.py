"""The laptop store's size and the memory it takes to build (a demo township of ``size``).

* ``laptop_store``: bytes per elder of the encrypted store after building the demo township
  (elders, their assessments, search keys, the change log of every record). Floor: the same
  elders and assessments as bare tables in an encrypted file of the same page size (one row per
  elder with its person fields and JSON, one per assessment with its answers; no index, no
  log), written in the same run. Goal: ≤ 4 KB per elder at 100,000.
* ``laptop_store_build_memory``: peak resident memory of the process that builds it. Floor: the
  peak of a process that only imports the store and opens an empty one. Goal: a 1,000,000-elder
  demo within 2 GB (the build works in batches, so the peak does not grow with the size).

Each build runs in a fresh subprocess, so its peak is its own.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.harness import record

MARKER = "store-bench"
KB = 1024


def _peak_rss_mb() -> float:
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return peak / 1024 if sys.platform != "darwin" else peak / (1024 * 1024)


def child_build(folder: str, size: int) -> None:
    """Build the demo township in ``folder``; print ``MARKER peak_mb``."""
    from assessment.records.demo import create_demo_workspace

    create_demo_workspace(Path(folder), elders=size)
    print(MARKER, _peak_rss_mb(), flush=True)


def child_empty(folder: str) -> None:
    """Create an empty workspace (the store's imports and an open engine); print the peak."""
    from assessment.records.workspace import Workspace

    Workspace.create(Path(folder), username="guanli", password="bench-password-1",
                     display_name="管理员", role="supervisor").close()
    print(MARKER, _peak_rss_mb(), flush=True)


def _spawn(*args: str) -> float:
    out = subprocess.run([sys.executable, "-m", "benchmarks.laptop_store", *args],
                         capture_output=True, text=True, check=True, timeout=7200)
    for line in out.stdout.splitlines():
        if line.startswith(MARKER):
            return float(line.split()[1])
    raise RuntimeError(f"child printed no result: {out.stdout!r} {out.stderr!r}")


def _bare_copy(data_dir: Path, target: Path) -> int:
    """The same elders and assessments as bare tables in a new encrypted file; its bytes."""
    from assessment.records.database import connect_raw
    from assessment.records.demo import DEMO_PASSWORD, DEMO_SUPERVISOR
    from assessment.records.workspace import Workspace

    workspace = Workspace.open(data_dir, DEMO_SUPERVISOR, DEMO_PASSWORD)
    bare = connect_raw(target, os.urandom(32))
    try:
        bare.execute("CREATE TABLE elders (id TEXT, name TEXT, id_number TEXT, sex TEXT, "
                     "birth_date TEXT, village TEXT, address TEXT, phone TEXT, info TEXT, "
                     "attributes TEXT)")
        bare.execute("CREATE TABLE assessments (id TEXT, elder_id TEXT, status TEXT, "
                     "reference_date TEXT, final_grade INTEGER, answers TEXT)")
        engine = workspace._store.engine
        with engine.connect() as conn:
            bare.execute("BEGIN")
            elders = conn.exec_driver_sql(
                "SELECT e.num, e.id, e.name, e.id_number, e.sex, e.birth_date, e.village, "
                "e.address, e.phone FROM elders e ORDER BY e.num")
            from sqlalchemy import select

            from assessment.records.schema import Assessment, ElderDetail

            details = conn.execute(select(ElderDetail.elder_num, ElderDetail.info,
                                          ElderDetail.attributes)
                                   .order_by(ElderDetail.elder_num))
            for row, detail in zip(elders, details, strict=True):
                if row[0] != detail[0]:
                    raise RuntimeError("elders and details out of step")
                bare.execute("INSERT INTO elders VALUES (?,?,?,?,?,?,?,?,?,?)",
                             (*row[1:], json.dumps(detail[1], ensure_ascii=False),
                              json.dumps(detail[2], ensure_ascii=False)))
            for a in conn.execute(select(Assessment.id, Assessment.elder_id, Assessment.status,
                                         Assessment.reference_date, Assessment.final_grade,
                                         Assessment.answers)):
                bare.execute("INSERT INTO assessments VALUES (?,?,?,?,?,?)",
                             (a[0], a[1], a[2], str(a[3]), a[4],
                              json.dumps(a[5], ensure_ascii=False)))
            bare.execute("COMMIT")
        bare.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        bare.close()
        workspace.close()
    return target.stat().st_size


def run(size: int = 100_000) -> list[dict[str, object]]:
    """Build the demo township of ``size`` elders; its bytes per elder and peak memory."""
    from assessment.records.datadir import database_path

    with tempfile.TemporaryDirectory(prefix="store-bench-") as folder:
        root = Path(folder)
        peak = _spawn("--build", str(root / "demo"), str(size))
        empty_peak = _spawn("--empty", str(root / "empty"))
        database = database_path(root / "demo")
        wal = database.with_name(database.name + "-wal")
        stored = database.stat().st_size + (wal.stat().st_size if wal.exists() else 0)
        bare = _bare_copy(root / "demo", root / "bare.db")
    return [
        record("laptop_store", stored / size, "B/elder", bare / size, "≤ 4 KB/elder at 100k",
               elders=size, store_mb=round(stored / KB / KB, 1),
               bare_mb=round(bare / KB / KB, 1), peak_rss_mb=round(peak, 1)),
        record("laptop_store_build_memory", peak, "MB", empty_peak,
               "1M 位老人的演示数据 ≤ 2048 MB", elders=size),
    ]


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--build":
        child_build(sys.argv[2], int(sys.argv[3]))
    elif len(sys.argv) == 3 and sys.argv[1] == "--empty":
        child_empty(sys.argv[2])
    else:
        for line in run(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000):
            print(json.dumps(line, ensure_ascii=False))
