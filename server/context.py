"""The server's long-lived objects (settings, engine, keys, grader), built once at start."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from server.config import Settings
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
        """Create the data folder, keys and engine, and upgrade the schema."""
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        keys = load_or_create(settings.data_dir)
        public_url = resolve_public_url(settings.data_dir, settings.public_url)
        engine = make_engine(settings.database_url)
        try:
            if migrate:
                upgrade(engine)
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
