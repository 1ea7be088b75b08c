"""The county's current-state tables and the statistics read from them.

The dashboard's SQL aggregates and the workbook read from ``elder_state`` and
``assessment_state`` must equal what the county computed before those tables existed (every
payload parsed in Python, kept independently in :mod:`tests.server.stats_reference`), on the
same records, on SQLite and PostgreSQL: elders from two townships (one name shared by two
townships) with finalized, superseded and draft assessments of many dates (some undated, some
with a wrong claimed grade), imported as bundles in small batches, then transferred,
deregistered, merged, re-assessed and edited. Rebuilding the tables from the heads (what
migration 0007 does to existing data) gives the very rows ingest kept.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import select

from assessment.ids import new_id
from assessment.scoring import Grader
from assessment.wire.bundle import encode_bundle
from server import county, current_state, registry, stats, stats_frames, transfers
from server.bundles import import_bundle
from server.config import Settings
from server.context import ServerContext
from server.county_device import CountyAuthor
from server.db.tables import assessment_state, elder_state, quarantine
from testkit.synthetic import assessment_payload, elder_payload
from tests.server import stats_reference as reference
from tests.sync.conftest import Device, enrol_device

AS_OF = (date(2025, 6, 30), date(2025, 12, 31), date(2026, 2, 10))
REASONS = ("首次评估", "常规评估", "即时评估", "因对评估结果有疑问进行的复评", "其他")


@pytest.fixture
def ctx(db_url: str, tmp_path: Path) -> Iterator[ServerContext]:
    """A county with townships t1 一镇, t2 二镇 and t3 一镇 (a repeated name)."""
    context = ServerContext.open(Settings(data_dir=tmp_path / "county", db_url=db_url))
    with context.engine.begin() as conn:
        county.add_township(conn, "t1", "一镇", "test")
        county.add_township(conn, "t2", "二镇", "test")
        county.add_township(conn, "t3", "一镇", "test")
        county.add_account(conn, "ua", "甲", "t1", "test")
        county.add_account(conn, "uc", "丙", "t3", "test")
    yield context
    context.close()


def _assessment(rng: random.Random, grader: Grader, rules: str,
                elder_id: str) -> dict[str, Any]:
    status = rng.choices(("finalized", "superseded", "draft"), (6, 2, 1))[0]
    payload = assessment_payload(grader, rng, elder_id, status, rules_hash=rules)
    day = rng.choice([None, *(date(2024, 1, 1).toordinal() + rng.randint(0, 800)
                              for _ in range(8))])
    if day is not None:
        payload["answers"]["A.1.2"] = payload["reference_date"] = \
            date.fromordinal(day).isoformat()
    payload["answers"]["A.1.3"] = payload["reason"] = rng.choice(REASONS)
    if rng.random() < 0.1:
        payload["finalized_at"] = None
    if rng.random() < 0.05:  # a wrong claim: the server's grade counts
        payload["final_grade"] = (payload["final_grade"] + 1) % 5
    return payload


def _records(device: Device, rng: random.Random, rules: str, elders: int) -> list[str]:
    grader = Grader()
    ids = [new_id() for _ in range(elders)]
    items: list[tuple[str, str, dict[str, Any]]] = []
    for elder_id in ids:
        profile = elder_payload(rng)
        if rng.random() < 0.1:
            profile.pop("birth_date")
        items.append(("elder", elder_id, profile))
        for _ in range(rng.choice((0, 1, 1, 2, 3))):
            items.append(("assessment", new_id(), _assessment(rng, grader, rules, elder_id)))
    device.outbox.record_many(items)
    return ids


def _send(ctx: ServerContext, device: Device) -> None:
    after = device.outbox.sync_state().acked_seq
    changes = list(device.outbox.pending_changes(after, 100_000))
    data, _ = encode_bundle(device.keys, device.link.county_box_key(), changes)
    outcome = import_bundle(ctx, data, "test", batch=17)  # many ingest batches
    assert outcome.result.quarantined == 0
    device.outbox.mark_acked(outcome.result.acked_seq)


def _state(ctx: ServerContext) -> tuple[list[Any], list[Any]]:
    with ctx.engine.connect() as conn:
        return ([tuple(r) for r in conn.execute(
                    select(elder_state).order_by(elder_state.c.elder_id))],
                [tuple(r) for r in conn.execute(
                    select(assessment_state).order_by(assessment_state.c.assessment_id))])


def _same_tables(ours: dict[str, pd.DataFrame], theirs: dict[str, pd.DataFrame]) -> None:
    assert list(ours) == list(theirs)
    for title, table in ours.items():
        pd.testing.assert_frame_equal(table.reset_index(drop=True),
                                      theirs[title].reset_index(drop=True),
                                      check_dtype=False, obj=title)


def test_dashboard_and_workbook_equal_the_payload_computation(
        ctx: ServerContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(42)
    rules = ctx.grader.rules_hash
    first = enrol_device(ctx, tmp_path / "a", "ua")
    other = enrol_device(ctx, tmp_path / "c", "uc")
    ids_a = _records(first, rng, rules, 70)
    ids_c = _records(other, rng, rules, 40)
    _send(ctx, first)
    _send(ctx, other)

    author = CountyAuthor.of(ctx)
    with ctx.engine.begin() as conn:
        for elder_id in ids_a[:4]:
            transfers.transfer_elder(conn, author, elder_id, "t2", "迁居", "test")
        for elder_id, day in zip(ids_a[10:13], (date(2025, 3, 1), date(2025, 12, 31),
                                                 date(2026, 1, 20)), strict=True):
            registry.deregister_elder(conn, author, elder_id, "death", day, "", "test")
        registry.merge_elders(conn, author, ids_c[0], ids_c[1], "同一人", "test")
    # Later work on the laptops: re-assessments and edited profiles (a new village).
    grader = Grader()
    later: list[tuple[str, str, dict[str, Any]]] = []
    for elder_id in ids_a[20:30]:
        later.append(("assessment", new_id(), _assessment(rng, grader, rules, elder_id)))
    for elder_id in ids_a[30:35]:
        head = first.outbox.head("elder", elder_id)
        assert head is not None
        later.append(("elder", elder_id, {**head["payload"], "village": "新村",
                                          "changed": ["village"]}))
    first.outbox.record_many(later)
    _send(ctx, first)
    with ctx.engine.connect() as conn:
        assert conn.execute(select(quarantine)).first() is None

    with ctx.engine.connect() as conn:
        for as_of in AS_OF:
            ours = stats._compute_summary(conn, as_of)
            theirs = reference.reference_summary(conn, as_of)
            assert ours == theirs, as_of
            assert sum(t["elders"] for t in ours["townships"]) > 90
            start, end = date(as_of.year, 1, 1), as_of
            _same_tables(stats.county_workbook(conn, as_of=as_of, start=start,
                                               end=end).tables(),
                         reference.reference_workbook(conn, as_of=as_of, start=start,
                                                      end=end).tables())
        # Every kind of figure is exercised by the data.
        rows = stats._compute_summary(conn, AS_OF[1])["townships"]
        for key in ("never", "assessments", "period_assessments", "due", "due_soon"):
            assert sum(r[key] for r in rows) > 0, key

    # In parts of 17 elders, two worker processes sharing them (on PostgreSQL; SQLite
    # computes them one after another): the same workbook.
    monkeypatch.setattr(stats_frames, "PART", 17)
    with ctx.engine.connect() as conn:
        assert len(stats_frames.part_bounds(conn)) > 5
        as_of = AS_OF[1]
        _same_tables(stats.county_workbook(conn, as_of=as_of, start=date(2025, 1, 1),
                                           end=as_of, workers=2).tables(),
                     reference.reference_workbook(conn, as_of=as_of, start=date(2025, 1, 1),
                                                  end=as_of).tables())

    kept = _state(ctx)
    with ctx.engine.begin() as conn:
        current_state.rebuild(conn)
    assert _state(ctx) == kept
    first.outbox.close()
    other.outbox.close()


def test_add_months_clips_to_the_month_end() -> None:
    assert current_state.add_months(date(2024, 2, 29), 12) == date(2025, 2, 28)
    assert current_state.add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)
    assert current_state.add_months(date(2025, 11, 30), 12) == date(2026, 11, 30)
    for day in (date(2024, 2, 29), date(2023, 8, 31), date(2025, 12, 15)):
        assert current_state.add_months(day, 12) == \
            (pd.Timestamp(day) + pd.DateOffset(months=12)).date()


def test_part_bounds_cover_every_elder_once(ctx: ServerContext, tmp_path: Path) -> None:
    device = enrol_device(ctx, tmp_path / "a", "ua")
    _records(device, random.Random(3), ctx.grader.rules_hash, 23)
    _send(ctx, device)
    with ctx.engine.connect() as conn:
        ids = sorted(str(i) for (i,) in conn.execute(select(elder_state.c.elder_id)))
        for size in (1, 5, 22, 23, 24, 1000):
            bounds = stats_frames.part_bounds(conn, size)
            assert len(bounds) == -(-len(ids) // size), size
            parts = [[i for i in ids if (after is None or i > after) and i <= last]
                     for after, last in bounds]
            assert [i for part in parts for i in part] == ids
            assert all(0 < len(part) <= size for part in parts)


def test_workers_read_the_snapshot_of_the_request(pg_url: str, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Records arriving while the workbook is computed are not half counted: every worker
    reads the snapshot of the connection that asked (here one held since before a bundle
    arrived), not the database of the moment it starts."""
    monkeypatch.setattr(stats_frames, "PART", 9)
    context = ServerContext.open(Settings(data_dir=tmp_path / "county", db_url=pg_url))
    try:
        with context.engine.begin() as conn:
            county.add_township(conn, "t1", "一镇", "test")
            county.add_account(conn, "ua", "甲", "t1", "test")
        rng = random.Random(5)
        device = enrol_device(context, tmp_path / "a", "ua")
        ids = _records(device, rng, context.grader.rules_hash, 30)
        _send(context, device)
        with context.engine.connect() as conn:
            before = stats.county_workbook(conn, as_of=AS_OF[1], workers=1).tables()
        held = context.engine.connect().execution_options(isolation_level="REPEATABLE READ")
        try:
            held.execute(select(elder_state.c.elder_id).limit(1)).all()  # the snapshot
            grader = Grader()  # every elder assessed again, committed meanwhile
            device.outbox.record_many([
                ("assessment", new_id(), {**assessment_payload(
                    grader, rng, elder_id, "finalized", rules_hash=context.grader.rules_hash),
                    "reference_date": "2025-11-30"}) for elder_id in ids])
            _send(context, device)
            during = stats.county_workbook(held, as_of=AS_OF[1], workers=2).tables()
        finally:
            held.close()
        _same_tables(during, before)
        with context.engine.connect() as conn:
            after = stats.county_workbook(conn, as_of=AS_OF[1], workers=2).tables()
        assert not after["能力等级"].equals(before["能力等级"])  # the new elders count now
    finally:
        context.close()
