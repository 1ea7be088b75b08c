"""Backups of the encrypted store (备份与恢复): make one while the app runs, check one, restore.

A backup is one file (``.ylbak``, a zip archive that is *stored*, not compressed: its contents
are encrypted already) holding

* ``yinling.db``: a copy of the database made with SQLCipher's online backup API from a
  connection keyed like the store's own, so it is encrypted exactly as the store is and is
  consistent even while autosaves keep coming (the API copies a snapshot);
* ``keyring.json``: the accounts' wrapped keys, so the same passwords open it;
* ``manifest.json``: format, device, when, and the SHA-256 of the other two members.

:func:`inspect_backup` checks a file before anything is replaced: the archive's members and
sizes (limits, no other members), the manifest and both hashes, then unlocks the copy with the
account's password and reads what it holds from the database itself (elders, assessments, the
last change, the changes not yet synced) after SQLite's integrity check. :func:`restore_backup`
does the same, then moves the current files aside (``replaced-<time>/`` in the data folder,
nothing is deleted) and puts the backup's in place. A restored laptop syncs as before: the push
asks the county what it holds of this device's chain first, so work the county already has is
not sent again, and anything recorded on top of an older state reaches the county's review as a
fork instead of being lost.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from assessment.errors import InputRejected, Problem
from assessment.privatefiles import make_private_dir
from assessment.records.api import StoreError
from assessment.records.database import connect_raw
from assessment.records.datadir import database_path, keyring_path
from assessment.records.keyring import Keyring

FORMAT = "yinling-backup"
VERSION = 1
SUFFIX = ".ylbak"
MANIFEST, DATABASE, KEYRING = "manifest.json", "yinling.db", "keyring.json"
MAX_DATABASE = 8 * 1024 ** 3  # 8 GB: far beyond a county's largest township
MAX_SMALL = 1024 ** 2  # manifest and keyring
AUTO_FOLDER = "backups"
AUTO_KEEP_DAYS = 7
_AUTO_NAME = re.compile(r"^auto-(\d{8})\.ylbak$")
PAGES_PER_STEP = 256
LAST_EXTERNAL_BACKUP = "local.backup.last_external"  # {"at": ISO time, "seq": covered}

Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class BackupSummary:
    """What a backup holds, read from the database inside it."""

    path: Path
    created_at: datetime
    device_id: str
    device_code: str
    elders: int
    assessments: int  # finalized and superseded
    drafts: int
    last_change: datetime | None
    unsynced: int  # changes after the county's last acknowledgement

    def lines(self) -> list[str]:
        """Chinese lines for the restore dialog and ``yinling backup inspect``."""
        last = (self.last_change.astimezone().strftime("%Y-%m-%d %H:%M")
                if self.last_change else "无")
        return [
            f"备份时间：{self.created_at.astimezone():%Y-%m-%d %H:%M}",
            f"设备：{self.device_code}",
            f"老人：{self.elders} 位",
            f"评估：{self.assessments} 份（另有草稿 {self.drafts} 份）",
            f"最后一次修改：{last}",
            f"尚未同步的变更：{self.unsynced} 条",
        ]


def _refuse(message: str) -> InputRejected:
    return InputRejected([Problem("backup", "invalid", message)])


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


def _private_file(path: Path) -> None:
    with contextlib.suppress(OSError):  # file systems without modes (FAT on a USB stick)
        os.chmod(path, 0o600)


# ------------------------------------------------------------------------------ making one


def write_backup(data_dir: Path, key: bytes, target: Path, *, device_id: str, device_code: str,
                 progress: Progress | None = None,
                 cancelled: Callable[[], bool] | None = None) -> Path:
    """Write a backup of the open store in ``data_dir`` to the file ``target``.

    The database is copied with the online backup API in steps (progress per step; between
    steps ``cancelled()`` may stop it, leaving no file behind). Written to a temporary name
    beside ``target`` and renamed at the end, so a full USB stick never leaves half a backup.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="yinling-backup-") as scratch:
        copy = Path(scratch) / DATABASE
        source = connect_raw(database_path(data_dir), key)
        try:
            dest = connect_raw_plain(copy, key)
            try:
                def step(status: int, remaining: int, total: int) -> None:
                    if progress is not None:
                        progress(total - remaining, total)
                    if cancelled is not None and cancelled():
                        raise _Cancelled

                source.backup(dest, pages=PAGES_PER_STEP, progress=step)
            finally:
                dest.close()
        finally:
            source.close()
        ring = keyring_path(data_dir)
        manifest = {
            "format": FORMAT, "version": VERSION,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "device_id": device_id, "device_code": device_code,
            "database_sha256": _sha256(copy), "keyring_sha256": _sha256(ring),
        }
        partial = target.with_name(target.name + ".part")
        try:
            with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_STORED) as archive:
                archive.writestr(MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2))
                archive.write(ring, KEYRING)
                archive.write(copy, DATABASE)
            _private_file(partial)
            os.replace(partial, target)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    return target


class _Cancelled(Exception):
    """Raised from the backup step callback to stop the copy."""


def connect_raw_plain(path: Path, key: bytes) -> Any:
    """A keyed connection to a new file in rollback-journal mode (the backup's own copy)."""
    import sqlcipher3.dbapi2 as sqlcipher

    conn = sqlcipher.connect(str(path), check_same_thread=False, isolation_level=None)
    conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
    return conn


# ------------------------------------------------------------------------------ reading one


@contextmanager
def _unpacked(path: Path) -> Iterator[tuple[Path, dict[str, Any]]]:
    """Check the archive and its manifest; yield a folder holding the database and keyring."""
    path = Path(path)
    if not path.is_file():
        raise _refuse(f"找不到备份文件 {path}")
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise _refuse("不是银龄评估的备份文件（无法读取）") from exc
    with archive, tempfile.TemporaryDirectory(prefix="yinling-restore-") as scratch:
        members = {info.filename: info for info in archive.infolist()}
        if set(members) != {MANIFEST, DATABASE, KEYRING}:
            raise _refuse("不是银龄评估的备份文件（内容不符）")
        limits = {MANIFEST: MAX_SMALL, KEYRING: MAX_SMALL, DATABASE: MAX_DATABASE}
        for name, info in members.items():
            if info.file_size > limits[name] or info.compress_type != zipfile.ZIP_STORED:
                raise _refuse("备份文件内容过大或格式不符")
        try:
            manifest = json.loads(archive.read(MANIFEST))
        except (ValueError, zipfile.BadZipFile) as exc:
            raise _refuse("备份文件的说明（manifest）已损坏") from exc
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT \
                or manifest.get("version") != VERSION:
            raise _refuse("不是本程序能读取的备份格式")
        for key in ("created_at", "device_id", "device_code", "database_sha256",
                    "keyring_sha256"):
            if not isinstance(manifest.get(key), str):
                raise _refuse("备份文件的说明（manifest）不完整")
        folder = Path(scratch)
        try:
            for name in (DATABASE, KEYRING):
                with archive.open(name) as source, (folder / name).open("wb") as out:
                    shutil.copyfileobj(source, out, 1024 * 1024)
        except (zipfile.BadZipFile, OSError) as exc:
            raise _refuse("备份文件已损坏（无法完整读出）") from exc
        if _sha256(folder / DATABASE) != manifest["database_sha256"] or \
                _sha256(folder / KEYRING) != manifest["keyring_sha256"]:
            raise _refuse("备份文件已损坏或被改动（校验值不符）")
        yield folder, manifest


def _summary(path: Path, folder: Path, manifest: dict[str, Any], username: str,
             password: str) -> tuple[BackupSummary, bytes]:
    key = Keyring.load(folder / KEYRING).unlock(username, password)
    try:
        conn = connect_raw(folder / DATABASE, key)
    except StoreError as exc:
        raise _refuse("备份中的数据库无法用该账户打开（已损坏）") from exc
    try:
        check = conn.execute("PRAGMA integrity_check").fetchone()
        if check is None or check[0] != "ok":
            raise _refuse("备份中的数据库未通过完整性检查")
        state = conn.execute("SELECT device_id, device_code, last_seq, acked_seq "
                             "FROM device_state WHERE id = 1").fetchone()
        if state is None:
            raise _refuse("备份中的数据库缺少设备信息")
        elders = conn.execute("SELECT COUNT(*) FROM elders").fetchone()[0]
        done = conn.execute("SELECT COUNT(*) FROM assessments WHERE status != 'draft'"
                            ).fetchone()[0]
        drafts = conn.execute("SELECT COUNT(*) FROM assessments WHERE status = 'draft'"
                              ).fetchone()[0]
        last = conn.execute("SELECT MAX(created_at) FROM change_log").fetchone()[0]
    except InputRejected:
        raise
    except Exception as exc:
        raise _refuse(f"备份中的数据库无法读取：{exc}") from exc
    finally:
        conn.close()
    last_change = _as_utc(last)
    summary = BackupSummary(
        path=path, created_at=_as_utc(manifest["created_at"]) or datetime.now(UTC),
        device_id=str(state[0]), device_code=str(state[1]), elders=int(elders),
        assessments=int(done), drafts=int(drafts), last_change=last_change,
        unsynced=max(0, int(state[2]) - int(state[3])))
    return summary, key


def _as_utc(value: Any) -> datetime | None:
    if value is None:
        return None
    try:
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def inspect_backup(path: Path, username: str, password: str) -> BackupSummary:
    """Check a backup file whole and say what it holds (nothing is changed)."""
    with _unpacked(path) as (folder, manifest):
        return _summary(Path(path), folder, manifest, username, password)[0]


def restore_backup(path: Path, data_dir: Path, username: str, password: str,
                   *, now: datetime | None = None) -> tuple[BackupSummary, Path | None]:
    """Replace the store in ``data_dir`` with a checked backup; the workspace must be closed.

    Returns the summary and the folder the replaced files were moved to (``None`` when the
    data folder held no store). Refused whole (nothing moved) when the file fails any check.
    """
    data_dir = Path(data_dir)
    moment = now or datetime.now(UTC)
    with _unpacked(path) as (folder, manifest):
        summary, _ = _summary(Path(path), folder, manifest, username, password)
        data_dir.mkdir(parents=True, exist_ok=True)
        aside: Path | None = None
        current = [p for p in _store_files(data_dir) if p.exists()]
        if current:
            aside = make_private_dir(
                data_dir / f"replaced-{moment.astimezone():%Y%m%d-%H%M%S}")
            for item in current:
                shutil.move(str(item), aside / item.name)
        staged_db = data_dir / (DATABASE + ".restoring")
        staged_ring = data_dir / (KEYRING + ".restoring")
        shutil.copyfile(folder / DATABASE, staged_db)
        shutil.copyfile(folder / KEYRING, staged_ring)
        for staged in (staged_db, staged_ring):
            _private_file(staged)
        os.replace(staged_ring, keyring_path(data_dir))
        os.replace(staged_db, database_path(data_dir))
    return summary, aside


def _store_files(data_dir: Path) -> list[Path]:
    db = database_path(data_dir)
    return [db, Path(f"{db}-wal"), Path(f"{db}-shm"), keyring_path(data_dir)]


# ------------------------------------------------------------------------------ daily copies


def auto_backup_path(data_dir: Path, day: date) -> Path:
    """Where the automatic backup of ``day`` lives."""
    make_private_dir(Path(data_dir) / AUTO_FOLDER)  # copies of the store: private like it
    return Path(data_dir) / AUTO_FOLDER / f"auto-{day:%Y%m%d}{SUFFIX}"


def prune_auto_backups(data_dir: Path, today: date, keep_days: int = AUTO_KEEP_DAYS) -> list[Path]:
    """Delete automatic backups older than ``keep_days`` days; the deleted files."""
    folder = Path(data_dir) / AUTO_FOLDER
    removed: list[Path] = []
    if not folder.is_dir():
        return removed
    oldest = today - timedelta(days=keep_days - 1)
    for item in folder.iterdir():
        match = _AUTO_NAME.match(item.name)
        if match is None:
            continue
        try:
            day = datetime.strptime(match.group(1), "%Y%m%d").date()
        except ValueError:
            continue
        if day < oldest:
            item.unlink(missing_ok=True)
            removed.append(item)
    return removed


def oldest_unsynced(engine: Any) -> tuple[int, datetime] | None:
    """The sequence and time of the oldest change of a record (audit entries are not work)
    the county has not acknowledged."""
    from sqlalchemy import text

    with engine.connect() as conn:
        row = conn.execute(text("SELECT seq, created_at FROM change_log WHERE acked = 0 "
                                "AND record_type != 'audit' ORDER BY seq LIMIT 1")).first()
    if row is None:
        return None
    moment = _as_utc(row[1])
    return (int(row[0]), moment) if moment is not None else None
