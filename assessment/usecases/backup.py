"""备份与恢复: one pipeline behind the app's menu and ``yinling backup``.

* :func:`backup_job`: a backup file of the open store into a chosen folder or USB stick, with
  progress and cancel (the store stays open and usable meanwhile);
* :func:`daily_backup`: the automatic copy on this disk, once a day at sign-in, kept a week;
* :func:`backup_reminder`: a sentence when work older than a few days is neither synced nor in
  an external backup (a local copy dies with the laptop);
* :func:`inspect` and :func:`restore`: check a file and say what it holds; replace the store
  with it (the workspace closed first; the replaced files are kept aside).

The mechanics are :mod:`assessment.records.backup`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from assessment.records.backup import (
    LAST_EXTERNAL_BACKUP,
    SUFFIX,
    BackupSummary,
    _Cancelled,
    auto_backup_path,
    inspect_backup,
    prune_auto_backups,
    restore_backup,
)
from assessment.usecases.progress import Cancelled, CancelToken, ProgressFn

if TYPE_CHECKING:
    from assessment.records.workspace import Workspace

REMIND_AFTER_DAYS = 3


def backup_name(device_code: str, moment: datetime) -> str:
    """``银龄备份-<device code>-<local time>.ylbak``."""
    return f"银龄备份-{device_code}-{moment.astimezone():%Y%m%d-%H%M%S}{SUFFIX}"


def backup_job(workspace: Workspace, folder: Path) -> Callable[[ProgressFn, CancelToken], Path]:
    """Back the open store up into ``folder`` (a job for the app's background helper or the
    command line); the file written."""
    def job(progress: ProgressFn, token: CancelToken) -> Path:
        target = Path(folder) / backup_name(workspace.device_code, datetime.now(UTC))

        def step(done: int, total: int) -> None:
            progress(done, total, f"正在备份（{done}/{total} 页）")

        try:
            return Path(workspace.backup_to(target, external=True, progress=step,
                                            cancelled=lambda: token.cancelled))
        except _Cancelled as exc:
            raise Cancelled from exc

    return job


def daily_backup(workspace: Workspace, today: date | None = None) -> Path | None:
    """Today's automatic local backup, made when missing; older than a week are deleted.
    ``None`` when today's copy already exists."""
    day = today or date.today()
    target = auto_backup_path(workspace.data_dir, day)
    prune_auto_backups(workspace.data_dir, day)
    if target.exists():
        return None
    return Path(workspace.backup_to(target, external=False))


def backup_reminder(workspace: Workspace, now: datetime | None = None,
                    days: int = REMIND_AFTER_DAYS) -> str | None:
    """The reminder, or ``None`` when every change older than ``days`` days is synced or in
    an external backup."""
    moment = now or datetime.now(UTC)
    oldest = workspace.outbox.oldest_unsynced()
    if oldest is None:
        return None
    _, at = oldest
    if at > moment - timedelta(days=days):
        return None
    last = workspace.settings.get(LAST_EXTERNAL_BACKUP)
    covered = last.get("seq") if isinstance(last, dict) else None
    if isinstance(covered, int) and covered >= workspace.outbox.last_seq_before(
            moment - timedelta(days=days)):
        return None
    age = (moment - at).days
    return (f"本机有 {age} 天前的记录既未同步到县级，也未备份到U盘或其他电脑。"
            "电脑损坏将丢失这些记录：请尽快同步，或用“备份到…”备份到U盘。")


def inspect(path: Path, username: str, password: str) -> BackupSummary:
    """Check a backup file and say what it holds."""
    return inspect_backup(path, username, password)


def restore(path: Path, data_dir: Path, username: str, password: str
            ) -> tuple[BackupSummary, Path | None]:
    """Replace the (closed) store in ``data_dir`` with a checked backup."""
    return restore_backup(path, data_dir, username, password)
