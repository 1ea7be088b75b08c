"""The offline bundle: a device's unacknowledged changes in one signed, encrypted file.

Layout (all integers big-endian)::

    b"YINLINGB" | u32 manifest length | manifest (canonical JSON)
               | u64 ciphertext length | ciphertext | Ed25519 signature (64 bytes)

The manifest (format version, bundle id, device, sequence range, counts, payload hash and
size, creation time, the county key it is sealed to, the ephemeral key and nonce) travels in
clear so the county can see what it is before opening it. The payload — the canonical JSON of
the changes, zlib-compressed — is sealed to the county's X25519 key with the manifest as
associated data (:func:`assessment.wire.crypto.seal`), and the device signs every byte before
the signature. :func:`open_bundle` refuses a bundle whole, with one Chinese reason, when it is
oversize, truncated, not a bundle, of an older or unknown format, from an unknown or revoked
device, badly signed, sealed to another county, or inconsistent with its own manifest.
"""

from __future__ import annotations

import hashlib
import os
import struct
import zlib
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from operator import attrgetter
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from assessment.errors import InputRejected, Problem
from assessment.ids import new_id
from assessment.inputreader import DEFAULT_LIMITS, Limits, parse_json
from assessment.wire.changes import (
    Change,
    Link,
    WireChange,
    canonical_json,
    change_from_json,
    verify_chain,
)
from assessment.wire.crypto import (
    KEY_BYTES,
    NONCE_BYTES,
    SIGNATURE_BYTES,
    CryptoError,
    b64decode,
    b64encode,
    key_id,
    open_sealed,
    public_bytes,
    seal,
    verify,
)
from assessment.wire.device import DeviceKeys
from assessment.wire.outbox import Outbox, pending_wire

MAGIC = b"YINLINGB"
FORMAT = "yinling-bundle"
FORMAT_VERSION = 2  # version 1 was never signed over the manifest; refused as a downgrade
MIN_FORMAT_VERSION = 2
DEFAULT_MAX_BYTES = 512 * 1024 * 1024
DEFAULT_MAX_CHANGES = 1_000_000
_HEAD = struct.Struct(">I")
_LEN = struct.Struct(">Q")
_MAX_MANIFEST = 64 * 1024
_EXPANSION_LIMIT = 64  # plaintext may be at most this many times the ciphertext size

_MANIFEST_FIELDS: dict[str, type] = {
    "format": str, "format_version": int, "bundle_id": str, "device_id": str, "seq_from": int,
    "seq_to": int, "count": int, "counts": dict, "payload_sha256": str, "payload_bytes": int,
    "compression": str, "created_at": str, "county_key_id": str, "ephemeral_public": str,
    "nonce": str,
}


class BundleRejected(InputRejected):
    """A bundle refused whole; ``reason`` is the one Chinese sentence to show."""

    def __init__(self, code: str, reason: str) -> None:
        self.code = code
        self.reason = reason
        super().__init__([Problem("bundle", code, reason)])


@dataclass(frozen=True, slots=True)
class BundleManifest:
    """The clear-text description of a bundle."""

    bundle_id: str
    device_id: str
    seq_from: int
    seq_to: int
    count: int
    counts: dict[str, int]
    payload_sha256: str
    payload_bytes: int
    created_at: str
    county_key_id: str
    format_version: int = FORMAT_VERSION


@dataclass(frozen=True, slots=True)
class OpenedBundle:
    """A verified, decrypted bundle: its manifest, its changes and the file's SHA-256."""

    manifest: BundleManifest
    changes: tuple[Change, ...]
    file_sha256: str


def encode_bundle(keys: DeviceKeys, county_box: X25519PublicKey,
                  changes: Sequence[Change] | Sequence[WireChange], *,
                  created_at: datetime | None = None, bundle_id: str | None = None,
                  format_version: int = FORMAT_VERSION) -> tuple[bytes, BundleManifest]:
    """Seal and sign ``changes`` (own, contiguous, chained) into bundle bytes.

    Changes given in wire form (:func:`assessment.wire.outbox.pending_wire`) are copied into
    the payload as they are, without being parsed or encoded again.
    """
    if not changes:
        raise InputRejected([Problem("bundle", "empty", "没有待上传的变更")])
    wires = sorted((c if isinstance(c, WireChange) else WireChange.of(c) for c in changes),
                   key=lambda c: c.seq)  # the county reads them in sequence order
    first = wires[0]
    if any(c.device_id != keys.device_id for c in wires):
        raise InputRejected([Problem("bundle", "device", "只能导出本机的变更")])
    if not _chained(wires) and verify_chain(wires, after_seq=first.seq - 1,
                                            after_hash=first.prev_hash):
        raise InputRejected([Problem("bundle", "chain", "本机变更记录不连续，无法导出")])
    # The canonical JSON of {"changes": [...]}, assembled from each change's JSON.
    plaintext = b'{"changes":[' + b",".join([c.raw for c in wires]) + b"]}"
    compressed = zlib.compress(plaintext, 1)
    counts = dict(sorted(Counter(map(_record_type, wires)).items()))
    created = (created_at or datetime.now(UTC)).astimezone(UTC)
    ephemeral = X25519PrivateKey.generate()
    nonce = os.urandom(NONCE_BYTES)
    manifest: dict[str, Any] = {
        "format": FORMAT, "format_version": format_version, "bundle_id": bundle_id or new_id(),
        "device_id": keys.device_id, "seq_from": first.seq, "seq_to": wires[-1].seq,
        "count": len(changes), "counts": counts,
        "payload_sha256": hashlib.sha256(plaintext).hexdigest(),
        "payload_bytes": len(plaintext), "compression": "zlib",
        "created_at": created.isoformat(timespec="seconds"),
        "county_key_id": key_id(public_bytes(county_box)),
        "ephemeral_public": b64encode(public_bytes(ephemeral.public_key())),
        "nonce": b64encode(nonce),
    }
    manifest_bytes = canonical_json(manifest)
    _, _, ciphertext = seal(county_box, compressed, manifest_bytes, ephemeral, nonce)
    body = b"".join((MAGIC, _HEAD.pack(len(manifest_bytes)), manifest_bytes,
                     _LEN.pack(len(ciphertext)), ciphertext))
    signature = keys.sign_key.sign(body)
    return body + signature, _manifest_from_json(manifest)


_record_type = attrgetter("record_type")


def _chained(changes: Sequence[Link]) -> bool:
    """True when ``changes`` are in sequence order, each the one after the one before (the
    usual case, checked in one pass; :func:`verify_chain` says what is wrong otherwise)."""
    seq, digest = changes[0].seq, changes[0].prev_hash
    for change in changes:
        if change.seq != seq or change.prev_hash != digest:
            return False
        seq, digest = seq + 1, change.hash
    return True


def export_bundle(outbox: Outbox, keys: DeviceKeys, county_box: X25519PublicKey, path: Path,
                  *, max_changes: int = DEFAULT_MAX_CHANGES) -> BundleManifest | None:
    """Write every unacknowledged change to ``path``; None when there is nothing to send."""
    state = outbox.sync_state()
    changes = pending_wire(outbox, state.acked_seq, max_changes)
    if not changes:
        return None
    data, manifest = encode_bundle(keys, county_box, changes)
    tmp = path.with_name(path.name + ".part")
    tmp.write_bytes(data)
    tmp.replace(path)
    return manifest


def _manifest_from_json(data: dict[str, Any]) -> BundleManifest:
    return BundleManifest(
        bundle_id=data["bundle_id"], device_id=data["device_id"], seq_from=data["seq_from"],
        seq_to=data["seq_to"], count=data["count"], counts=dict(data["counts"]),
        payload_sha256=data["payload_sha256"], payload_bytes=data["payload_bytes"],
        created_at=data["created_at"], county_key_id=data["county_key_id"],
        format_version=data["format_version"],
    )


def _split(data: bytes) -> tuple[dict[str, Any], bytes, bytes, bytes, bytes]:
    """Structural parse: (manifest, manifest bytes, ciphertext, signed part, signature)."""
    if data and len(data) < len(MAGIC) and MAGIC.startswith(data):
        raise BundleRejected("truncated", "数据包不完整（文件被截断）")
    if len(data) < len(MAGIC) or data[:len(MAGIC)] != MAGIC:
        raise BundleRejected("magic", "不是银龄数据包文件")
    pos = len(MAGIC)
    if len(data) < pos + _HEAD.size:
        raise BundleRejected("truncated", "数据包不完整（文件被截断）")
    (manifest_len,) = _HEAD.unpack_from(data, pos)
    pos += _HEAD.size
    if manifest_len > _MAX_MANIFEST:
        raise BundleRejected("manifest", "数据包清单过大，文件已损坏")
    if len(data) < pos + manifest_len + _LEN.size:
        raise BundleRejected("truncated", "数据包不完整（文件被截断）")
    manifest_bytes = data[pos:pos + manifest_len]
    pos += manifest_len
    (ct_len,) = _LEN.unpack_from(data, pos)
    pos += _LEN.size
    if len(data) < pos + ct_len + SIGNATURE_BYTES:
        raise BundleRejected("truncated", "数据包不完整（文件被截断）")
    if len(data) > pos + ct_len + SIGNATURE_BYTES:
        raise BundleRejected("trailing", "数据包末尾有多余内容，文件已被改动")
    ciphertext = data[pos:pos + ct_len]
    signed = data[:pos + ct_len]
    signature = data[pos + ct_len:]
    try:
        manifest = parse_json(manifest_bytes, DEFAULT_LIMITS.with_max_bytes(_MAX_MANIFEST),
                              "manifest")
    except InputRejected as exc:
        raise BundleRejected("manifest", f"数据包清单无法解析，文件已损坏（{exc}）") from exc
    _check_manifest(manifest, manifest_bytes)
    return manifest, manifest_bytes, ciphertext, signed, signature


def _check_manifest(manifest: object, manifest_bytes: bytes) -> None:
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BundleRejected("manifest", "数据包清单格式不符")
    version = manifest.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise BundleRejected("manifest", "数据包清单缺少格式版本")
    if version < MIN_FORMAT_VERSION:
        raise BundleRejected("downgrade", f"数据包格式版本 {version} 过旧，已不再接受，"
                             "请用新版客户端重新导出")
    if version > FORMAT_VERSION:
        raise BundleRejected("version", f"数据包格式版本 {version} 高于本服务器支持的版本，"
                             "请升级县级服务器")
    if set(manifest) != set(_MANIFEST_FIELDS):
        raise BundleRejected("manifest", "数据包清单字段不符")
    for key, kind in _MANIFEST_FIELDS.items():
        value = manifest[key]
        if not isinstance(value, kind) or isinstance(value, bool):
            raise BundleRejected("manifest", f"数据包清单字段 {key} 类型不符")
    if canonical_json(manifest) != manifest_bytes:
        raise BundleRejected("manifest", "数据包清单编码不规范，文件已被改动")
    counts = manifest["counts"]
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in counts.values()):
        raise BundleRejected("manifest", "数据包清单计数无效")
    if (manifest["seq_from"] < 1 or manifest["seq_to"] < manifest["seq_from"]
            or manifest["count"] != manifest["seq_to"] - manifest["seq_from"] + 1
            or sum(counts.values()) != manifest["count"] or manifest["payload_bytes"] < 0):
        raise BundleRejected("manifest", "数据包清单的序号范围与数量不一致")


def read_manifest(data: bytes) -> BundleManifest:
    """The manifest of a bundle, checked for shape only (nothing verified or decrypted)."""
    manifest, *_ = _split(data)
    return _manifest_from_json(manifest)


def open_bundle(data: bytes, *, device_key: Callable[[str], Ed25519PublicKey],
                county_box: X25519PrivateKey, max_bytes: int = DEFAULT_MAX_BYTES,
                max_changes: int = DEFAULT_MAX_CHANGES) -> OpenedBundle:
    """Verify, decrypt and parse a bundle, or raise :class:`BundleRejected`.

    ``device_key`` returns the enrolled Ed25519 key of a device id and raises
    :class:`BundleRejected` for an unknown or revoked device.
    """
    if len(data) > max_bytes:
        raise BundleRejected("oversize", f"数据包过大（{len(data)} 字节，上限 {max_bytes} 字节）")
    manifest, manifest_bytes, ciphertext, signed, signature = _split(data)
    public = device_key(manifest["device_id"])
    if not verify(public, signature, signed):
        raise BundleRejected("signature", "数据包签名无效：内容被篡改或不是该设备导出的")
    own_key = key_id(public_bytes(county_box.public_key()))
    if manifest["county_key_id"] != own_key:
        raise BundleRejected("county", "数据包不是发给本县服务器的（密钥不符）")
    if manifest["count"] > max_changes:
        raise BundleRejected("oversize", f"数据包记录过多（{manifest['count']} 条）")
    if manifest["payload_bytes"] > _EXPANSION_LIMIT * max(len(ciphertext), 1) or \
            manifest["payload_bytes"] > _EXPANSION_LIMIT * max_bytes:
        raise BundleRejected("oversize", "数据包解压后过大")
    try:
        compressed = open_sealed(county_box, b64decode(manifest["ephemeral_public"],
                                                       size=KEY_BYTES),
                                 b64decode(manifest["nonce"], size=NONCE_BYTES), ciphertext,
                                 manifest_bytes)
    except CryptoError as exc:
        raise BundleRejected("decrypt", f"数据包无法解密：{exc}") from exc
    plaintext = _inflate(compressed, manifest["payload_bytes"])
    if hashlib.sha256(plaintext).hexdigest() != manifest["payload_sha256"]:
        raise BundleRejected("payload", "数据包内容哈希与清单不符")
    changes = _parse_changes(plaintext, manifest)
    return OpenedBundle(_manifest_from_json(manifest), changes,
                        hashlib.sha256(data).hexdigest())


def _inflate(compressed: bytes, expected: int) -> bytes:
    inflater = zlib.decompressobj()
    try:
        plaintext = inflater.decompress(compressed, expected + 1)
    except zlib.error as exc:
        raise BundleRejected("payload", "数据包内容无法解压") from exc
    if len(plaintext) != expected or not inflater.eof or inflater.unused_data:
        raise BundleRejected("payload", "数据包内容长度与清单不符")
    return plaintext


def _parse_changes(plaintext: bytes, manifest: dict[str, Any]) -> tuple[Change, ...]:
    limits = Limits(max_bytes=max(len(plaintext), 1), max_string=1024 * 1024)
    try:
        body = parse_json(plaintext, limits, "payload")
    except InputRejected as exc:
        raise BundleRejected("payload", f"数据包内容无法解析（{exc}）") from exc
    if not isinstance(body, dict) or set(body) != {"changes"} or \
            not isinstance(body["changes"], list):
        raise BundleRejected("payload", "数据包内容格式不符")
    items = body["changes"]
    try:
        changes = tuple(map(change_from_json, items))
    except InputRejected as exc:
        problem = exc
        for i, item in enumerate(items):  # again, to name the position of the invalid one
            try:
                change_from_json(item, f"changes[{i}]")
            except InputRejected as located:
                problem = located
                break
        raise BundleRejected("change", f"数据包中的变更记录无效：{problem}") from problem
    if len(changes) != manifest["count"]:
        raise BundleRejected("payload", "数据包记录数与清单不符")
    device_id = manifest["device_id"]
    if any(c.device_id != device_id for c in changes):
        raise BundleRejected("payload", "数据包中含有其他设备的变更")
    if changes[0].seq != manifest["seq_from"] or changes[-1].seq != manifest["seq_to"] or \
            not _chained(changes):
        seqs = [c.seq for c in changes]
        if seqs != list(range(manifest["seq_from"], manifest["seq_to"] + 1)):
            raise BundleRejected("payload", "数据包中的序号与清单不符")
        chain_ok = False  # the sequence is right, so a link is wrong
    else:
        chain_ok = True
    if dict(Counter(map(_record_type, changes))) != manifest["counts"]:
        raise BundleRejected("payload", "数据包中各类记录数与清单不符")
    if not chain_ok:
        raise BundleRejected("chain", "数据包中的变更哈希链不连续")
    return changes
