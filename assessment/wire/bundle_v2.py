"""The reader of format version 2 bundles (one sealed payload), kept because laptops in the
field may still carry one; nothing writes this format any more.

Layout after the manifest (:mod:`assessment.wire.bundle_manifest`)::

    u64 ciphertext length | ciphertext | Ed25519 signature (64 bytes) over every byte before it

The payload — the canonical JSON ``{"changes": [...]}``, zlib-compressed — is sealed to the
county's X25519 key with the manifest as associated data. The whole file is read into memory
(it is at most the county's bundle size limit): version 3 exists to stream instead.
"""

from __future__ import annotations

import hashlib
import struct
import zlib
from collections import Counter
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from assessment.errors import InputRejected
from assessment.inputreader import Limits, parse_json
from assessment.wire.bundle_manifest import BundleRejected, chained, record_type, truncated
from assessment.wire.changes import Change, change_from_json
from assessment.wire.crypto import (
    KEY_BYTES,
    NONCE_BYTES,
    SIGNATURE_BYTES,
    CryptoError,
    b64decode,
    key_id,
    open_sealed,
    public_bytes,
    verify,
)

_LEN = struct.Struct(">Q")
EXPANSION_LIMIT = 64  # plaintext may be at most this many times the ciphertext size


def open_v2(data: bytes, manifest: dict[str, Any], manifest_bytes: bytes, head_end: int, *,
            public: Ed25519PublicKey, county_box: X25519PrivateKey, max_bytes: int,
            max_changes: int) -> tuple[Change, ...]:
    """Verify, decrypt and parse the rest of a version 2 bundle (``data`` is the whole file,
    its manifest already checked); raise :class:`BundleRejected`."""
    if len(data) < head_end + _LEN.size:
        raise truncated()
    (ct_len,) = _LEN.unpack_from(data, head_end)
    pos = head_end + _LEN.size
    if len(data) < pos + ct_len + SIGNATURE_BYTES:
        raise truncated()
    if len(data) > pos + ct_len + SIGNATURE_BYTES:
        raise BundleRejected("trailing", "数据包末尾有多余内容，文件已被改动")
    ciphertext = data[pos:pos + ct_len]
    if not verify(public, data[pos + ct_len:], data[:pos + ct_len]):
        raise BundleRejected("signature", "数据包签名无效：内容被篡改或不是该设备导出的")
    if manifest["county_key_id"] != key_id(public_bytes(county_box.public_key())):
        raise BundleRejected("county", "数据包不是发给本县服务器的（密钥不符）")
    if manifest["count"] > max_changes:
        raise BundleRejected("oversize", f"数据包记录过多（{manifest['count']} 条）")
    if manifest["payload_bytes"] > EXPANSION_LIMIT * max(len(ciphertext), 1) or \
            manifest["payload_bytes"] > EXPANSION_LIMIT * max_bytes:
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
    return _parse_changes(plaintext, manifest)


def _inflate(compressed: bytes, expected: int) -> bytes:
    inflater = zlib.decompressobj()
    try:
        plaintext = inflater.decompress(compressed, expected + 1)
    except zlib.error as exc:
        raise BundleRejected("payload", "数据包内容无法解压") from exc
    if len(plaintext) != expected or not inflater.eof or inflater.unused_data:
        raise BundleRejected("payload", "数据包内容长度与清单不符")
    return plaintext


def parse_payload(plaintext: bytes, first_index: int = 0) -> tuple[Change, ...]:
    """The changes of one ``{"changes": [...]}`` document, each verified; a refusal names
    the first invalid one by its position in the bundle (``first_index`` is the position of
    the document's first change)."""
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
        return tuple(change_from_json(item, from_reader=True) for item in items)
    except InputRejected as exc:
        problem = exc
        for i, item in enumerate(items):  # again, to name the position of the invalid one
            try:
                change_from_json(item, f"changes[{first_index + i}]")
            except InputRejected as located:
                problem = located
                break
        raise BundleRejected("change", f"数据包中的变更记录无效：{problem}") from problem


def _parse_changes(plaintext: bytes, manifest: dict[str, Any]) -> tuple[Change, ...]:
    changes = parse_payload(plaintext)
    if len(changes) != manifest["count"]:
        raise BundleRejected("payload", "数据包记录数与清单不符")
    device_id = manifest["device_id"]
    if any(c.device_id != device_id for c in changes):
        raise BundleRejected("payload", "数据包中含有其他设备的变更")
    if changes[0].seq != manifest["seq_from"] or changes[-1].seq != manifest["seq_to"] or \
            not chained(changes):
        seqs = [c.seq for c in changes]
        if seqs != list(range(manifest["seq_from"], manifest["seq_to"] + 1)):
            raise BundleRejected("payload", "数据包中的序号与清单不符")
        chain_ok = False  # the sequence is right, so a link is wrong
    else:
        chain_ok = True
    if dict(Counter(map(record_type, changes))) != manifest["counts"]:
        raise BundleRejected("payload", "数据包中各类记录数与清单不符")
    if not chain_ok:
        raise BundleRejected("chain", "数据包中的变更哈希链不连续")
    return changes
