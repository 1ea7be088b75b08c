"""Server settings: where the data lives, which database, and the limits it enforces."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from platformdirs import user_data_path

DEFAULT_PORT = 8765
DATA_DIR_ENV = "YINLING_COUNTY_DATA_DIR"


def default_data_dir() -> Path:
    """The county data folder when ``--data-dir`` is not given: ``$YINLING_COUNTY_DATA_DIR``
    when set, else the platform's per-user data folder of ``yinling-county``
    (``~/.local/share/yinling-county`` on Linux, ``%LOCALAPPDATA%\\yinling-county`` on
    Windows), never the working directory."""
    override = os.environ.get(DATA_DIR_ENV, "").strip()
    if override:
        return Path(override).expanduser()
    return user_data_path("yinling-county", appauthor=False, roaming=False)


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the server needs to start; built by ``yinling serve`` or by tests."""

    data_dir: Path
    db_url: str = ""
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    max_batch: int = 2_000  # changes per push request
    max_body_bytes: int = 32 * 1024 * 1024  # push request body
    max_bundle_bytes: int = 512 * 1024 * 1024
    clock_skew_ms: int = 10 * 60 * 1000  # accepted request timestamp drift
    pull_limit: int = 1_000
    public_url: str = ""  # the county's public address (see server.public_address)
    workers: int = 1  # server processes (sessions, nonces and caches live in the database)

    @property
    def database_url(self) -> str:
        """The configured URL, or the SQLite file in the data folder."""
        return self.db_url or f"sqlite:///{(self.data_dir / 'county.sqlite3').as_posix()}"

    def receipts_dir(self) -> Path:
        """Where bundle receipts are written."""
        return self.data_dir / "receipts"
