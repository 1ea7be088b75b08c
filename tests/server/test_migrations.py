"""The Alembic migrations build exactly the schema the code declares, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from server.db.engine import make_engine, upgrade
from server.db.tables import metadata


def test_migrations_match_the_tables_and_are_idempotent(db_url: str, tmp_path: str) -> None:
    url = db_url or f"sqlite:///{tmp_path}/m.sqlite3"
    engine = make_engine(url)
    try:
        upgrade(engine)
        upgrade(engine)  # a second run changes nothing
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), metadata)
        assert diff == []
    finally:
        engine.dispose()
