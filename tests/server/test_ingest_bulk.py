"""Ingest's bulk paths (COPY on PostgreSQL) and the push-lines parser, in process."""

from __future__ import annotations

import gc
import json
import random
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from assessment.errors import InputRejected
from assessment.scoring import Grader
from assessment.wire.changes import Change, WireChange, change_lines
from assessment.wire.device import DeviceKeys
from assessment.wire.enrolment import build_request
from server import county, field_state
from server.config import Settings
from server.context import ServerContext
from server.db.tables import devices, record_heads
from server.enrolment import enrol
from server.ingest import IngestResult, gc_paused, held_changes, ingest
from server.routes.sync import parse_push_lines
from testkit.synthetic import assessment_payload
from tests.server.support import Chain


@pytest.fixture
def ctx(db_url: str, tmp_path: Path) -> Iterator[ServerContext]:
    """A county on each database kind with township t1 and two enrolled devices."""
    context = ServerContext.open(Settings(data_dir=tmp_path / "county", db_url=db_url))
    with context.engine.begin() as conn:
        county.add_township(conn, "t1", "一镇", "test")
        county.add_account(conn, "ua", "甲", "t1", "test")
        for _ in range(2):
            code = county.new_enrolment_code(conn, "ua", "test")
            enrol(conn, build_request(DeviceKeys.generate(), code, "测试"), context.keys,
                  "test")
    yield context
    context.close()


def _devices(ctx: ServerContext) -> list[tuple[str, int]]:
    with ctx.engine.connect() as conn:
        return [(str(d), int(t)) for d, t in conn.execute(
            select(devices.c.device_id, devices.c.township_id).order_by(devices.c.device_id))]


def _ingest(ctx: ServerContext, device: tuple[str, int],
            changes: Sequence[Change]) -> IngestResult:
    with ctx.engine.begin() as conn:
        return ingest(conn, device_id=device[0], township_id=device[1], changes=changes,
                      grader=ctx.grader)


def _head(ctx: ServerContext, record_type: str, record_id: str) -> dict[str, Any]:
    with ctx.engine.connect() as conn:
        row = conn.execute(select(record_heads).where(
            record_heads.c.record_type == record_type,
            record_heads.c.record_id == record_id)).mappings().one()
    return dict(row)


def test_bulk_ingest_grades_stores_and_recognises_repeats(ctx: ServerContext) -> None:
    device = _devices(ctx)[0]
    chain, rng, grader = Chain(device[0]), random.Random(5), Grader()
    for i in range(300):
        chain.add("assessment", f"a{i}", 1,
                  assessment_payload(grader, rng, "e1", rules_hash=ctx.grader.rules_hash))
    chain.add("assessment", "a0", 2, {**chain.changes[0].payload, "total": -1})  # mismatch
    first = _ingest(ctx, device, chain.changes)
    assert (first.applied, first.duplicates, first.acked_seq) == (301, 0, 301)
    head = _head(ctx, "assessment", "a0")
    assert head["version"] == 2
    assert head["grade"] == chain.changes[0].payload["final_grade"]
    assert json.loads(head["payload"])["total"] == -1
    assert head["payload"] == chain.changes[-1].payload_text()
    again = _ingest(ctx, device, chain.changes)
    assert (again.applied, again.duplicates, again.acked_seq) == (0, 301, 301)
    with ctx.engine.connect() as conn:
        pairs = [(c.seq, c.hash) for c in chain.changes[:5]] + [(1, "f" * 64), (999, "0" * 64)]
        assert held_changes(conn, device[0], pairs) == {1, 2, 3, 4, 5}


def test_a_batch_held_whole_writes_nothing_but_a_stale_last_seen(ctx: ServerContext) -> None:
    device = _devices(ctx)[0]
    chain = Chain(device[0])
    for i in range(3):
        chain.add("elder", f"e{i}", 1, {"name": f"老人{i}"})
    assert _ingest(ctx, device, chain.changes).applied == 3

    def seen() -> Any:
        with ctx.engine.connect() as conn:
            return conn.execute(select(devices.c.last_seen_at).where(
                devices.c.device_id == device[0])).scalar_one()

    def set_seen(value: datetime) -> None:
        with ctx.engine.begin() as conn:
            conn.execute(update(devices).where(devices.c.device_id == device[0])
                         .values(last_seen_at=value))

    just_now = datetime.now(UTC) - timedelta(seconds=5)
    set_seen(just_now)
    again = _ingest(ctx, device, chain.changes)
    assert (again.applied, again.duplicates, again.acked_seq) == (0, 3, 3)
    assert _aware(seen()) == just_now  # held whole, seen a moment ago: nothing written
    long_ago = datetime.now(UTC) - timedelta(hours=2)
    set_seen(long_ago)
    assert _ingest(ctx, device, chain.changes).duplicates == 3
    assert _aware(seen()) > long_ago + timedelta(hours=1)  # stale: the time moves on


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def test_elder_edits_without_a_field_list_diff_against_the_stored_version(
        ctx: ServerContext) -> None:
    (dev_a, township), (dev_b, _) = _devices(ctx)
    a, b = Chain(dev_a), Chain(dev_b)
    base = {"name": "王秀英", "phone": "1", "info": {}, "attributes": {}}
    _ingest(ctx, (dev_a, township), [a.add("elder", "e1", 1, base)])
    # Each device edits one field of version 1 without listing it: the county finds the
    # field by diffing against the stored version 1, so neither edit undoes the other.
    _ingest(ctx, (dev_b, township), [b.add("elder", "e1", 2, {**base, "phone": "2"})])
    _ingest(ctx, (dev_a, township), [a.add("elder", "e1", 2, {**base, "name": "王秀兰"})])
    merged = json.loads(_head(ctx, "elder", "e1")["payload"])
    assert (merged["name"], merged["phone"]) == ("王秀兰", "2")


def _held(known: dict[int, str]) -> Any:
    return lambda pairs: {seq for seq, digest in pairs if known.get(seq) == digest}


def test_push_lines_skip_held_changes_unparsed_and_verify_the_rest() -> None:
    chain = Chain("dev-1")
    for i in range(3):
        chain.add("elder", f"e{i}", 1, {"info": {}, "attributes": {}, "n": i})
    wires = [WireChange.of(c) for c in chain.changes]
    body = change_lines(wires)
    fresh, duplicates = parse_push_lines(body, "dev-1", 10, _held({}))
    assert (fresh, duplicates) == (chain.changes, 0)
    # Held lines are answered from the lookup alone (their content is ignored either way).
    junk = change_lines([wires[0]._replace(raw=b"not json"), *wires[1:]])
    fresh, duplicates = parse_push_lines(junk, "dev-1", 10,
                                         _held({1: chain.changes[0].hash}))
    assert (fresh, duplicates) == (chain.changes[1:], 1)
    # A fork (same seq, other hash) is not held: it is parsed and verified in full.
    with pytest.raises(InputRejected):
        parse_push_lines(junk, "dev-1", 10, _held({1: "0" * 64}))
    wrong_prefix = change_lines([wires[1]._replace(seq=1), wires[2]])
    with pytest.raises(InputRejected, match="序号或哈希"):
        parse_push_lines(wrong_prefix, "dev-1", 10, _held({}))
    with pytest.raises(InputRejected, match="本设备"):
        parse_push_lines(body, "dev-2", 10, _held({}))
    with pytest.raises(InputRejected, match="序号重复"):
        parse_push_lines(change_lines([wires[0], wires[0]]), "dev-1", 10, _held({}))
    with pytest.raises(InputRejected, match="每批最多"):
        parse_push_lines(body, "dev-1", 2, _held({}))


def test_gc_pause_nests_and_restores() -> None:
    assert gc.isenabled()
    with gc_paused():
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()  # left as it was found
    finally:
        gc.enable()


def test_profile_fields_with_copy_specials_are_stored_as_sent(ctx: ServerContext) -> None:
    """Profile fields go to PostgreSQL through ``COPY``: a field name or value holding a
    backslash, a tab, a newline or a carriage return (a profile is a laptop's input) must be
    stored exactly, not split into other columns or rows, and so must ``\\.`` (the
    end-of-data line of ``COPY``'s text format) and ``\\N`` (its null)."""
    device = _devices(ctx)[0]
    chain = Chain(device[0])
    odd = ["a\\b", "tab\there", "line\nbreak", "cr\rhere", "\\.", "\\N", "引号\"和\\\\"]
    info = {f"k{i}{text}": text for i, text in enumerate(odd)}
    chain.add("elder", "odd\tid", 1, {"name": "张\\三", "info": info, "attributes": {}})
    result = _ingest(ctx, device, chain.changes)
    assert (result.applied, result.quarantined) == (1, 0)
    with ctx.engine.connect() as conn:
        stored = {path: state.value for path, state in
                  field_state.load(conn, ["odd\tid"])["odd\tid"].items()}
    assert stored == {"name": "张\\三", **{f"info.{k}": v for k, v in info.items()}}


def test_field_state_survives_the_migration_both_ways(ctx: ServerContext) -> None:
    """Migration 0010 folds the per-field rows into one row per elder: down to 0009 the
    fields come back as rows (values as canonical JSON), up again the same states; odd
    values (a nested object, a small float, an integer beyond 64 bits) included."""
    from alembic import command

    from server.db.engine import alembic_config

    device = _devices(ctx)[0]
    chain = Chain(device[0])
    odd = {"obj": {"b": [1, "二"], "a": None}, "small": 1e-05, "big": 2**70, "t": "制\t表"}
    chain.add("elder", "e1", 1, {"name": "甲", "info": odd, "attributes": {"living": ["独居"]}})
    chain.add("elder", "e2", 1, {"name": "乙", "info": {}, "attributes": {}})
    chain.add("elder", "e1", 2, {"name": "甲二", "info": odd, "attributes": {"living": []},
                                 "changed": ["name"]})
    assert _ingest(ctx, device, chain.changes).applied == 3
    with ctx.engine.connect() as conn:
        before = field_state.load(conn, ["e1", "e2"])
    assert before["e1"]["name"].value == "甲二"
    assert before["e1"]["name"].version == 2
    assert before["e1"]["info.big"].value == 2**70
    assert type(before["e1"]["info.big"].value) is int  # not a float that equals it
    config = alembic_config(ctx.engine)
    command.downgrade(config, "0009")
    with ctx.engine.connect() as conn:
        rows = {(str(r), str(f)): (json.loads(v), int(h), str(d), int(ver))
                for r, f, v, h, d, ver in conn.exec_driver_sql(
                    "SELECT record_id, field, value, hlc, device_id, version "
                    "FROM elder_fields")}
    assert rows == {(elder, path): tuple(state) for elder, fields in before.items()
                    for path, state in fields.items()}
    command.upgrade(config, "head")
    with ctx.engine.connect() as conn:
        after = field_state.load(conn, ["e1", "e2"])
    assert after == before
    assert type(after["e1"]["info.big"].value) is int
    assert after["e1"]["info.small"].value == 1e-05


def test_an_elder_head_reads_back_every_value_exactly(ctx: ServerContext) -> None:
    """The merged profile of an elder head is written by orjson where it can: an integer
    beyond 64 bits (which orjson refuses) and a small float (which it writes as
    ``0.00001``) read back as sent, as do nested objects and Chinese text."""
    device = _devices(ctx)[0]
    chain = Chain(device[0])
    info = {"big": 2**70, "small": 1e-05, "obj": {"b": [1, "二"], "a": None}, "t": "制\t表"}
    chain.add("elder", "e-big", 1, {"name": "张三", "info": info, "attributes": {}})
    chain.add("elder", "e-plain", 1, {"name": "李四", "info": {"small": 1e-05},
                                      "attributes": {"living": ["独居"]}})
    assert _ingest(ctx, device, chain.changes).applied == 2
    big = json.loads(str(_head(ctx, "elder", "e-big")["payload"]))
    assert big == {"name": "张三", "info": info, "attributes": {}, "id": "e-big"}
    assert type(big["info"]["big"]) is int
    plain = json.loads(str(_head(ctx, "elder", "e-plain")["payload"]))
    assert plain["info"]["small"] == 1e-05
    assert plain["attributes"] == {"living": ["独居"]}
