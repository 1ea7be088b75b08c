"""The county's data folder holds keys, the admin token, receipts and (in a pilot) the
database with every elder's ID number: only the server's own user may read it.

On POSIX the folder is created 0700 and the files the server writes 0600 (keys and the token
by :mod:`server.keys`, the database key by :mod:`server.db.cipher`, the SQLite database and
its journal files here). What the server finds looser at start (made by hand, copied in,
restored from a backup) is reported in the log with a command to fix it, not changed behind
the operator's back. On Windows the folder belongs under the operator's profile, which only
that user may read; there the check reads each entry's DACL instead of its mode
(:func:`assessment.winacl.windows_is_loose`: anyone but the user, SYSTEM and the
Administrators let in) and names the ``icacls`` command that fixes it.
"""

from __future__ import annotations

import logging
import os
import stat
import sys
from pathlib import Path

from assessment import winacl
from assessment.privatefiles import LooseCheck

log = logging.getLogger("server")

FOLDER_MODE = 0o700
FILE_MODE = 0o600
DATABASE_FILES = ("county.sqlite3", "county.sqlite3-wal", "county.sqlite3-shm")


def make_private_folder(path: Path) -> None:
    """Create the data folder (and its parents) with mode 0700 when missing."""
    if not path.exists():
        path.mkdir(parents=True, mode=FOLDER_MODE)
        if sys.platform != "win32":
            os.chmod(path, FOLDER_MODE)  # mkdir's mode is masked by the umask


def restrict_database(path: Path) -> None:
    """Make the SQLite database files the server created readable by its user only."""
    if sys.platform == "win32":
        return
    for name in DATABASE_FILES:
        file = path / name
        if file.exists() and stat.S_IMODE(file.stat().st_mode) & 0o077:
            os.chmod(file, FILE_MODE)


def _entries(path: Path) -> list[Path]:
    folders = [path] + [p for p in (path / "receipts", path / "uploads") if p.is_dir()]
    found: list[Path] = []
    for folder in folders:
        found.append(folder)
        found += [entry for entry in sorted(folder.iterdir()) if entry.is_file()]
    return found


def loose_entries(path: Path, windows: LooseCheck | None = None) -> list[tuple[Path, int]]:
    """The folder and the files directly in it (and in ``receipts`` and ``uploads``, where
    bundles wait while they are imported) that other users may
    read, write or enter, with their modes. On Windows (or with a ``windows`` check given)
    the DACL decides and the mode is 0."""
    if not path.exists():
        return []
    if windows is None and sys.platform == "win32":
        windows = winacl.windows_is_loose
    if windows is not None:
        return [(entry, 0) for entry in _entries(path) if windows(entry)]
    found: list[tuple[Path, int]] = []
    for entry in _entries(path):
        mode = stat.S_IMODE(entry.stat().st_mode)
        if mode & 0o077:
            found.append((entry, mode))
    return found


def warn_if_loose(path: Path, windows: LooseCheck | None = None) -> list[tuple[Path, int]]:
    """Log a warning for every entry other users can reach, with the command that fixes it;
    the entries."""
    loose = loose_entries(path, windows)
    for entry, mode in loose:
        if windows is not None or sys.platform == "win32":
            log.warning("数据目录权限过宽：%s 允许本机其他用户访问（含个人信息或密钥）；"
                        "请运行 icacls \"%s\" /inheritance:r /grant:r %%USERNAME%%:%s",
                        entry, entry, "(OI)(CI)F" if entry.is_dir() else "F")
            continue
        want = FOLDER_MODE if entry.is_dir() else FILE_MODE
        log.warning("数据目录权限过宽：%s 为 %o，其他用户可读取（含个人信息或密钥）；"
                    "请运行 chmod %o '%s'", entry, mode, want, entry)
    return loose
