"""备份与恢复 on the real encrypted store: a backup made with the online backup API while the
store is open and being written, encrypted as the store is; a restore that checks the file and
says what it holds before it replaces anything; daily copies kept a week; the reminder."""

from __future__ import annotations

import stat
import sys
import zipfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from assessment.cli import main
from assessment.errors import InputRejected
from assessment.privatefiles import loose_paths
from assessment.records.api import RegisterFilter, SignInFailed
from assessment.records.backup import DATABASE, MANIFEST, auto_backup_path, inspect_backup
from assessment.records.datadir import store_files
from assessment.records.workspace import Workspace
from assessment.usecases.backup import (
    backup_job,
    backup_reminder,
    daily_backup,
    inspect,
    restore,
)
from assessment.usecases.progress import CancelToken
from tests.records.conftest import PASSWORD, complete_answers, elder


def make(workspace: Workspace, folder: Path) -> Path:
    return backup_job(workspace, folder)(lambda done, total, text="": None, CancelToken())


def test_backup_while_writing_is_encrypted_and_complete(workspace: Workspace,
                                                        tmp_path: Path) -> None:
    person = workspace.elders.create(elder())
    draft = workspace.assessments.start(person.elder_id, "首次评估")
    workspace.assessments.autosave(draft.assessment_id, complete_answers(draft.answers))
    workspace.assessments.finalize(draft.assessment_id)
    writes: list[int] = []

    def step(done: int, total: int) -> None:  # another write while the copy runs
        if not writes:
            writes.append(1)
            workspace.elders.create(elder("李四", sequence=456))

    path = workspace.backup_to(tmp_path / "usb" / "a.ylbak", progress=step)
    assert writes
    with zipfile.ZipFile(path) as archive:
        raw = archive.read(DATABASE)
    assert not raw.startswith(b"SQLite format 3")  # encrypted as the store is
    assert "张三".encode() not in raw
    summary = inspect_backup(path, "admin", PASSWORD)
    assert summary.device_code == "TEST01"
    assert summary.elders in (1, 2)  # a consistent snapshot, before or after the write
    assert summary.assessments == 1
    assert summary.drafts == 0
    assert summary.unsynced > 0
    assert summary.last_change is not None
    assert any("老人" in line for line in summary.lines())


def test_bad_files_are_refused_and_nothing_is_replaced(workspace: Workspace,
                                                       tmp_path: Path) -> None:
    workspace.elders.create(elder())
    good = make(workspace, tmp_path)
    data_dir = workspace.data_dir
    before = (data_dir / "yinling.db").stat().st_size
    with zipfile.ZipFile(good) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    tampered = tmp_path / "tampered.ylbak"
    with zipfile.ZipFile(tampered, "w") as archive:
        for name, data in members.items():
            if name == DATABASE:
                data = data[:5000] + bytes([data[5000] ^ 1]) + data[5001:]
            archive.writestr(name, data)
    extra = tmp_path / "extra.ylbak"
    with zipfile.ZipFile(extra, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
        archive.writestr("../evil.txt", b"x")
    junk = tmp_path / "junk.ylbak"
    junk.write_bytes(b"not a backup")
    no_manifest = tmp_path / "nomanifest.ylbak"
    with zipfile.ZipFile(no_manifest, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, b"{}" if name == MANIFEST else data)
    for bad, words in ((tampered, "校验值不符"), (extra, "内容不符"), (junk, "不是银龄评估的备份"),
                       (no_manifest, "备份格式")):
        with pytest.raises(InputRejected) as rejected:
            restore(bad, data_dir, "admin", PASSWORD)
        assert words in rejected.value.problems[0].message
    with pytest.raises(SignInFailed):
        inspect(good, "admin", "wrong-password")
    assert (data_dir / "yinling.db").stat().st_size == before
    assert not list(data_dir.glob("replaced-*"))


def test_restore_replaces_and_keeps_the_old_store(tmp_path: Path) -> None:
    data_dir = tmp_path / "laptop"
    ws = Workspace.create(data_dir, username="admin", password=PASSWORD, display_name="管理员",
                          device_code="TEST01")
    ws.elders.create(elder())
    backup = make(ws, tmp_path / "usb")
    ws.elders.create(elder("李四", sequence=456))  # after the backup
    ws.close()
    summary, aside = restore(backup, data_dir, "admin", PASSWORD)
    assert summary.elders == 1
    assert aside is not None
    assert (aside / "yinling.db").is_file()
    with Workspace.open(data_dir, "admin", PASSWORD) as back:
        assert [r.name for r in back.elders.page(RegisterFilter(), 0, 10)] == ["张三"]
        assert back.outbox.verify() == []
    with Workspace.open(aside, "admin", PASSWORD) as old:  # nothing lost
        assert old.elders.count(RegisterFilter()) == 2


def test_daily_backups_kept_a_week(workspace: Workspace) -> None:
    today = date.today()
    first = daily_backup(workspace, today)
    assert first == auto_backup_path(workspace.data_dir, today)
    assert daily_backup(workspace, today) is None  # once a day
    old = auto_backup_path(workspace.data_dir, today - timedelta(days=8))
    old.write_bytes(b"old")
    recent = auto_backup_path(workspace.data_dir, today - timedelta(days=5))
    recent.write_bytes(b"recent")
    daily_backup(workspace, today + timedelta(days=1))
    assert not old.exists()
    assert recent.exists()
    # A copy on this disk does not silence the reminder: it dies with the laptop.
    later = datetime.now(UTC) + timedelta(days=5)
    assert backup_reminder(workspace, later) is not None


def test_reminder_until_synced_or_backed_up(workspace: Workspace, tmp_path: Path) -> None:
    now = datetime.now(UTC)
    workspace.elders.create(elder())
    assert backup_reminder(workspace, now) is None  # fresh work
    later = now + timedelta(days=4)
    message = backup_reminder(workspace, later)
    assert message is not None
    assert "既未同步" in message
    make(workspace, tmp_path)
    assert backup_reminder(workspace, later) is None  # covered by the backup
    workspace.elders.create(elder("李四", sequence=456))  # after the backup: not covered
    assert backup_reminder(workspace, now) is None  # not old yet
    assert backup_reminder(workspace, later) is not None  # four days on, still uncovered
    workspace.outbox.mark_acked(workspace.outbox.sync_state().last_seq)
    assert backup_reminder(workspace, later) is None  # synced


def test_cli_create_inspect_restore(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    data_dir = tmp_path / "laptop"
    with Workspace.create(data_dir, username="admin", password=PASSWORD,
                          display_name="管理员") as ws:
        ws.elders.create(elder())
    monkeypatch.setenv("YINLING_PASSWORD", PASSWORD)
    common = ["--data-dir", str(data_dir), "--user", "admin"]
    assert main(["backup", "create", "--to", str(tmp_path / "usb"), *common]) == 0
    path = Path(capsys.readouterr().out.split("已备份：")[1].strip())
    assert main(["backup", "inspect", str(path), *common]) == 0
    assert "老人：1 位" in capsys.readouterr().out
    assert main(["backup", "restore", str(tmp_path / "none.ylbak"), *common]) == 1
    assert "找不到备份文件" in capsys.readouterr().err
    assert main(["backup", "restore", str(path), *common]) == 0
    out = capsys.readouterr().out
    assert "已从备份恢复" in out
    assert "replaced-" in out


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes")
def test_daily_copies_are_private_and_raise_no_warning(workspace: Workspace) -> None:
    """The daily copies hold the whole store: their folder is 0700 like the data folder, so the
    looser-permissions check stays quiet after the first daily backup."""
    first = daily_backup(workspace, date.today())
    assert first is not None
    assert stat.S_IMODE(first.parent.stat().st_mode) == 0o700
    assert loose_paths(workspace.data_dir, files=store_files(workspace.data_dir)) == []
