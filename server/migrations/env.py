"""Alembic environment: runs migrations on the engine handed over in the config attributes.

On SQLite a migration that changes a column rebuilds its table (copy, drop, rename), which
enforced foreign keys would refuse for a table other rows point at (``devices``). So foreign
keys are switched off on that one connection for the migration (outside any transaction, the
only place SQLite honours it), checked in full before the commit, and switched on again.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, Engine

from server.db.tables import metadata

config = context.config


def _sqlite_foreign_keys(connection: Connection, on: bool) -> None:
    """Switch SQLite's foreign-key enforcement on this connection (no transaction open)."""
    raw = connection.connection.driver_connection
    assert raw is not None
    raw.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")


def run_migrations_online() -> None:
    """Run migrations in one transaction on the configured engine."""
    engine = config.attributes["engine"]
    assert isinstance(engine, Engine)
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            _sqlite_foreign_keys(connection, on=False)
        try:
            context.configure(connection=connection, target_metadata=metadata,
                              render_as_batch=sqlite)
            with context.begin_transaction():
                context.run_migrations()
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise RuntimeError(f"迁移后外键不一致：{broken[:5]}")
            connection.commit()
        finally:
            if sqlite:
                connection.rollback()  # nothing open after a commit; a failure is undone
                _sqlite_foreign_keys(connection, on=True)


run_migrations_online()
