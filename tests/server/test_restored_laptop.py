"""A laptop that dies with unsynced work: its backup (``yinling backup create``) is restored on
another disk (``yinling backup restore``), more is recorded, and the sync goes through the
protocol's existing handling against a real county server: everything from before the backup
and after the restore reaches the county once, with no fork."""

from __future__ import annotations

from pathlib import Path

import pytest

from assessment.cli import main
from assessment.records.demo import DEMO_PASSWORD, DEMO_SUPERVISOR
from testkit.process import ServerProcess
from tests.records.conftest import elder
from tests.server.townships import Fleet


def heads(server: ServerProcess, *ids: str) -> int:
    return int(server.scalar(
        "SELECT COUNT(*) FROM record_heads WHERE record_type = 'elder' AND record_id IN "
        f"({', '.join(repr(i) for i in ids)})"))


def test_restore_record_more_sync(shared_server: ServerProcess, tmp_path: Path,
                                  capsys: pytest.CaptureFixture[str],
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("YINLING_PASSWORD", DEMO_PASSWORD)
    fleet = Fleet(tmp_path, capsys)
    fleet.add("one", 81, elders=3)
    fleet.townships(shared_server, shared_server.admin(), {"r": ["one"]})
    fleet.ok("one", "push")
    with fleet.open("one") as ws:
        unsynced = ws.elders.create(elder("未同步", sequence=301)).elder_id
        device_id = ws.device_id
    common = ["--user", DEMO_SUPERVISOR]
    assert main(["backup", "create", "--to", str(tmp_path / "usb"), "--data-dir",
                 str(fleet.dirs["one"]), *common]) == 0
    backup = Path(capsys.readouterr().out.split("已备份：")[1].strip())

    # The laptop dies; its backup is restored on a new disk and work goes on.
    fresh = tmp_path / "new-disk"
    assert main(["backup", "restore", str(backup), "--data-dir", str(fresh), *common]) == 0
    assert "尚未同步的变更" in capsys.readouterr().out
    fleet.dirs["one"] = fresh
    with fleet.open("one") as ws:
        assert ws.device_id == device_id  # the same device, its chain and keys
        after = ws.elders.create(elder("恢复后", sequence=302)).elder_id
    out = fleet.ok("one", "push")
    assert "错误" not in out
    assert heads(shared_server, unsynced, after) == 2
    forks = shared_server.scalar("SELECT COUNT(*) FROM quarantine WHERE device_id = :d",
                                 d=device_id)
    assert forks == 0
    status = fleet.status("one")
    assert status["pending"] == 0
    assert status["acked_seq"] == status["last_seq"]
