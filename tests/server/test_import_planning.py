"""A bundle import keeps PostgreSQL's statistics current inside its one transaction
(:mod:`server.db.planstats`): without them a batch's key lookups were planned as sequential
scans once the tables had grown (minutes per batch at 1,000,000 elders)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import (
    Column,
    Connection,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    insert,
    select,
    text,
)

from assessment.wire.bundle import encode_bundle
from server.bundles import import_bundle
from server.context import ServerContext
from server.db import planstats
from server.db.bulk import among
from server.db.planstats import FreshStatistics
from tests.server.conftest import one_township
from tests.sync.conftest import enrol_device

# Many rows per key, as a batch's lookups meet them (the per-field rows of old).
_metadata = MetaData()
probe = Table("planning_probe", _metadata,
              Column("record_id", String(64), primary_key=True),
              Column("field", String(128), primary_key=True),
              Column("value", Text, nullable=False))


def _estimate(conn: Connection, ids: list[str]) -> int:
    """The rows PostgreSQL expects a batch's field lookup to return."""
    query = select(probe).where(among(conn, probe.c.record_id, ids))
    compiled = query.compile(conn, compile_kwargs={"literal_binds": True})
    top = conn.exec_driver_sql(f"EXPLAIN {compiled}").first()
    assert top is not None
    match = re.search(r"rows=(\d+)", top[0])
    assert match is not None
    return int(match.group(1))


def test_lookups_written_in_the_same_transaction_become_index_scans(pg_url: str) -> None:
    engine = create_engine(pg_url)
    try:
        _metadata.create_all(engine)
        with engine.begin() as conn:
            rows = [{"record_id": f"e{n:07d}", "field": f"f{k:02d}", "value": '"x"'}
                    for n in range(8_000) for k in range(30)]
            conn.execute(insert(probe), rows)
            ids = [f"e{n:07d}" for n in range(0, 8_000, 4)]  # a batch's 2,000 elders
            # Without statistics: a share of the table (at 35 million rows, a parallel
            # sequential scan was chosen and ran for minutes per batch).
            unknown = _estimate(conn, ids)
            assert unknown >= len(rows) // 250
            planner = FreshStatistics(conn, ["planning_probe"], first=100_000)
            planner.done(99_999)
            assert planner.runs == 0
            planner.done(150_000)
            assert planner.runs == 1
            known = _estimate(conn, ids)  # a few rows per key, whatever the table's size
            assert known * 3 < unknown
            assert known <= 30 * 20
            planner.done(299_999)  # not yet twice the last run's work
            assert planner.runs == 1
            planner.done(300_000)
            assert planner.runs == 2
    finally:
        engine.dispose()


@pytest.fixture
def ctx(pg_url: str, tmp_path: Path) -> Iterator[ServerContext]:
    """A county with one township, on PostgreSQL (the statistics are PostgreSQL's)."""
    with one_township(pg_url, tmp_path / "county") as context:
        yield context


def test_a_bundle_import_analyzes_what_it_writes(ctx: ServerContext, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(planstats, "FIRST", 10)
    device = enrol_device(ctx, tmp_path / "laptop", "ua")
    device.record_visits(30)
    data, _ = encode_bundle(device.keys, device.link.county_box_key(),
                            list(device.outbox.pending_changes(0, 1_000)))
    outcome = import_bundle(ctx, data, "test", batch=10)
    assert outcome.result.applied == 60
    with ctx.engine.connect() as conn:
        analyzed: dict[str, int] = dict(conn.execute(text(
            "SELECT relname, analyze_count FROM pg_stat_user_tables WHERE relname IN "
            "('elder_field_state', 'record_heads', 'received_changes', 'elder_state')")).all())
    assert all(count >= 1 for count in analyzed.values()), analyzed
    assert set(analyzed) == {"elder_field_state", "record_heads", "received_changes",
                             "elder_state"}
