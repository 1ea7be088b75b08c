"""The version 2 bundle writer (one sealed payload), kept for tests: the county must still
read the bundles laptops in the field may carry, and refuse bad ones alike. The product
writes version 3 only (:mod:`assessment.wire.bundle`)."""

from __future__ import annotations

import hashlib
import os
import struct
import zlib
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from assessment.ids import new_id
from assessment.wire.bundle_manifest import (
    FORMAT,
    HEAD,
    LEGACY_VERSION,
    MAGIC,
    record_type,
)
from assessment.wire.changes import Change, WireChange, canonical_json
from assessment.wire.crypto import NONCE_BYTES, b64encode, key_id, public_bytes, seal
from assessment.wire.device import DeviceKeys

_LEN = struct.Struct(">Q")


def encode_bundle_v2(keys: DeviceKeys, county_box: X25519PublicKey,
                     changes: Sequence[Change] | Sequence[WireChange], *,
                     format_version: int = LEGACY_VERSION) -> tuple[bytes, dict[str, Any]]:
    """A version 2 bundle of ``changes`` (own, contiguous) and its manifest."""
    wires = sorted((c if isinstance(c, WireChange) else WireChange.of(c) for c in changes),
                   key=lambda c: c.seq)
    plaintext = b'{"changes":[' + b",".join([c.raw for c in wires]) + b"]}"
    ephemeral = X25519PrivateKey.generate()
    nonce = os.urandom(NONCE_BYTES)
    manifest: dict[str, Any] = {
        "format": FORMAT, "format_version": format_version, "bundle_id": new_id(),
        "device_id": keys.device_id, "seq_from": wires[0].seq, "seq_to": wires[-1].seq,
        "count": len(wires), "counts": dict(sorted(Counter(map(record_type, wires)).items())),
        "payload_sha256": hashlib.sha256(plaintext).hexdigest(),
        "payload_bytes": len(plaintext), "compression": "zlib",
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "county_key_id": key_id(public_bytes(county_box)),
        "ephemeral_public": b64encode(public_bytes(ephemeral.public_key())),
        "nonce": b64encode(nonce),
    }
    manifest_bytes = canonical_json(manifest)
    _, _, ciphertext = seal(county_box, zlib.compress(plaintext, 1), manifest_bytes, ephemeral,
                            nonce)
    body = b"".join((MAGIC, HEAD.pack(len(manifest_bytes)), manifest_bytes,
                     _LEN.pack(len(ciphertext)), ciphertext))
    return body + keys.sign_key.sign(body), manifest
