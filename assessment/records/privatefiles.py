"""The laptop's data folder is readable by its user only (issue 12, item 6).

The database and the keyring are encrypted, but a readable keyring still lets another user of
the computer guess passwords offline, and file names and sizes say more than they should. So:

* on POSIX the data folder and its sub-folders are ``0700`` and the store's files ``0600``;
* on Windows the folder's inherited permissions are replaced by full control for the current
  user only (``icacls``), which its files and sub-folders inherit;
* :func:`loose_paths` names what is looser than that, so that opening a workspace can warn.

File systems without modes (FAT on a USB stick) are left as they are.
"""

from __future__ import annotations

import contextlib
import os
import stat
import subprocess
import sys
from pathlib import Path

PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600
# Sub-folders of a data folder that hold personal data or keys.
PRIVATE_FOLDERS = ("service_lists", "backups", "exports")


def _restrict_windows(path: Path, folder: bool) -> None:
    user = os.environ.get("USERNAME")
    if not user:
        return
    grant = f"{user}:(OI)(CI)F" if folder else f"{user}:F"
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        subprocess.run(["icacls", str(path), "/inheritance:r", "/grant:r", grant],
                       capture_output=True, check=False, timeout=30)


def make_private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) if needed and make it private to this user."""
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR_MODE)
    if sys.platform == "win32":
        _restrict_windows(path, folder=True)
    else:
        with contextlib.suppress(OSError):
            os.chmod(path, PRIVATE_DIR_MODE)
    return path


def make_private_file(path: Path) -> None:
    """Make an existing file readable and writable by this user only."""
    if sys.platform == "win32":
        _restrict_windows(path, folder=False)  # a new file inherits its folder's ACL anyway
        return
    with contextlib.suppress(OSError):
        os.chmod(path, PRIVATE_FILE_MODE)


def _store_paths(data_dir: Path) -> list[Path]:
    from assessment.records.datadir import database_path, keyring_path

    db = database_path(data_dir)
    return [db, Path(f"{db}-wal"), Path(f"{db}-shm"), keyring_path(data_dir)]


def secure_data_dir(data_dir: Path) -> None:
    """Make a workspace's folder, its private sub-folders and its store files private."""
    make_private_dir(data_dir)
    for name in PRIVATE_FOLDERS:
        folder = data_dir / name
        if folder.is_dir():
            make_private_dir(folder)
            for item in folder.iterdir():
                if item.is_file():
                    make_private_file(item)
    for path in _store_paths(data_dir):
        if path.exists():
            make_private_file(path)


def loose_paths(data_dir: Path) -> list[Path]:
    """The folder and store files that other users of this computer could read or enter
    (POSIX modes; empty on Windows, whose ACLs :func:`make_private_dir` replaces)."""
    if sys.platform == "win32":
        return []
    found: list[Path] = []
    candidates = [data_dir, *(data_dir / n for n in PRIVATE_FOLDERS), *_store_paths(data_dir)]
    for path in candidates:
        try:
            mode = path.stat().st_mode
        except OSError:
            continue
        if stat.S_IMODE(mode) & (stat.S_IRWXG | stat.S_IRWXO):
            found.append(path)
    return found


def loose_warning(paths: list[Path]) -> str:
    """The Chinese warning shown when :func:`loose_paths` found something."""
    names = "、".join(str(p) for p in paths[:5]) + ("等" if len(paths) > 5 else "")
    return (f"警告：数据文件可被本机其他用户读取（{names}）。"
            "请将数据文件夹权限改为仅本人可访问（如 chmod 700 文件夹、chmod 600 文件）。")
