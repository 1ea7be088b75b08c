"""Desktop client start-up and memory on a large roster.

Workloads (each measured in fresh subprocesses, offscreen, best of a few runs):

* ``gui_cold_start``: from process start to the main window shown, signed in, on a demo
  township of ``size`` elders (imports, sign-in with its key derivation, the roster's first
  page). Floor: a bare PySide6 ``QMainWindow`` shown from a fresh process. Goal: ratio ≤ 2.
* ``gui_roster_memory``: resident memory with the roster open after scrolling from the top to
  the bottom of all ``size`` rows (the page cache must keep it flat). Floor: the bare window's
  resident memory. Goal: ≤ 300 MB.

The demo database is generated once per size and kept under the user's cache folder.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.harness import record

MARKER = "gui-bench"
REPEATS = 3


def _schema_tag() -> str:
    """A short hash of the store's schema and migrations: a changed schema, a new database."""
    import hashlib

    import assessment.records as records

    root = Path(records.__file__).parent
    digest = hashlib.sha256()
    for path in sorted([root / "schema.py", *(root / "migrations").rglob("*.py")]):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


def demo_database(size: int) -> Path:
    """A demo workspace of ``size`` elders (generated on first use, then reused)."""
    from platformdirs import user_cache_path

    from assessment.records.datadir import workspace_exists
    from assessment.records.demo import create_demo_workspace

    folder = user_cache_path("yinling-bench", appauthor=False) / f"demo-{size}-{_schema_tag()}"
    if not workspace_exists(folder):
        partial = folder.with_name(folder.name + ".partial")
        if partial.exists():
            import shutil

            shutil.rmtree(partial)
        create_demo_workspace(partial, elders=size)
        partial.rename(folder)
    return folder


def _rss_mb() -> float:
    """Resident memory of this process in MB (Linux /proc; peak RSS elsewhere)."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(kind: str, data_dir: str) -> None:
    """Run in the subprocess: show the window, print ``MARKER seconds_since_start rss_mb``."""
    started = float(os.environ["GUI_BENCH_T0"])
    from PySide6.QtWidgets import QApplication, QMainWindow

    app = QApplication([])
    if kind == "bare":
        window = QMainWindow()
        window.resize(1360, 860)
        window.show()
        app.processEvents()
        elapsed = time.time() - started
        print(MARKER, elapsed, _rss_mb(), flush=True)
        os._exit(0)
    from app.common.context import AppContext
    from app.shell.main import configure
    from app.shell.main_window import MainWindow
    from app.shell.store import opener_for
    from assessment.records.demo import DEMO_ASSESSORS, DEMO_PASSWORD

    configure(app)
    workspace = opener_for(Path(data_dir))(DEMO_ASSESSORS[0], DEMO_PASSWORD)
    main = MainWindow(AppContext.create(workspace, Path(data_dir)))
    main.show()
    app.processEvents()
    elapsed = time.time() - started
    table = main.register.table
    bar = table.verticalScrollBar()
    steps = 400  # a drag from the top to the bottom; the pages it rests on are read
    for step in range(steps + 1):
        bar.setValue(bar.maximum() * step // steps)
        app.processEvents()
        if step % 100 == 0:
            time.sleep(0.06)  # the bar rests: the visible page is read
            app.processEvents()
    print(MARKER, elapsed, _rss_mb(), flush=True)
    workspace.close()
    # Leave without interpreter finalization: PySide6 6.12 can abort while garbage-collecting
    # widgets at exit, after the measurement; that must not fail the run.
    os._exit(0)


def _spawn(kind: str, data_dir: Path) -> tuple[float, float]:
    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
    env["GUI_BENCH_T0"] = repr(time.time())
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.gui_startup", "--child", kind, str(data_dir)],
        env=env, capture_output=True, text=True, check=True, timeout=600,
    )
    for line in out.stdout.splitlines():
        if line.startswith(MARKER):
            _, seconds, rss = line.split()
            return float(seconds), float(rss)
    raise RuntimeError(f"child printed no result: {out.stdout!r} {out.stderr!r}")


def run(size: int = 100_000) -> list[dict[str, object]]:
    """Cold start and roster memory on ``size`` elders, against a bare PySide6 window."""
    data_dir = demo_database(size)
    bare = [_spawn("bare", data_dir) for _ in range(REPEATS)]
    app = [_spawn("app", data_dir) for _ in range(REPEATS)]
    bare_time = min(t for t, _ in bare)
    app_time = min(t for t, _ in app)
    bare_rss = min(r for _, r in bare)
    app_rss = max(r for _, r in app)
    return [
        record("gui_cold_start", app_time, "s", bare_time, "ratio ≤ 2", elders=size),
        record("gui_roster_memory", app_rss, "MB", bare_rss, "≤ 300 MB", elders=size),
    ]


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3])
    else:
        import json

        for line in run(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000):
            print(json.dumps(line, ensure_ascii=False))
