"""The fast paths of reading a bundle keep every check: each change's hash against its
canonical JSON, the chain, the manifest; a refusal names the first bad change and writes
nothing. Forged here as version 2 bundles (one payload); version 3 frames are forged in
test_bundle_frames."""

from __future__ import annotations

import hashlib
import json
import struct
import zlib
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from sqlalchemy import func, select

from assessment.errors import InputRejected
from assessment.wire import bundle as codec
from assessment.wire.bundle import BundleRejected, encode_bundle, open_bundle
from assessment.wire.changes import GENESIS_HASH, Change, canonical_json, change_from_json
from assessment.wire.crypto import b64encode, public_bytes, seal
from server.bundles import import_bundle
from server.context import ServerContext
from server.db.tables import received_changes
from testkit.legacy_bundle import encode_bundle_v2
from tests.sync.conftest import Device


def _count(ctx: ServerContext) -> int:
    with ctx.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(received_changes)).scalar_one())


def _plain(items: list[dict[str, Any]]) -> bytes:
    """The payload the exporter writes, for change dicts taken as they are."""
    return b'{"changes":[' + b",".join(canonical_json(item) for item in items) + b"]}"


def _sealed(dev: Device, plain: bytes, manifest_edit: dict[str, Any] | None = None) -> bytes:
    """A bundle of ``plain``, sealed to the county and signed by the real device (an insider:
    only the content can be wrong, never the envelope)."""
    good, _ = encode_bundle_v2(dev.keys, dev.link.county_box_key(),
                               list(dev.outbox.pending_changes(0, 1000)))
    pos = len(codec.MAGIC)
    (length,) = struct.unpack_from(">I", good, pos)
    manifest = json.loads(good[pos + 4:pos + 4 + length])
    manifest.update(payload_sha256=hashlib.sha256(plain).hexdigest(), payload_bytes=len(plain),
                    **(manifest_edit or {}))
    eph = X25519PrivateKey.generate()
    manifest["ephemeral_public"] = b64encode(public_bytes(eph.public_key()))
    manifest["nonce"] = b64encode(bytes(12))
    manifest_bytes = canonical_json(manifest)
    _, _, ciphertext = seal(dev.link.county_box_key(), zlib.compress(plain), manifest_bytes,
                            eph, bytes(12))
    body = b"".join((codec.MAGIC, struct.pack(">I", len(manifest_bytes)), manifest_bytes,
                     struct.pack(">Q", len(ciphertext)), ciphertext))
    return body + dev.keys.sign_key.sign(body)


def _items(changes: list[Change]) -> list[dict[str, Any]]:
    return [c.to_json() for c in changes]


def _rehashed(item: dict[str, Any]) -> dict[str, Any]:
    """The item with the hash the laptop would compute for it."""
    body = {k: v for k, v in item.items() if k != "hash"}
    return {**body, "hash": hashlib.sha256(canonical_json(body)).hexdigest()}


def test_exported_changes_come_back_exactly(county_ctx: ServerContext, device: Device) -> None:
    changes = device.record_visits(30)
    data, manifest = encode_bundle(device.keys, device.link.county_box_key(), changes)
    opened = open_bundle(data, device_key=lambda _: device.keys.sign_key.public_key(),
                         county_box=county_ctx.keys.box)
    assert opened.manifest == manifest
    assert opened.changes == tuple(changes)
    assert [c.payload_text() for c in opened.changes] == [c.payload_text() for c in changes]


def test_a_broken_link_with_valid_hashes_is_refused_as_a_chain_break(
        county_ctx: ServerContext, device: Device) -> None:
    items = _items(device.record_visits(3))
    items[4] = _rehashed({**items[4], "prev_hash": GENESIS_HASH})
    for i in range(5, len(items)):  # the rest chained to the altered one, every hash valid
        items[i] = _rehashed({**items[i], "prev_hash": items[i - 1]["hash"]})
    for item in items:
        change_from_json(item)
    with pytest.raises(BundleRejected, match="哈希链不连续"):
        import_bundle(county_ctx, _sealed(device, _plain(items)), "test")
    assert _count(county_ctx) == 0


@pytest.mark.parametrize(("edit", "words"), [
    ({"seq_from": 2, "seq_to": 7}, "序号"),
    ({"counts": {"assessment": 4, "elder": 2}}, "各类记录数"),
    ({"device_id": "another"}, "签名无效|未登记"),
])
def test_manifest_and_content_must_agree(county_ctx: ServerContext, device: Device,
                                         edit: dict[str, Any], words: str) -> None:
    items = _items(device.record_visits(3))
    with pytest.raises(BundleRejected, match=words):
        import_bundle(county_ctx, _sealed(device, _plain(items), edit), "test")
    assert _count(county_ctx) == 0


def test_a_refusal_names_the_first_invalid_change(county_ctx: ServerContext,
                                                  device: Device) -> None:
    items = _items(device.record_visits(3))
    items[3] = {**items[3], "hlc": items[3]["hlc"] + 1}  # altered after hashing
    items[5] = {**items[5], "version": 0}
    with pytest.raises(BundleRejected, match=r"changes\[3\]\.hash"):
        import_bundle(county_ctx, _sealed(device, _plain(items)), "test")
    assert _count(county_ctx) == 0


@pytest.mark.parametrize("text", ["NaN", "Infinity", "-Infinity", "1e999", '"\\ud800"'])
def test_a_payload_without_a_canonical_form_is_refused(county_ctx: ServerContext,
                                                       device: Device, text: str) -> None:
    items = _items(device.record_visits(1))
    items[1] = {**items[1], "payload": {**items[1]["payload"], "x": "__value__"}}
    # json.loads reads these values, but no canonical JSON holds them, so no hash can be
    # checked against one: the change is refused (it used to raise ValueError).
    plain = _plain(items).replace(b'"__value__"', text.encode())
    with pytest.raises(InputRejected, match="无法规范编码"):
        change_from_json(json.loads(plain)["changes"][1])
    # In a bundle the input reader refuses NaN/Infinity first, naming the same field.
    with pytest.raises(BundleRejected, match=r"changes\[1\].*(无法规范编码|不是有效的数字)"):
        import_bundle(county_ctx, _sealed(device, plain), "test")
    assert _count(county_ctx) == 0


def test_an_infinite_number_hashed_as_null_is_refused(county_ctx: ServerContext,
                                                      device: Device) -> None:
    """orjson writes infinity as ``null``: a change carrying ``1e999`` with a hash computed
    over ``null`` would match orjson's text. The input reader refuses the number first."""
    items = _items(device.record_visits(1))
    last = {**items[-1], "payload": {**items[-1]["payload"], "x": None}}
    body = {k: v for k, v in last.items() if k != "hash"}
    items[-1] = {**last, "hash": hashlib.sha256(canonical_json(body)).hexdigest()}
    plain = _plain(items)
    assert plain.count(b'"x":null') == 1
    with pytest.raises(BundleRejected, match="不是有效的数字"):
        import_bundle(county_ctx, _sealed(device, plain.replace(b'"x":null', b'"x":1e999')),
                      "test")
    assert _count(county_ctx) == 0


def test_export_refuses_a_gap_or_a_foreign_first_link(device: Device) -> None:
    changes = device.record_visits(2)
    key = device.link.county_box_key()
    with pytest.raises(InputRejected, match="不连续"):
        encode_bundle(device.keys, key, [changes[0], changes[2]])
    _, manifest = encode_bundle(device.keys, key, changes[1:3])  # a chain may start anywhere
    assert (manifest.seq_from, manifest.seq_to, manifest.count) == (2, 3, 2)


def test_changes_given_out_of_order_are_exported_in_order(county_ctx: ServerContext,
                                                          device: Device) -> None:
    changes = device.record_visits(2)
    data, manifest = encode_bundle(device.keys, device.link.county_box_key(),
                                   changes[1:] + changes[:1])
    assert (manifest.seq_from, manifest.seq_to) == (1, len(changes))
    assert import_bundle(county_ctx, data, "test").result.applied == len(changes)


def test_absurdly_deep_nesting_is_refused_not_crashed(county_ctx: ServerContext,
                                                      device: Device) -> None:
    items = _items(device.record_visits(1))
    items[1] = {**items[1], "payload": {**items[1]["payload"], "x": "__value__"}}
    plain = _plain(items).replace(b'"__value__"', b"[" * 5_000 + b"]" * 5_000)
    with pytest.raises(BundleRejected, match="无法解析"):
        import_bundle(county_ctx, _sealed(device, plain), "test")
    assert _count(county_ctx) == 0
