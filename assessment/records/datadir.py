"""Where a laptop keeps its workspace: the data folder and the files inside it.

The folder is the per-user data directory of the app ``yinling`` (``$XDG_DATA_HOME/yinling``
on Linux, ``%LOCALAPPDATA%\\yinling`` on Windows), or whatever the environment variable
``YINLING_DATA_DIR`` names, so that tests, the demo and portable installs can point elsewhere.
Only :mod:`pathlib` and :mod:`platformdirs` are used: nothing here assumes Linux.
"""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_data_path

APP_NAME = "yinling"
ENV_DATA_DIR = "YINLING_DATA_DIR"
DATABASE_FILE = "yinling.db"
KEYRING_FILE = "yinling.keys.json"


def default_data_dir() -> Path:
    """The data folder: ``$YINLING_DATA_DIR`` when set, else the platform's user data dir."""
    override = os.environ.get(ENV_DATA_DIR, "").strip()
    if override:
        return Path(override).expanduser()
    return user_data_path(APP_NAME, appauthor=False, roaming=False)


def database_path(data_dir: Path) -> Path:
    """The encrypted database file inside ``data_dir``."""
    return data_dir / DATABASE_FILE


def keyring_path(data_dir: Path) -> Path:
    """The sidecar file of per-account wrapped database keys inside ``data_dir``."""
    return data_dir / KEYRING_FILE


def store_files(data_dir: Path) -> list[Path]:
    """The files of the store inside ``data_dir``: the database (with SQLite's WAL and shared
    memory files) and the keyring."""
    db = database_path(data_dir)
    return [db, Path(f"{db}-wal"), Path(f"{db}-shm"), keyring_path(data_dir)]


def workspace_exists(data_dir: Path) -> bool:
    """True when ``data_dir`` holds a database and its keyring."""
    return database_path(data_dir).is_file() and keyring_path(data_dir).is_file()
