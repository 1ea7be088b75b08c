"""The server's long-lived objects (settings, engine, keys, grader), built once at start."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.exc import DatabaseError

from server import upload_spool
from server.config import Settings
from server.datafolder import make_private_folder, restrict_database, warn_if_loose
from server.db.cipher import DatabaseKeyError, database_key, encrypt_plain
from server.db.engine import make_engine, upgrade
from server.grading import ServerGrader
from server.keys import CountyKeys, load_or_create
from server.public_address import resolve_public_url


@dataclass(frozen=True, slots=True)
class ServerContext:
    """Everything a request handler or a county command needs."""

    settings: Settings
    engine: Engine
    keys: CountyKeys
    grader: ServerGrader
    public_url: str = ""  # checked, remembered in the data folder (server.public_address)

    @classmethod
    def open(cls, settings: Settings, *, migrate: bool = True) -> ServerContext:
        """Create the data folder (private: :mod:`server.datafolder`), keys and engine (the
        pilot's SQLite database encrypted: :mod:`server.db.cipher`), and upgrade the
        schema."""
        make_private_folder(settings.data_dir)
        warn_if_loose(settings.data_dir)
        upload_spool.sweep(settings.data_dir)
        keys = load_or_create(settings.data_dir)
        public_url = resolve_public_url(settings.data_dir, settings.public_url)
        key: bytes | None = None
        if not settings.db_url:  # the pilot's SQLite file: encrypted (server.db.cipher)
            key = database_key(settings.data_dir)
            encrypt_plain(settings.data_dir / "county.sqlite3", key)
        engine = make_engine(settings.database_url, key)
        try:
            if migrate:
                upgrade(engine)
            if key is not None:
                restrict_database(settings.data_dir)
        except DatabaseError as exc:
            engine.dispose()
            if key is None:
                raise
            raise DatabaseKeyError(
                "县级数据库无法用所配置的密钥打开（密钥不对，或数据库文件已损坏）："
                f"{settings.data_dir / 'county.sqlite3'}") from exc
        except Exception:
            engine.dispose()
            raise
        return cls(settings, engine, keys, ServerGrader(), public_url)

    def close(self) -> None:
        """Release every pooled connection."""
        self.engine.dispose()

    def __enter__(self) -> ServerContext:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
