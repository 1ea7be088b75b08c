"""``record_heads.elder_id``: filled in by migration 0003 on a county that already holds heads,
and written by ingest on every head it inserts or moves forward (both databases)."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import insert, select, text

from assessment.scoring import Grader
from assessment.wire.changes import Change
from assessment.wire.device import DeviceKeys
from assessment.wire.enrolment import build_request
from server import county
from server.config import Settings
from server.context import ServerContext
from server.db.engine import alembic_config, make_engine
from server.db.tables import devices, record_heads, townships
from server.enrolment import enrol
from server.ingest import ingest
from server.timeutil import utcnow
from testkit.synthetic import assessment_payload
from tests.server.support import Chain

MANY = 2100  # more assessment heads than one backfill batch (2000)


def _head(record_type: str, record_id: str, payload: str) -> dict[str, Any]:
    return {"record_type": record_type, "record_id": record_id, "version": 1,
            "device_id": "laptop-1", "seq": 1, "hlc": 1, "township_id": 1, "payload": payload,
            "grade": None, "status": None, "updated_at": utcnow()}


def test_upgrade_fills_elder_id_of_existing_heads(db_url: str, tmp_path: Path) -> None:
    engine = make_engine(db_url or f"sqlite:///{tmp_path}/c.sqlite3")
    long_id = "x" * 65
    heads = [
        _head("elder", "e1", json.dumps({"id": "e1", "name": "王秀英"})),
        _head("elder", "e2", "{}"),
        _head("assessment", "a-own", json.dumps({"elder_id": "e1", "total": 3})),
        _head("assessment", "a-spaced", '{ "elder_id" : "e2" }'),  # not canonical text
        _head("assessment", "a-number", json.dumps({"elder_id": 5})),
        _head("assessment", "a-missing", json.dumps({"answers": {}})),
        _head("assessment", "a-list", "[1, 2]"),
        _head("assessment", "a-broken", "{not json"),
        _head("assessment", "a-long", json.dumps({"elder_id": long_id})),
        _head("list", "l1", json.dumps({"elder_id": "e1"})),
        *(_head("assessment", f"bulk-{i:05d}", json.dumps({"elder_id": f"e{i % 7}"}))
          for i in range(MANY)),
    ]
    try:
        command.upgrade(alembic_config(engine), "0002")
        with engine.begin() as conn:
            conn.execute(insert(townships).values(id=1, code="t1", name="一镇",
                                                  created_at=utcnow()))
            conn.execute(insert(record_heads), heads)
        command.upgrade(alembic_config(engine), "0003")
        with engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == \
                "0003"
            stored = {(r.record_type, r.record_id): r.elder_id for r in conn.execute(
                select(record_heads.c.record_type, record_heads.c.record_id,
                       record_heads.c.elder_id))}
        assert len(stored) == len(heads)
        assert {k: v for k, v in stored.items() if not k[1].startswith("bulk-")} == {
            ("elder", "e1"): "e1", ("elder", "e2"): "e2",
            ("assessment", "a-own"): "e1", ("assessment", "a-spaced"): "e2",
            ("assessment", "a-number"): None, ("assessment", "a-missing"): None,
            ("assessment", "a-list"): None, ("assessment", "a-broken"): None,
            ("assessment", "a-long"): None, ("list", "l1"): None}
        assert all(stored[("assessment", f"bulk-{i:05d}")] == f"e{i % 7}" for i in range(MANY))
    finally:
        engine.dispose()


@pytest.fixture
def ctx(db_url: str, tmp_path: Path) -> Iterator[ServerContext]:
    """A county on each database kind with township t1 and one enrolled device."""
    context = ServerContext.open(Settings(data_dir=tmp_path / "county", db_url=db_url))
    with context.engine.begin() as conn:
        county.add_township(conn, "t1", "一镇", "test")
        county.add_account(conn, "ua", "甲", "t1", "test")
        code = county.new_enrolment_code(conn, "ua", "test")
        enrol(conn, build_request(DeviceKeys.generate(), code, "测试"), context.keys, "test")
    yield context
    context.close()


def _elder_ids(ctx: ServerContext) -> dict[tuple[str, str], str | None]:
    with ctx.engine.connect() as conn:
        return {(r.record_type, r.record_id): r.elder_id for r in conn.execute(
            select(record_heads.c.record_type, record_heads.c.record_id,
                   record_heads.c.elder_id))}


def test_ingest_writes_elder_id_on_new_and_moved_heads(ctx: ServerContext) -> None:
    with ctx.engine.connect() as conn:
        device_id, township = conn.execute(
            select(devices.c.device_id, devices.c.township_id)).one()
    chain, rng, grader = Chain(str(device_id)), random.Random(7), Grader()

    def push(changes: list[Change]) -> None:
        with ctx.engine.begin() as conn:
            result = ingest(conn, device_id=str(device_id), township_id=int(township),
                            changes=changes, grader=ctx.grader)
        assert result.quarantined == 0

    def assessment(elder_id: str) -> dict[str, Any]:
        return assessment_payload(grader, rng, elder_id, rules_hash=ctx.grader.rules_hash)

    push([chain.add("elder", "e1", 1, {"name": "王秀英", "info": {}, "attributes": {}}),
          chain.add("assessment", "a1", 1, assessment("e1")),
          chain.add("assessment", "a2", 1, assessment("e2")),  # an elder not (yet) held
          *(chain.add("assessment", f"b{i}", 1, assessment("e1")) for i in range(50))])
    assert _elder_ids(ctx) == {("elder", "e1"): "e1", ("assessment", "a1"): "e1",
                               ("assessment", "a2"): "e2",
                               **{("assessment", f"b{i}"): "e1" for i in range(50)}}
    # Heads moved forward (updated rows): the elder's, and an assessment re-assigned.
    first = chain.changes
    push([chain.add("elder", "e1", 2, {"name": "王秀兰", "info": {}, "attributes": {}}),
          chain.add("assessment", "a1", 2, {**first[1].payload, "elder_id": "e3"}),
          chain.add("elder", "e2", 1, {"name": "李", "info": {}, "attributes": {}})])
    stored = _elder_ids(ctx)
    assert (stored[("elder", "e1")], stored[("assessment", "a1")], stored[("elder", "e2")]) \
        == ("e1", "e3", "e2")
