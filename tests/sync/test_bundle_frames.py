"""Version 3 bundles (framed, streamed): frames cut off, reordered, spliced from another
bundle, duplicated or with an altered tag are refused whole, even when the real device key
signs the result; a fault found in the last frame, after earlier batches were applied, rolls
all of them back; version 2 bundles still import."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from assessment.wire import bundle as codec
from assessment.wire.bundle import BundleRejected, encode_bundle, export_bundle, open_bundle
from assessment.wire.changes import Change, canonical_json
from server.bundles import import_bundle
from server.context import ServerContext
from server.db.tables import receipts, received_changes
from testkit.legacy_bundle import encode_bundle_v2
from tests.sync import framing
from tests.sync.conftest import Device
from tests.sync.test_bundle_attacks import snapshot


@pytest.fixture
def small_frames(monkeypatch: pytest.MonkeyPatch) -> None:
    """Frames of about 1.5 KB, so that a few visits make many frames."""
    monkeypatch.setattr(codec, "FRAME_TARGET", 1500)


def _count(ctx: ServerContext) -> int:
    with ctx.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(received_changes)).scalar_one())


def _bundle(device: Device, visits: int = 6) -> tuple[bytes, list[Change]]:
    changes = device.record_visits(visits)
    data, _ = encode_bundle(device.keys, device.link.county_box_key(), changes)
    return data, changes


def test_frames_carry_whole_changes_in_order_and_round_trip(
        county_ctx: ServerContext, device: Device, small_frames: None, tmp_path: Path) -> None:
    device.record_visits(6)
    path = tmp_path / "usb" / "laptop.ylb"
    path.parent.mkdir()
    manifest = export_bundle(device.outbox, device.keys, device.link.county_box_key(), path)
    assert manifest is not None
    assert not path.with_name(path.name + ".part").exists()
    data = path.read_bytes()
    parts = framing.split(data)
    assert len(parts.frames) >= 4
    assert [flags for flags, _ in parts.frames] == [0] * (len(parts.frames) - 1) + [1]
    _, plains = framing.decrypt(data, county_ctx.keys.box)
    seqs = [c["seq"] for p in plains for c in json.loads(p)["changes"]]
    assert seqs == list(range(1, manifest.count + 1))
    outcome = import_bundle(county_ctx, path, "test", batch=5)  # several ingest batches
    assert outcome.result.applied == manifest.count
    assert outcome.result.acked_seq == manifest.seq_to
    assert _count(county_ctx) == manifest.count


def _insider_attacks(device: Device, data: bytes, other: bytes) -> dict[str, bytes]:
    """Frame-level tampering, each re-signed with the real device key (so only the frames'
    own protection can catch it)."""
    parts = framing.split(data)
    frames = parts.frames
    sign = device.keys

    def joined(new: list[tuple[int, bytes]]) -> bytes:
        return framing.join(parts.manifest_bytes, new, sign)

    last = len(frames) - 1
    tag_flipped = bytearray(frames[1][1])
    tag_flipped[-1] ^= 0x01
    body_flipped = bytearray(frames[2][1])
    body_flipped[3] ^= 0x80
    foreign = framing.split(other).frames
    return {
        "truncated-final-dropped": joined(frames[:-1]),
        "truncated-to-one-frame": joined(frames[:1]),
        "truncated-marked-final": joined([*frames[:2], (1, frames[2][1])]),
        "final-flag-cleared": joined([*frames[:-1], (0, frames[-1][1])]),
        "reordered": joined([frames[0], frames[2], frames[1], *frames[3:]]),
        "reversed": joined(frames[::-1]),
        "dropped-middle": joined([frames[0], *frames[2:]]),
        "duplicated": joined([frames[0], frames[1], frames[1], *frames[2:]]),
        "duplicated-last": joined([*frames, frames[-1]]),
        "spliced": joined([frames[0], foreign[1], *frames[2:]]),
        "spliced-final": joined([*frames[:last], foreign[-1]]),
        "tag-altered": joined([frames[0], (0, bytes(tag_flipped)), *frames[2:]]),
        "ciphertext-altered": joined([*frames[:2], (0, bytes(body_flipped)), *frames[3:]]),
        "tag-cut": joined([frames[0], (0, frames[1][1][:-16]), *frames[2:]]),
        "flag-junk": joined([frames[0], (7, frames[1][1]), *frames[2:]]),
        "after-final": joined([*frames, frames[0]]),
    }


def test_frame_tampering_is_refused_whole_even_when_re_signed(
        county_ctx: ServerContext, device: Device, small_frames: None) -> None:
    data, changes = _bundle(device)
    other, _ = encode_bundle(device.keys, device.link.county_box_key(), changes)
    attacks = _insider_attacks(device, data, other)
    # Outsiders: the same files without re-signing, and cuts of the genuine file anywhere.
    signature_off = {f"unsigned-{name}": forged[:-64] + data[-64:]
                     for name, forged in attacks.items()}
    cuts = {f"cut@{n}": data[:n] for n in range(0, len(data), max(1, len(data) // 40))}
    before = snapshot(county_ctx.engine)
    reasons: dict[str, str] = {}
    for name, forged in {**attacks, **signature_off, **cuts,
                         "cut-signature": data[:-1]}.items():
        with pytest.raises(BundleRejected) as refused:
            import_bundle(county_ctx, forged, "test", batch=3)
        reasons[name] = refused.value.reason
    assert snapshot(county_ctx.engine) == before
    for name in ("truncated-final-dropped", "truncated-to-one-frame", "final-flag-cleared"):
        assert "截断" in reasons[name], (name, reasons[name])
    for name in ("reordered", "dropped-middle", "duplicated", "spliced",
                 "spliced-final", "tag-altered", "ciphertext-altered", "tag-cut",
                 "truncated-marked-final"):
        assert "无法解密" in reasons[name], (name, reasons[name])
    assert "多余" in reasons["after-final"]
    assert "多余" in reasons["reversed"]  # the final frame first: the rest is trailing
    assert "多余" in reasons["duplicated-last"]
    assert "格式不符" in reasons["flag-junk"]
    for name, reason in reasons.items():
        if name.startswith("unsigned-"):
            assert any(w in reason for w in ("签名无效", "截断", "多余", "格式不符")), \
                (name, reason)
    # The genuine bundle still goes in afterwards.
    assert import_bundle(county_ctx, data, "test").result.applied == len(changes)


def _plain(items: list[dict[str, Any]]) -> bytes:
    return canonical_json({"changes": items})


@pytest.mark.parametrize(("name", "words"), [
    ("chain-break-between-frames", "哈希链不连续"),
    ("counts-lie", "各类记录数"),
    ("seq-gap-between-frames", "序号"),
    ("beyond-seq-to", "序号"),
    ("short-of-seq-to", "序号"),
    ("empty-frame", "空的数据块"),
    ("bad-change-in-last-frame", r"changes\[11\]\.hash"),
    ("not-json-last-frame", "无法解析"),
])
def test_content_faults_late_in_the_stream_roll_back_every_batch(
        county_ctx: ServerContext, device: Device, name: str, words: str) -> None:
    """An insider's bundle (sealed and signed correctly) whose fault shows only in its last
    frames: the batches before it were applied in the transaction, which is rolled back."""
    changes = device.record_visits(6)  # 12 changes
    items = [c.to_json() for c in changes]
    good, _ = encode_bundle(device.keys, device.link.county_box_key(), changes)
    manifest = framing.split(good).manifest
    plains = [_plain(items[i:i + 3]) for i in range(0, 12, 3)]
    if name == "chain-break-between-frames":
        plains[3] = _plain(items[10:12])
        plains.insert(3, _plain([items[9]]))
        forged = {**items[8], "prev_hash": "f" * 64}
        body = {k: v for k, v in forged.items() if k != "hash"}
        forged["hash"] = hashlib.sha256(canonical_json(body)).hexdigest()
        plains[2] = _plain([items[6], items[7], forged])
    elif name == "counts-lie":
        manifest["counts"] = {"assessment": 7, "elder": 5}
    elif name == "seq-gap-between-frames":
        plains[3] = _plain(items[10:12])
    elif name == "beyond-seq-to":
        manifest.update(seq_to=11, count=11, counts={"assessment": 5, "elder": 6})
    elif name == "short-of-seq-to":
        plains = [*plains[:3], _plain(items[9:11])]
    elif name == "empty-frame":
        plains.append(_plain([]))
    elif name == "bad-change-in-last-frame":
        plains[3] = _plain([items[9], items[10], {**items[11], "hlc": items[11]["hlc"] + 1}])
    elif name == "not-json-last-frame":
        plains[3] = b"{not json"
    data = framing.forge(manifest, plains, device.keys, device.link.county_box_key())
    before = snapshot(county_ctx.engine)
    with pytest.raises(BundleRejected, match=words):
        import_bundle(county_ctx, data, "test", batch=3)
    assert snapshot(county_ctx.engine) == before
    assert _count(county_ctx) == 0


def test_an_honest_forged_bundle_is_accepted(county_ctx: ServerContext,
                                             device: Device) -> None:
    """The independent writer of the tests and the codec agree (the faults above are the
    only reason those bundles are refused)."""
    changes = device.record_visits(6)
    items = [c.to_json() for c in changes]
    good, _ = encode_bundle(device.keys, device.link.county_box_key(), changes)
    plains = [_plain(items[i:i + 3]) for i in range(0, 12, 3)]
    data = framing.forge(framing.split(good).manifest, plains, device.keys,
                         device.link.county_box_key())
    assert import_bundle(county_ctx, data, "test", batch=3).result.applied == 12


def test_a_version_2_bundle_from_the_field_still_imports(county_ctx: ServerContext,
                                                         device: Device) -> None:
    changes = device.record_visits(4)
    data, manifest = encode_bundle_v2(device.keys, device.link.county_box_key(), changes)
    opened = open_bundle(data, device_key=lambda _: device.keys.sign_key.public_key(),
                         county_box=county_ctx.keys.box)
    assert opened.changes == tuple(changes)
    assert opened.manifest.format_version == 2
    outcome = import_bundle(county_ctx, data, "test", batch=3)
    assert outcome.result.applied == len(changes)
    assert outcome.receipt.bundle_id == manifest["bundle_id"]
    with county_ctx.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(receipts)).scalar_one() == 1


def test_a_file_changed_between_the_passes_is_refused(county_ctx: ServerContext,
                                                      device: Device, small_frames: None,
                                                      tmp_path: Path) -> None:
    """The signature is checked in a first pass and the frames read in a second: a file
    overwritten in between (by another genuine bundle of the same changes) is refused."""
    data, changes = _bundle(device)
    other, _ = encode_bundle(device.keys, device.link.county_box_key(), changes)
    path = tmp_path / "swap.ylb"
    path.write_bytes(data)
    with path.open("rb") as handle:
        verified = codec.verify_bundle(
            handle, device_key=lambda _: device.keys.sign_key.public_key(),
            county_box=county_ctx.keys.box)
        path.write_bytes(other)  # same file, new content under the open handle
        with pytest.raises(BundleRejected):
            for _ in verified.batches(3):
                pass


def test_large_changes_make_smaller_batches(county_ctx: ServerContext, device: Device,
                                            small_frames: None,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """A batch ends at :data:`BATCH` changes or once its frames' plaintext reaches
    :data:`BATCH_BYTES`, so a bundle of large changes cannot gather thousands of them in
    memory at once."""
    data, changes = _bundle(device, 6)
    frames = len(framing.split(data).frames)
    assert frames >= 4

    def batches() -> list[int]:
        verified = codec.verify_bundle(
            io.BytesIO(data), device_key=lambda _: device.keys.sign_key.public_key(),
            county_box=county_ctx.keys.box)
        return [len(b) for b in verified.batches(5000)]

    assert batches() == [len(changes)]  # small changes: one batch
    monkeypatch.setattr(codec, "BATCH_BYTES", 1)  # every frame is "large"
    sizes = batches()
    assert len(sizes) == frames
    assert sum(sizes) == len(changes)
