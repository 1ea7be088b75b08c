"""A streamed bundle import on both databases (PostgreSQL writes its batches with COPY): a
fault in the last frame, found after earlier batches were written in the transaction, leaves
no row anywhere; the same bundle without the fault goes in whole, batch by batch."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from assessment.wire.bundle import BundleRejected, encode_bundle
from assessment.wire.changes import canonical_json
from server.bundles import import_bundle, read_ahead
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


def _numbered(count: int, reading: list[threading.Event], readers: list[str],
              fault: Exception) -> Iterator[int]:
    """``count`` numbers, noting which thread read each and when it began, then ``fault``."""
    for number in range(count):
        readers.append(threading.current_thread().name)
        reading[number].set()
        yield number
    raise fault


def test_read_ahead_reads_one_batch_ahead_in_a_helper_thread() -> None:
    """The next batch is read by another thread while the caller holds the current one (no
    further), and a fault raised while reading comes out after the batches before it."""
    reading = [threading.Event() for _ in range(3)]
    readers: list[str] = []
    fault = BundleRejected("frame", "第 3 帧校验失败")
    batches = read_ahead(_numbered(3, reading, readers, fault))
    assert next(batches) == 0
    assert reading[1].wait(timeout=60)  # read while the caller still holds batch 0
    assert not reading[2].is_set()  # one batch ahead, not more
    assert threading.current_thread().name not in readers
    assert [next(batches), next(batches)] == [1, 2]
    with pytest.raises(BundleRejected) as raised:
        next(batches)
    assert raised.value is fault


def test_read_ahead_stops_reading_when_the_caller_stops() -> None:
    """A caller that fails (closes the batches early) leaves the stream unread beyond the
    one batch read ahead, and no thread behind."""
    reading = [threading.Event() for _ in range(5)]
    readers: list[str] = []
    batches = read_ahead(_numbered(5, reading, readers, BundleRejected("end", "完")))
    assert next(batches) == 0
    batches.close()
    assert len(readers) == 2
    assert not any(t.name.startswith("bundle-read") for t in threading.enumerate())
