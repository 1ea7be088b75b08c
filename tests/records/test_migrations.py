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


def test_migration_0010_drops_and_rebuilds_the_term_index(workspace: Workspace) -> None:
    """Down to 0009 the index by elder is built again from the table; up to 0010 it goes,
    and search finds the same elders either way."""
    from alembic import command

    from assessment.records.api import RegisterFilter
    from assessment.records.database import writer
    from assessment.records.migrate import alembic_config
    from assessment.records.search import KEY_MARK, KEY_SORT, elder_terms, sort_key
    from tests.records.conftest import elder

    for sequence, name in zip((371, 381, 391), ("张三", "张三丰", "王秀英"), strict=True):
        workspace.elders.create(elder(name, sequence=sequence))
    engine = workspace._store.engine

    def indexes() -> set[str]:
        with engine.connect() as conn:
            return {row[0] for row in conn.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'index' "
                "AND tbl_name = 'search_terms'")}

    def found(text: str) -> list[str]:
        return [r.name for r in workspace.elders.page(RegisterFilter(text=text), 0, 10)]

    assert "ix_search_terms_elder_num" not in indexes()
    before = {t: found(t) for t in ("zs", "张三", "xiuying", "z")}
    with writer(engine).begin() as conn:
        command.downgrade(alembic_config(conn), "0009_packed_payloads")
    assert "ix_search_terms_elder_num" in indexes()
    with engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT count(*) FROM search_terms "
                                    "INDEXED BY ix_search_terms_elder_num "
                                    "WHERE elder_num > 0").scalar_one()
        assert rows == conn.exec_driver_sql("SELECT count(*) FROM search_terms").scalar_one()
        # A store whose terms were written under older rules: a prefix key missing, a term
        # the rules no longer make. The upgrade brings them to the current rules first.
        num = conn.exec_driver_sql("SELECT num FROM elders WHERE name = '张三'").scalar_one()
    with writer(engine).begin() as conn:
        conn.exec_driver_sql("DELETE FROM search_terms WHERE elder_num = ? AND term = ?",
                             (num, KEY_MARK + "z" + KEY_SORT + sort_key("张三")))
        conn.exec_driver_sql("INSERT INTO search_terms VALUES ('zhang san', ?)", (num,))
    assert "张三" in before["z"]
    assert "张三" not in found("z")
    with writer(engine).begin() as conn:
        command.upgrade(alembic_config(conn), "head")
        assert current_revision(conn) == HEAD_REVISION
    assert "ix_search_terms_elder_num" not in indexes()
    with engine.connect() as conn:
        stored = {row[0] for row in conn.exec_driver_sql(
            "SELECT term FROM search_terms WHERE elder_num = ?", (num,))}
    zhang = workspace.elders.get(workspace.elders.page(RegisterFilter(text="张三"), 0, 1)[0]
                                 .elder_id)
    assert stored == elder_terms("张三", zhang.id_number)
    assert {t: found(t) for t in ("zs", "张三", "xiuying", "z")} == before
    assert before["zs"] == ["张三", "张三丰"]
