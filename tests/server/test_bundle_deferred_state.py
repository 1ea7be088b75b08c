"""A bundle import refreshes the current-state tables once, at the end (server.deferred_state),
instead of after every batch: the rows must be those the heads give (what every push batch
refreshes, and what migration 0007 rebuilds), also for an elder whose profile, assessments
and lifecycle arrive in different batches, an assessment that names another elder in a later
version, and an elder the county held before the bundle; a refused bundle leaves neither
rows nor its table of pending ids behind. On SQLite and PostgreSQL."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect, select

from assessment.ids import new_id
from assessment.scoring import Grader
from assessment.wire.bundle import BundleRejected, encode_bundle
from assessment.wire.changes import canonical_json
from server import current_state
from server.bundles import import_bundle
from server.context import ServerContext
from server.db.tables import assessment_state, elder_state
from testkit.synthetic import assessment_payload, elder_payload
from tests.sync import framing
from tests.sync.conftest import Device, enrol_device


@pytest.fixture
def ctx(township_county: ServerContext) -> ServerContext:
    """A county with one township, on each database kind."""
    return township_county


def _state(ctx: ServerContext) -> tuple[list[Any], list[Any]]:
    with ctx.engine.connect() as conn:
        return ([tuple(r) for r in conn.execute(
                    select(elder_state).order_by(elder_state.c.elder_id))],
                [tuple(r) for r in conn.execute(
                    select(assessment_state).order_by(assessment_state.c.assessment_id))])


def _send(ctx: ServerContext, device: Device, batch: int) -> None:
    after = device.outbox.sync_state().acked_seq
    changes = list(device.outbox.pending_changes(after, 100_000))
    data, _ = encode_bundle(device.keys, device.link.county_box_key(), changes)
    outcome = import_bundle(ctx, data, "test", batch=batch)
    assert outcome.result.quarantined == 0
    device.outbox.mark_acked(outcome.result.acked_seq)


def _no_pending_table(ctx: ServerContext) -> None:
    with ctx.engine.connect() as conn:
        assert "pending_state" not in inspect(conn).get_table_names()
        assert conn.exec_driver_sql(
            "SELECT 1 FROM sqlite_temp_master WHERE name = 'pending_state'"
            if ctx.engine.dialect.name == "sqlite" else
            "SELECT 1 FROM pg_class WHERE relname = 'pending_state'").first() is None


def test_state_refreshed_once_equals_the_heads(ctx: ServerContext, tmp_path: Path) -> None:
    rng, grader = random.Random(7), Grader()
    rules = ctx.grader.rules_hash
    device = enrol_device(ctx, tmp_path / "laptop", "ua")
    held, moved_to = new_id(), new_id()
    moving = new_id()
    device.outbox.record_many([
        ("elder", held, elder_payload(rng)),
        ("assessment", moving, assessment_payload(grader, rng, held, rules_hash=rules))])
    _send(ctx, device, batch=50)  # the county holds `held` and its assessment
    before = _state(ctx)
    assert [r[0] for r in before[1]] == [moving]

    items: list[tuple[str, str, dict[str, Any]]] = []
    elders = [new_id() for _ in range(12)]
    for elder_id in elders:
        items.append(("elder", elder_id, elder_payload(rng)))
    for elder_id in elders:  # the assessments come in later batches than their elders
        items.append(("assessment", new_id(),
                      assessment_payload(grader, rng, elder_id, rules_hash=rules)))
    items.append(("elder", moved_to, elder_payload(rng)))
    # A later version of the held assessment names another elder (entered for the wrong one).
    items.append(("assessment", moving,
                  assessment_payload(grader, rng, moved_to, rules_hash=rules)))
    device.outbox.record_many(items)
    profile = device.outbox.head("elder", elders[0])
    assert profile is not None  # edited in the same bundle, after its assessment
    device.outbox.record_many([("elder", elders[0], {**profile["payload"], "village": "新村",
                                                     "changed": ["village"]})])
    _send(ctx, device, batch=4)

    kept = _state(ctx)
    elder_rows = {r[0]: r for r in kept[0]}
    assessment_rows = {r[0]: r for r in kept[1]}
    assert set(elder_rows) == {held, moved_to, *elders}
    assert assessment_rows[moving][1] == moved_to  # the moved assessment left `held`
    assert elder_rows[held][7] is None
    assert elder_rows[moved_to][7] == moving
    assert elder_rows[elders[0]][3] == "新村"
    with ctx.engine.begin() as conn:
        current_state.rebuild(conn)
    assert _state(ctx) == kept
    _no_pending_table(ctx)
    device.outbox.close()


def test_a_refused_bundle_leaves_no_state_and_no_pending_ids(ctx: ServerContext,
                                                             tmp_path: Path) -> None:
    device = enrol_device(ctx, tmp_path / "laptop", "ua")
    changes = device.record_visits(6)  # 12 changes
    items = [c.to_json() for c in changes]
    good, _ = encode_bundle(device.keys, device.link.county_box_key(), changes)
    manifest = framing.split(good).manifest
    key = device.link.county_box_key()
    plains = [canonical_json({"changes": items[i:i + 4]}) for i in range(0, 12, 4)]
    broken = [*plains[:-1], canonical_json({"changes": [
        *items[8:11], {**items[11], "hlc": items[11]["hlc"] + 1}]})]
    with pytest.raises(BundleRejected):
        import_bundle(ctx, framing.forge(manifest, broken, device.keys, key), "test", batch=4)
    assert _state(ctx) == ([], [])
    _no_pending_table(ctx)
    import_bundle(ctx, framing.forge(manifest, plains, device.keys, key), "test", batch=4)
    assert len(_state(ctx)[0]) == 6
    _no_pending_table(ctx)
    device.outbox.close()
