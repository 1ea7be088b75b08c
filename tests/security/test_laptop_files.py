"""The laptop's files (issue 12, items 6 and 10), through the real ``yinling`` command.

Item 6. Before: the database and the keyring were 0644 in a 0755 folder, so any user of the
computer could copy the keyring and guess passwords offline. Now the data folder is 0700 and
the store's files 0600, and signing in warns when they are looser.

Item 10. Before: ``kill -9`` during ``yinling demo --elders 20000`` left a database with no
elders that the next run refused to touch. Now the demo is built in a hidden folder and moved
into place when complete; a rerun clears what an interrupted run left.
"""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from assessment.records.api import RegisterFilter
from assessment.records.datadir import database_path, keyring_path
from assessment.records.demo import DEMO_PASSWORD, DEMO_SUPERVISOR
from assessment.records.workspace import Workspace
from tests.security.laptop_cli import YINLING, yinling

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_workspace_is_private_to_its_user(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    done = yinling("demo", "--elders", "3", "--data-dir", data_dir)
    assert done.returncode == 0, done.stderr
    assert mode(data_dir) == 0o700
    for path in (database_path(data_dir), keyring_path(data_dir)):
        assert mode(path) == 0o600, path
    for wal in data_dir.glob("*-wal"):
        assert mode(wal) == 0o600
    # Every file and folder the store holds: nothing readable by others.
    for path in data_dir.rglob("*"):
        assert not mode(path) & 0o077, path


def test_signing_in_warns_when_the_files_are_readable_by_others(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    assert yinling("demo", "--elders", "3", "--data-dir", data_dir).returncode == 0
    keyring_path(data_dir).chmod(0o644)  # as every store was before
    data_dir.chmod(0o755)
    done = yinling("sync", "--data-dir", data_dir, "--user", DEMO_SUPERVISOR, "status",
                   env={"YINLING_PASSWORD": DEMO_PASSWORD})
    assert done.returncode == 0, done.stderr
    assert "警告：数据文件可被本机其他用户读取" in done.stderr
    assert str(keyring_path(data_dir)) in done.stderr


def test_a_demo_killed_half_way_is_finished_by_the_next_run(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    child = subprocess.Popen([*YINLING, "demo", "--elders", "20000", "--data-dir",
                              str(data_dir)], stderr=subprocess.PIPE, stdout=subprocess.DEVNULL)
    assert child.stderr is not None
    # Wait until it is writing elders (its progress line), then kill it without warning.
    seen = b""
    while b"/" not in seen:
        chunk = os.read(child.stderr.fileno(), 64)
        assert chunk, "demo ended before it wrote anything"
        seen += chunk
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    child.stderr.close()
    assert child.returncode == -signal.SIGKILL
    done = yinling("demo", "--elders", "30", "--data-dir", data_dir)
    assert done.returncode == 0, done.stderr
    with Workspace.open(data_dir, DEMO_SUPERVISOR, DEMO_PASSWORD) as ws:
        assert ws.elders.count(RegisterFilter()) == 30
    assert not (data_dir / ".demo-unfinished").exists()
