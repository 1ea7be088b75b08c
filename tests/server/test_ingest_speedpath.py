"""Ingest's fast paths write and find exactly what the plain statements would, on both
databases: shared timestamps encoded once, key lists sent as JSON, grade checks built lazily."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from assessment.scoring import Grader
from assessment.wire.device import DeviceKeys
from assessment.wire.enrolment import build_request
from server import county
from server.config import Settings
from server.context import ServerContext
from server.db.bulk import among, insert_rows, streamed_rows
from server.db.tables import devices, received_changes, record_heads
from server.enrolment import enrol
from server.grading import ServerGrader
from testkit.synthetic import assessment_payload

# Strings that stress COPY's text format and JSON: its escapes, separators and NULL marker.
AWKWARD = ["plain", "tab\there", "line\nbreak", "cr\rhere", "back\\slash", "\\N", "", " ",
           'quo"te', "com,ma", "{brace}", "张三", "😀", "\u2028", "a\\\tb\\n"]


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


def _device(ctx: ServerContext) -> tuple[str, int]:
    with ctx.engine.connect() as conn:
        row = conn.execute(select(devices.c.device_id, devices.c.township_id)).one()
    return str(row.device_id), int(row.township_id)


def _head(record_id: str, township: int, when: datetime, payload: str) -> dict[str, Any]:
    return {"record_type": "assessment", "record_id": record_id, "version": 1,
            "device_id": "d", "seq": 1, "hlc": 7, "township_id": township, "payload": payload,
            "grade": None, "status": "finalized", "updated_at": when}


def test_rows_with_a_shared_timestamp_read_back_exactly(ctx: ServerContext) -> None:
    device_id, township = _device(ctx)
    now = datetime(2026, 3, 4, 5, 6, 7, 891011, tzinfo=UTC)
    with ctx.engine.begin() as conn, streamed_rows(
            conn, received_changes, ("device_id", "seq", "record_type", "record_id", "version",
                                     "hlc", "payload", "prev_hash", "hash", "township_id",
                                     "status"),
            same={"source": "bundle", "received_at": now}) as write:
        for seq, text in enumerate(AWKWARD, start=1):
            write((device_id, seq, "elder", text, 1, 10**15 + seq, text, "0" * 64, "1" * 64,
                   township, "applied"))
    with ctx.engine.connect() as conn:
        rows = conn.execute(select(received_changes).order_by(received_changes.c.seq)).all()
    assert [(r.record_id, r.payload, r.hlc, r.source) for r in rows] == \
        [(t, t, 10**15 + i, "bundle") for i, t in enumerate(AWKWARD, start=1)]
    assert {_utc(r.received_at) for r in rows} == {now}


def _utc(value: datetime) -> datetime:
    """A stored timestamp as an aware UTC datetime (SQLite gives it back naive)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def test_insert_rows_keeps_each_rows_own_timestamp(ctx: ServerContext) -> None:
    _, township = _device(ctx)
    shared = datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC)
    own = [shared + timedelta(microseconds=i) for i in range(len(AWKWARD))]
    equal_not_same = [datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC) for _ in AWKWARD]
    cases = {"shared": [shared] * len(AWKWARD), "own": own, "equal": equal_not_same}
    with ctx.engine.begin() as conn:
        for name, stamps in cases.items():
            insert_rows(conn, record_heads, [_head(f"{name}-{i}", township, when, text)
                                             for i, (when, text) in
                                             enumerate(zip(stamps, AWKWARD, strict=True))])
    with ctx.engine.connect() as conn:
        stored = {r.record_id: (_utc(r.updated_at), r.payload)
                  for r in conn.execute(select(record_heads))}
    for name, stamps in cases.items():
        assert [stored[f"{name}-{i}"] for i in range(len(AWKWARD))] == \
            list(zip(stamps, AWKWARD, strict=True))


def test_among_finds_exactly_the_listed_keys(ctx: ServerContext) -> None:
    _, township = _device(ctx)
    now = datetime.now(UTC)
    stored = [*AWKWARD, "other", "x"]
    with ctx.engine.begin() as conn:
        insert_rows(conn, record_heads, [_head(k, township, now, "{}") for k in stored])
    rng = random.Random(4)
    with ctx.engine.connect() as conn:
        for _ in range(20):
            wanted = rng.sample([*AWKWARD, "missing", "othe", "x "], 6)
            found = conn.execute(select(record_heads.c.record_id).where(
                among(conn, record_heads.c.record_id, wanted))).scalars().all()
            assert sorted(found) == sorted(set(wanted) & set(stored))
        versions = conn.execute(select(record_heads.c.record_id).where(
            among(conn, record_heads.c.version, [1, 5]))).scalars().all()
        assert sorted(versions) == sorted(stored)
        assert conn.execute(select(record_heads.c.record_id).where(
            among(conn, record_heads.c.record_id, []))).all() == []


def test_grade_check_reports_claims_and_server_results_for_a_mismatch() -> None:
    grader, rng = Grader(), random.Random(9)
    server = ServerGrader(Grader())
    good = assessment_payload(grader, rng, "e1", rules_hash=server.rules_hash)
    check = server.check(good)
    assert (check.status, check.quarantine, check.mismatches) == ("finalized", None, ())
    assert check.final_grade == good["final_grade"]
    wrong = {**good, "total": -1, "subtotals": {**good["subtotals"], "B.1": -1},
             "reasons": ["x"]}
    check = server.check(wrong)
    assert check.final_grade == good["final_grade"]
    assert check.mismatches == (f"total 上报 -1，服务器计算为 {good['total']}", "B.1 小计不符",
                                "等级变更依据不符")
    assert check.claimed == {"final_grade": good["final_grade"],
                             "initial_grade": good["initial_grade"], "total": -1,
                             "subtotals": wrong["subtotals"], "reasons": ["x"]}
    assert check.computed == {**good["subtotals"], "total": good["total"],
                              "initial_grade": good["initial_grade"],
                              "final_grade": good["final_grade"], "reasons": good["reasons"]}
    draft = server.check({**good, "status": "draft"})
    assert (draft.status, draft.computed, draft.claimed, draft.final_grade) == \
        ("draft", None, None, None)
    answers = dict(good["answers"])
    answers.pop("B.1.1")
    refused = server.check({**good, "answers": answers})
    assert refused.quarantine is not None
    assert refused.quarantine[0] == "ungradable"
