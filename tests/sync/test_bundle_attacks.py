"""Every kind of bad version 2 bundle (the format laptops in the field may still carry) is
refused whole, with a Chinese reason, and changes nothing (version 3: test_bundle_frames).

Well over 200 mutated bundles: bit flips anywhere, truncations, trailing bytes, manifest
edits (with and without re-signing by the real device key), payload inconsistencies, replays,
foreign and revoked devices, downgraded format versions and oversize files.
"""

from __future__ import annotations

import hashlib
import json
import random
import struct
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from sqlalchemy import Engine, select

from assessment.wire import bundle as codec
from assessment.wire.bundle import BundleRejected
from assessment.wire.changes import canonical_json, make_change
from assessment.wire.crypto import b64encode, key_id, public_bytes, seal
from assessment.wire.device import DeviceKeys
from server import county
from server.bundles import import_bundle
from server.context import ServerContext
from server.db.tables import metadata
from testkit.legacy_bundle import encode_bundle_v2
from tests.sync.conftest import Device, enrol_device

EXPECTED = {  # attack name prefix -> words its refusal must contain
    "foreign": "未登记", "impostor": "签名无效", "revoked": "停用", "downgrade-codec": "过旧",
    "insider-downgrade": "过旧", "oversize": "过大", "other-county": "本县",
    "cut": "截断", "insider-future": "升级", "empty": "不是",
}


def snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (the test databases are small)."""
    with engine.connect() as conn:
        return {t.name: sorted(map(tuple, conn.execute(select(t))), key=repr)
                for t in metadata.sorted_tables}


def assemble(manifest: dict[str, Any], ciphertext: bytes, keys: DeviceKeys) -> bytes:
    """A bundle from parts, signed with ``keys`` (for insider-signed inconsistencies)."""
    manifest_bytes = canonical_json(manifest)
    body = b"".join((codec.MAGIC, struct.pack(">I", len(manifest_bytes)), manifest_bytes,
                     struct.pack(">Q", len(ciphertext)), ciphertext))
    return body + keys.sign_key.sign(body)


def split(data: bytes) -> tuple[dict[str, Any], bytes]:
    """(manifest, ciphertext) of a bundle."""
    pos = len(codec.MAGIC)
    (mlen,) = struct.unpack_from(">I", data, pos)
    manifest = json.loads(data[pos + 4:pos + 4 + mlen])
    pos += 4 + mlen
    (clen,) = struct.unpack_from(">Q", data, pos)
    return manifest, data[pos + 8:pos + 8 + clen]


def resealed(ctx: ServerContext, dev: Device, manifest_edit: Callable[[dict[str, Any]], None],
             plaintext: bytes | None = None, compress: bool = True) -> bytes:
    """A bundle whose manifest is edited, re-encrypted and re-signed by the real device."""
    changes = list(dev.outbox.pending_changes(0, 1000))
    good, _ = encode_bundle_v2(dev.keys, dev.link.county_box_key(), changes)
    manifest, _ = split(good)
    plain = plaintext if plaintext is not None else canonical_json(
        {"changes": [c.to_json() for c in changes]})
    manifest_edit(manifest)
    eph = X25519PrivateKey.generate()
    manifest["ephemeral_public"] = b64encode(public_bytes(eph.public_key()))
    body = zlib.compress(plain) if compress else plain
    nonce = bytes(12)
    manifest["nonce"] = b64encode(nonce)
    _, _, ciphertext = seal(dev.link.county_box_key(), body, canonical_json(manifest), eph,
                            nonce)
    return assemble(manifest, ciphertext, dev.keys)


def test_every_mutated_bundle_is_refused_and_nothing_changes(
        county_ctx: ServerContext, device: Device, tmp_path: Path) -> None:
    rng = random.Random(20251122)
    device.record_visits(4)
    changes = list(device.outbox.pending_changes(0, 100))
    good, _ = encode_bundle_v2(device.keys, device.link.county_box_key(), changes)
    attacks: list[tuple[str, bytes]] = []

    # Bit flips all over the file (magic, lengths, manifest, ciphertext, signature).
    positions = sorted(rng.sample(range(len(good)), 110)) + list(range(0, len(good), 97))[:20]
    for pos in positions:
        flipped = bytearray(good)
        flipped[pos] ^= 1 << rng.randrange(8)
        attacks.append((f"flip@{pos}", bytes(flipped)))
    # Truncations and trailing junk.
    for cut in sorted(set(rng.sample(range(len(good)), 35)) | {0, 1, 8, 12, len(good) - 1}):
        attacks.append((f"cut@{cut}", good[:cut]))
    for extra in (b"\0", b"x" * 64, good[-64:]):
        attacks.append(("trailing", good + extra))

    manifest, ciphertext = split(good)
    # Manifest edits without re-signing (an outsider's edit).
    edits: list[tuple[str, Any]] = [
        ("seq_to", manifest["seq_to"] + 1), ("count", 1), ("device_id", "x"),
        ("counts", {"elder": 8}), ("payload_sha256", "0" * 64), ("format_version", 1),
        ("created_at", "2000-01-01T00:00:00+00:00"), ("bundle_id", "00000000"),
        ("compression", "none"), ("county_key_id", "0" * 16),
    ]
    for key, value in edits:
        attacks.append((f"edit-{key}", assemble({**manifest, key: value}, ciphertext,
                                                 DeviceKeys.generate())))
        edited = canonical_json({**manifest, key: value})
        raw = bytearray(good)
        start = len(codec.MAGIC) + 4
        attacks.append((f"raw-edit-{key}", bytes(raw[:start - 4]) +
                        struct.pack(">I", len(edited)) + edited + bytes(raw[start + len(
                            canonical_json(manifest)):])))

    # Insider-signed inconsistencies: the real device key signs a lying manifest.
    def setter(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
        return lambda m: m.__setitem__(key, value)

    plain = canonical_json({"changes": [c.to_json() for c in changes]})
    lies: list[tuple[str, Callable[[dict[str, Any]], None], bytes | None]] = [
        ("count", setter("count", 7), None),
        ("seq_from", setter("seq_from", 2), None),
        ("counts", setter("counts", {"assessment": 8}), None),
        ("sha", setter("payload_sha256", "1" * 64), None),
        ("bytes", setter("payload_bytes", len(plain) + 1), None),
        ("county", setter("county_key_id", key_id(b"x" * 32)), None),
        ("downgrade-1", setter("format_version", 1), None),
        ("downgrade-0", setter("format_version", 0), None),
        ("future", setter("format_version", codec.FORMAT_VERSION + 1), None),
        ("foreign-change", lambda m: None, canonical_json({"changes": [
            make_change(device_id="intruder", seq=1, record_type="elder", record_id="r",
                        version=1, hlc=1, payload={}, prev_hash="0" * 64).to_json()]})),
        ("not-json", lambda m: None, b"{not json"),
        ("extra-key", lambda m: None, canonical_json({"changes": [], "x": 1})),
        ("tampered-change", lambda m: None, plain.replace(b'"version":1', b'"version":2', 1)),
        ("bomb", setter("payload_bytes", 10**9), None),
    ]
    for name, edit, body in lies:
        def fix(m: dict[str, Any], edit: Callable[[dict[str, Any]], None] = edit,
                body: bytes | None = body) -> None:
            if body is not None:
                m["payload_sha256"] = hashlib.sha256(body).hexdigest()
                m["payload_bytes"] = len(body)
            edit(m)

        attacks.append((f"insider-{name}", resealed(county_ctx, device, fix, body)))
    attacks.append(("insider-uncompressed", resealed(county_ctx, device, lambda m: None,
                                                     compress=False)))

    # Foreign devices: never enrolled; and enrolled then revoked.
    for i in range(8):
        stranger = DeviceKeys.generate(device.keys.device_id if i % 2 else None)
        data, _ = encode_bundle_v2(stranger, device.link.county_box_key(), [
            make_change(device_id=stranger.device_id, seq=1, record_type="elder",
                        record_id=f"r{i}", version=1, hlc=1, payload={"name": "陌生人"},
                        prev_hash="0" * 64)])
        attacks.append((f"impostor-{i}" if i % 2 else f"foreign-{i}", data))
    revoked = enrol_device(county_ctx, tmp_path / "revoked", "ub")
    revoked.record_visits(1)
    revoked_bundle, _ = encode_bundle_v2(revoked.keys, revoked.link.county_box_key(),
                                      list(revoked.outbox.pending_changes(0, 10)))
    revoked.outbox.close()
    with county_ctx.engine.begin() as conn:
        county.revoke_device(conn, revoked.keys.device_id, "test")
    attacks.append(("revoked", revoked_bundle))
    # Sealed to another county.
    other_county = X25519PrivateKey.generate().public_key()
    attacks.append(("other-county", encode_bundle_v2(device.keys, other_county, changes)[0]))
    # Downgrade built by the real codec.
    attacks.append(("downgrade-codec", encode_bundle_v2(device.keys,
                                                     device.link.county_box_key(), changes,
                                                     format_version=1)[0]))
    # Oversize: over the county's limit (2 MiB in this fixture).
    attacks.append(("oversize", good + bytes(2 * 1024 * 1024)))
    attacks.append(("oversize-signed", assemble(manifest, ciphertext + bytes(2 * 1024 * 1024),
                                                device.keys)))
    attacks.append(("empty", b""))
    attacks.append(("not-a-bundle", b"PK\x03\x04" + bytes(100)))

    before = snapshot(county_ctx.engine)
    accepted: list[str] = []
    reasons: dict[str, str] = {}
    for name, data in attacks:
        try:
            import_bundle(county_ctx, data, "test")
        except BundleRejected as exc:
            reasons[name] = exc.reason
        else:
            accepted.append(name)
    assert accepted == []
    for name, reason in reasons.items():
        assert any(0x4E00 <= ord(ch) < 0xA000 for ch in reason), (name, reason)
        for prefix, words in EXPECTED.items():
            if name.startswith(prefix) and name != "cut@0":
                assert words in reason, (name, reason)
    assert snapshot(county_ctx.engine) == before

    # Replays: the genuine bundle goes in once; every replay after that is refused.
    import_bundle(county_ctx, good, "test")
    after_first = snapshot(county_ctx.engine)
    replays = 0
    for _ in range(12):
        with pytest.raises(BundleRejected, match="重放"):
            import_bundle(county_ctx, good, "test")
        replays += 1
    assert snapshot(county_ctx.engine) == after_first
    assert len(attacks) + replays >= 200
