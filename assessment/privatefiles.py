"""The laptop's data folder is readable by its user only (issue 12, item 6).

The database and the keyring are encrypted, but a readable keyring still lets another user of
the computer guess passwords offline, and file names and sizes say more than they should. So:

* on POSIX the data folder and its sub-folders are ``0700`` and the store's files ``0600``;
* on Windows the folder's inherited permissions are replaced by full control for the current
  user only (``icacls``), which its files and sub-folders inherit;
* :func:`loose_paths` names what is looser than that, so that opening a workspace can warn
  (the GUI's banner and every command's standard error show :func:`loose_warning`). What is
  "looser" is one small interface (:data:`LooseCheck`): POSIX modes that let the group or
  others in (:func:`posix_is_loose`), or on Windows a DACL that lets in anyone but the user,
  SYSTEM and the Administrators (:func:`assessment.winacl.windows_is_loose`).

File systems without modes (FAT on a USB stick) are left as they are.
"""

from __future__ import annotations

import contextlib
import os
import stat
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from assessment import winacl

PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600
# Sub-folders of a data folder that hold personal data or keys.
PRIVATE_FOLDERS = ("service_lists", "backups", "exports")


LooseCheck = Callable[[Path], bool]
"""Whether other users of the computer may open a path (it exists)."""


def _restrict_windows(path: Path, folder: bool) -> None:
    sid = winacl.current_user_sid()
    user = f"*{sid}" if sid else os.environ.get("USERNAME")
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


def secure_data_dir(data_dir: Path, files: Sequence[Path] = ()) -> None:
    """Make a workspace's folder, its private sub-folders and its store ``files`` private."""
    make_private_dir(data_dir)
    for name in PRIVATE_FOLDERS:
        folder = data_dir / name
        if folder.is_dir():
            make_private_dir(folder)
            for item in folder.iterdir():
                if item.is_file():
                    make_private_file(item)
    for path in files:
        if path.exists():
            make_private_file(path)


def posix_is_loose(path: Path) -> bool:
    """Whether the group or others have any permission on ``path`` (its POSIX mode)."""
    return bool(stat.S_IMODE(path.stat().st_mode) & (stat.S_IRWXG | stat.S_IRWXO))


def platform_check() -> LooseCheck:
    """The looseness check of this operating system."""
    return winacl.windows_is_loose if sys.platform == "win32" else posix_is_loose


def loose_paths(data_dir: Path, is_loose: LooseCheck | None = None,
                files: Sequence[Path] = ()) -> list[Path]:
    """The folder, its private sub-folders and the store ``files`` that other users of this
    computer could read or enter (by ``is_loose``, the platform's check by default)."""
    check = is_loose or platform_check()
    found: list[Path] = []
    candidates = [data_dir, *(data_dir / n for n in PRIVATE_FOLDERS), *files]
    for path in candidates:
        try:
            if path.exists() and check(path):
                found.append(path)
        except OSError:
            continue
    return found


def loose_warning(paths: list[Path], windows: bool | None = None) -> str:
    """The Chinese warning shown when :func:`loose_paths` found something (the fix named
    for Windows or for POSIX; this computer's by default)."""
    names = "、".join(str(p) for p in paths[:5]) + ("等" if len(paths) > 5 else "")
    on_windows = sys.platform == "win32" if windows is None else windows
    fix = ("请将数据文件夹权限改为仅本人可访问（在文件夹“属性 → 安全 → 高级”中禁用继承并只保留"
           "本人，或运行 icacls 文件夹 /inheritance:r /grant:r %USERNAME%:(OI)(CI)F /t）。"
           if on_windows else
           "请将数据文件夹权限改为仅本人可访问（如 chmod 700 文件夹、chmod 600 文件）。")
    return f"警告：数据文件可被本机其他用户读取（{names}）。{fix}"
