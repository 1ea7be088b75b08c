"""Engines for SQLite (pilot) and PostgreSQL (production), and schema upgrades via Alembic.

SQLite runs in WAL mode with every transaction started as ``BEGIN IMMEDIATE``: the one writer
lock is taken up front, so two writers queue (busy timeout) instead of failing at commit, and
the county CLI can import a bundle while the server runs. PostgreSQL serialises ingest per
township with a transaction-level advisory lock (:func:`lock_township`).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import sqlcipher3.dbapi2 as sqlcipher
from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event, text

from server.db.cipher import key_pragma

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def is_sqlite(engine: Engine | Connection) -> bool:
    """True for a SQLite engine or connection."""
    return engine.dialect.name == "sqlite"


def make_engine(url: str, key: bytes | None = None) -> Engine:
    """An engine configured for the server's access pattern; a SQLite database with ``key``
    is opened through SQLCipher (:mod:`server.db.cipher`)."""
    if url.startswith("sqlite"):
        extra: dict[str, Any] = {"module": sqlcipher} if key is not None else {}
        engine = create_engine(url, connect_args={"timeout": 60, "check_same_thread": False},
                               pool_size=8, max_overflow=8, **extra)

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # SQLAlchemy's "begin" event issues BEGIN
            cursor = dbapi_conn.cursor()
            if key is not None:
                cursor.execute(key_pragma(key))
                cursor.execute("PRAGMA temp_store=MEMORY")  # no plaintext in temp files
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=60000")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Connection) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_engine(url, pool_size=10, max_overflow=30, pool_pre_ping=True)


def alembic_config(engine: Engine) -> Config:
    """An Alembic configuration bound to ``engine`` (no alembic.ini needed)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest migration (idempotent)."""
    command.upgrade(alembic_config(engine), "head")


def lock_township(conn: Connection, township_id: int) -> None:
    """Serialise ingest for one township until the transaction ends (PostgreSQL only).

    Within a township, feed ids are then handed out in commit order, so a pull cursor never
    skips a change committed late. SQLite already holds its single writer lock.
    """
    if not is_sqlite(conn):
        conn.execute(text("SELECT pg_advisory_xact_lock(:k1, :k2)"),
                     {"k1": 7_315, "k2": township_id})
