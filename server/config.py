"""Server settings: where the data lives, which database, and the limits it enforces."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

DEFAULT_PORT = 8765


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
