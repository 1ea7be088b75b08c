"""Migrations: the migrated schema is exactly the models' metadata, and opening is idempotent."""

from __future__ import annotations

import os
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from assessment.records.database import open_engine
from assessment.records.migrate import (
    HEAD_REVISION,
    current_revision,
    head_revision,
    upgrade_to_head,
)
from assessment.records.schema import Base
from assessment.records.workspace import Workspace
from tests.records.conftest import PASSWORD


def test_migrated_schema_equals_models(tmp_path: Path) -> None:
    engine = open_engine(tmp_path / "fresh.db", os.urandom(32))
    try:
        upgrade_to_head(engine)
        upgrade_to_head(engine)  # a second run is a no-op
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
            assert current_revision(conn) == head_revision() == HEAD_REVISION
            indexes = {row[0] for row in conn.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'index'")}
            assert "ix_elders_name_pinyin" in indexes
    finally:
        engine.dispose()


def test_reopen_runs_no_migration(workspace: Workspace) -> None:
    data_dir = workspace.data_dir
    workspace.close()
    with Workspace.open(data_dir, "admin", PASSWORD) as ws, ws._store.engine.connect() as conn:
        assert current_revision(conn) == head_revision()
        assert ws.audit.integrity_check() == "ok"
