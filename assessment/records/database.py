"""Opening the encrypted SQLite database: SQLCipher 4 through SQLAlchemy.

Connections come from ``sqlcipher3.dbapi2`` through ``creator=``; each one is keyed with the
raw 32-byte key (``PRAGMA key = "x'…'"``, so SQLCipher skips its own passphrase KDF: the key
was already derived and unwrapped by :mod:`assessment.records.keyring`).

Pragmas, and why:

* ``journal_mode=WAL``: a writer never blocks the roster's readers, and a commit is one append
  to the WAL, so a killed process or a dead battery leaves either the old or the new state.
* ``synchronous=FULL``: with WAL, ``NORMAL`` is safe against a crash of the *process* but may
  lose the last commits on *power loss* (the WAL is only synced at checkpoints). Assessors work
  on battery in villages and an autosaved answer must survive the laptop dying, so every commit
  syncs the WAL. The cost is one fsync per autosave (a few milliseconds), which a person typing
  does not notice.
* ``temp_store=MEMORY``: sorts and temporary indexes never spill plaintext to temp files.
* ``foreign_keys=ON`` and a ``busy_timeout`` so that a second connection waits instead of
  failing.

Transactions: the pysqlite driver's own implicit transactions are switched off and SQLAlchemy
emits ``BEGIN`` itself; engines derived with :func:`writer` emit ``BEGIN IMMEDIATE`` so a write
transaction takes the write lock up front and can never deadlock on a lock upgrade.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import sqlcipher3.dbapi2 as sqlcipher
from sqlalchemy import Connection as SAConnection
from sqlalchemy import Engine, FromClause, Table, create_engine, event
from sqlalchemy.pool import QueuePool

from assessment.records.api import StoreError

_WRITE_OPTION = "yinling_write"
BUSY_TIMEOUT_MS = 10_000


def json_dumps(value: Any) -> str:
    """Compact JSON with Chinese kept as UTF-8 (half the size of ``\\uXXXX`` escapes)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def connect_raw(path: Path, key: bytes) -> Any:
    """A keyed DB-API connection (for the engine's pool, benchmarks and low-level checks)."""
    conn = sqlcipher.connect(str(path), check_same_thread=False, isolation_level=None)
    try:
        conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA temp_store = MEMORY")
        # 64 MB of decrypted pages: the search index of a 100,000-elder township stays warm.
        conn.execute("PRAGMA cache_size = -64000")
        # Reading the schema is the first access that needs the key: a wrong key fails here.
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()
        if mode is None or str(mode[0]).lower() != "wal":
            raise StoreError("数据库无法切换到预写日志（WAL）模式")
        conn.execute("PRAGMA synchronous = FULL")
    except sqlcipher.DatabaseError as exc:
        conn.close()
        raise StoreError(f"数据库文件 {path.name} 与密钥不匹配或已损坏：{exc}") from exc
    except BaseException:
        conn.close()
        raise
    return conn


def open_engine(path: Path, key: bytes) -> Engine:
    """An engine over the encrypted database at ``path`` (created when missing)."""

    def creator() -> Any:
        return connect_raw(path, key)

    engine = create_engine(
        "sqlite://",
        creator=creator,
        module=sqlcipher,
        poolclass=QueuePool,
        pool_size=2,
        max_overflow=6,
        json_serializer=json_dumps,
    )
    event.listen(engine, "begin", _on_begin)
    # Fail now (wrong key, unreadable file) rather than at the first query.
    with engine.connect():
        pass
    return engine


def _on_begin(conn: SAConnection) -> None:
    immediate = conn.get_execution_options().get(_WRITE_OPTION, False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def writer(engine: Engine) -> Engine:
    """The same engine, but its transactions begin with ``BEGIN IMMEDIATE``."""
    return engine.execution_options(**{_WRITE_OPTION: True})


def checkpoint(engine: Engine) -> None:
    """Fold the WAL back into the database file (on close; harmless when busy)."""
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")



def fast_insert(connection: SAConnection, table: FromClause,
                rows: Sequence[Mapping[str, Any]]) -> None:
    """``INSERT`` many rows through the driver's ``executemany``, converting each value with
    the column type's own bind processor (the same conversion SQLAlchemy would apply, without
    its per-row statement bookkeeping)."""
    if not rows:
        return
    dialect = connection.dialect
    columns = list(table.columns)
    processors = [column.type.bind_processor(dialect) for column in columns]
    names = [column.key for column in columns]
    if not isinstance(table, Table):
        raise TypeError("fast_insert needs a Table")
    sql = (f"INSERT INTO {table.name} ({', '.join(c.name for c in columns)}) "
           f"VALUES ({', '.join('?' for _ in columns)})")
    params = [
        tuple(value if proc is None or value is None else proc(value)
              for value, proc in zip((row.get(name) for name in names), processors, strict=True))
        for row in rows
    ]
    connection.exec_driver_sql(sql, params)
