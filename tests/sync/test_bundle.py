"""Bundles and receipts: export, import exactly like a push, receipt marks changes acked."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from assessment.errors import InputRejected
from assessment.wire import bundle as codec
from assessment.wire.bundle import BundleManifest, export_bundle, read_manifest, write_stream
from assessment.wire.outbox import pending_summary, pending_wire
from assessment.wire.receipt import import_receipt, parse_receipt
from server.bundles import import_bundle, write_receipt
from server.context import ServerContext
from server.db.tables import received_changes, record_heads
from tests.sync.conftest import Device


def _count(ctx: ServerContext) -> int:
    with ctx.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(received_changes)).scalar_one())


def test_export_import_receipt_round_trip(county_ctx: ServerContext, device: Device,
                                          tmp_path: Path) -> None:
    device.record_visits(20)
    path = tmp_path / "out.ylb"
    manifest = export_bundle(device.outbox, device.keys, device.link.county_box_key(), path)
    assert manifest is not None
    assert (manifest.seq_from, manifest.seq_to) == (1, 40)
    assert manifest.counts == {"assessment": 20, "elder": 20}
    assert read_manifest(path.read_bytes()) == manifest
    # The payload is encrypted: no name or ID number in clear.
    first_elder = device.outbox.pending_changes(0, 1)[0].payload
    assert str(first_elder["id_number"]).encode() not in path.read_bytes()
    assert str(first_elder["name"]).encode() not in path.read_bytes()

    outcome = import_bundle(county_ctx, path.read_bytes(), "test")
    assert (outcome.result.applied, outcome.result.acked_seq) == (40, 40)
    assert _count(county_ctx) == 40
    receipt_path = write_receipt(outcome, tmp_path / "receipts")
    receipt = import_receipt(receipt_path, device.outbox, device.link.county_sign_key())
    assert receipt.acked_seq == 40
    assert device.outbox.sync_state().acked_seq == 40
    assert export_bundle(device.outbox, device.keys, device.link.county_box_key(),
                         tmp_path / "again.ylb") is None


def test_a_new_bundle_overlapping_an_imported_one_is_applied_idempotently(
        county_ctx: ServerContext, device: Device, tmp_path: Path) -> None:
    device.record_visits(5)
    first = tmp_path / "1.ylb"
    export_bundle(device.outbox, device.keys, device.link.county_box_key(), first)
    import_bundle(county_ctx, first.read_bytes(), "test")
    device.record_visits(5, seed=2)  # the receipt never came back: export everything again
    second = tmp_path / "2.ylb"
    export_bundle(device.outbox, device.keys, device.link.county_box_key(), second)
    outcome = import_bundle(county_ctx, second.read_bytes(), "test")
    assert (outcome.result.duplicates, outcome.result.applied) == (10, 10)
    assert outcome.result.acked_seq == 20
    with county_ctx.engine.connect() as conn:
        heads = conn.execute(select(func.count()).select_from(record_heads)).scalar_one()
    assert heads == 20
    assert _count(county_ctx) == 20


def test_bundles_imported_out_of_order_report_then_close_the_gap(
        county_ctx: ServerContext, device: Device, tmp_path: Path) -> None:
    device.record_visits(3)
    early = tmp_path / "early.ylb"
    export_bundle(device.outbox, device.keys, device.link.county_box_key(), early)
    device.outbox.mark_acked(6)  # pretend the first bundle's receipt came back
    device.record_visits(3, seed=3)
    late = tmp_path / "late.ylb"
    export_bundle(device.outbox, device.keys, device.link.county_box_key(), late)
    outcome = import_bundle(county_ctx, late.read_bytes(), "test")
    assert outcome.result.acked_seq == 0
    assert outcome.result.gaps == ((1, 6),)
    from server import review

    with county_ctx.engine.connect() as conn:
        gaps = review.list_queue(conn, "gaps")
    assert [(g["from_seq"], g["to_seq"]) for g in gaps] == [(1, 6)]
    outcome = import_bundle(county_ctx, early.read_bytes(), "test")
    assert outcome.result.acked_seq == 12
    with county_ctx.engine.connect() as conn:
        assert review.list_queue(conn, "gaps") == []


def test_receipt_from_another_county_or_for_another_device_is_refused(
        county_ctx: ServerContext, device: Device, tmp_path: Path) -> None:
    device.record_visits(2)
    path = tmp_path / "b.ylb"
    export_bundle(device.outbox, device.keys, device.link.county_box_key(), path)
    outcome = import_bundle(county_ctx, path.read_bytes(), "test")
    data = json.loads(outcome.receipt_bytes)
    data["acked_seq"] = 99
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(InputRejected, match="签名无效"):
        import_receipt(forged, device.outbox, device.link.county_sign_key())
    assert device.outbox.sync_state().acked_seq == 0
    with pytest.raises(InputRejected):
        parse_receipt(b"not json", device.link.county_sign_key())


def test_a_long_log_goes_out_in_parts_each_read_a_page_at_a_time(
        county_ctx: ServerContext, device: Device, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    device.record_visits(12)  # 24 changes
    monkeypatch.setattr(codec, "EXPORT_PAGE", 5)
    box = device.link.county_box_key()
    parts: list[BundleManifest] = []
    after = 0
    while (manifest := export_bundle(device.outbox, device.keys, box,
                                     tmp_path / f"{len(parts)}.ylb", max_changes=10,
                                     after_seq=after)) is not None:
        parts.append(manifest)
        after = manifest.seq_to
    assert [(m.seq_from, m.seq_to, m.count) for m in parts] == [(1, 10, 10), (11, 20, 10),
                                                              (21, 24, 4)]
    assert sum(sum(m.counts.values()) for m in parts) == 24
    for number in range(3):
        outcome = import_bundle(county_ctx, (tmp_path / f"{number}.ylb").read_bytes(), "test")
    assert (outcome.result.acked_seq, _count(county_ctx)) == (24, 24)


def test_changes_that_differ_from_the_announced_count_are_refused(device: Device,
                                                                  tmp_path: Path) -> None:
    device.record_visits(3)
    summary = pending_summary(device.outbox, 0, 100)
    assert summary is not None
    assert summary.count == 6
    box = device.link.county_box_key()
    wires = pending_wire(device.outbox, 0, 100)
    for wrong, pages in ((dataclasses.replace(summary, seq_to=7, count=7), [wires]),
                         (summary, [wires[:3], wires[4:]]),  # one missing in the middle
                         (dataclasses.replace(summary, seq_from=2), [wires[1:]])):
        with (tmp_path / "x.ylb").open("wb") as handle, \
                pytest.raises(InputRejected, match="变更记录"):
            write_stream(handle, device.keys, box, wrong, iter(pages))
