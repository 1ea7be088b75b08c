"""A streamed bundle import on both databases (PostgreSQL writes its batches with COPY): a
fault in the last frame, found after earlier batches were written in the transaction, leaves
no row anywhere; the same bundle without the fault goes in whole, batch by batch."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from assessment.wire.bundle import BundleRejected, encode_bundle
from assessment.wire.changes import canonical_json
from server.bundles import import_bundle
from server.context import ServerContext
from server.db.tables import elder_state, metadata, received_changes
from tests.sync import framing
from tests.sync.conftest import enrol_device


@pytest.fixture
def ctx(township_county: ServerContext) -> ServerContext:
    """A county with one township, on each database kind."""
    return township_county


def _snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    with engine.connect() as conn:
        return {t.name: sorted(map(tuple, conn.execute(select(t))), key=repr)
                for t in metadata.sorted_tables}


def test_a_late_fault_rolls_back_every_batch(ctx: ServerContext, tmp_path: Path) -> None:
    device = enrol_device(ctx, tmp_path / "laptop", "ua")
    changes = device.record_visits(10)  # 20 changes
    items = [c.to_json() for c in changes]
    good, _ = encode_bundle(device.keys, device.link.county_box_key(), changes)
    manifest = framing.split(good).manifest
    plains = [canonical_json({"changes": items[i:i + 4]}) for i in range(0, 20, 4)]
    broken = [*plains[:-1], canonical_json({"changes": [
        *items[16:19], {**items[19], "hlc": items[19]["hlc"] + 1}]})]
    key = device.link.county_box_key()
    before = _snapshot(ctx.engine)
    with pytest.raises(BundleRejected, match=r"changes\[19\]"):
        import_bundle(ctx, framing.forge(manifest, broken, device.keys, key), "test",
                      batch=4)
    assert _snapshot(ctx.engine) == before
    outcome = import_bundle(ctx, framing.forge(manifest, plains, device.keys, key), "test",
                            batch=4)
    assert (outcome.result.applied, outcome.result.acked_seq) == (20, 20)
    with ctx.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(received_changes)).scalar() == 20
        assert conn.execute(select(func.count()).select_from(elder_state)).scalar() == 10
    device.outbox.close()
