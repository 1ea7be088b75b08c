"""An independent reader and writer of version 3 bundle frames for tests (HKDF and AES-GCM
straight from ``cryptography``, not the codec), so that tests can take a bundle apart, forge
one as an insider (the real device key signing a lying content) and check what is on disk."""

from __future__ import annotations

import base64
import hashlib
import json
import struct
import zlib
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from assessment.wire.changes import canonical_json
from assessment.wire.device import DeviceKeys

MAGIC = b"YINLINGB"
INFO = b"yinling-bundle-v3-frames"


@dataclass
class Parts:
    """A version 3 bundle taken apart."""

    manifest: dict[str, Any]
    manifest_bytes: bytes
    frames: list[tuple[int, bytes]]  # (flags, sealed bytes)
    signature: bytes


def split(data: bytes) -> Parts:
    """Take a well-formed version 3 bundle apart."""
    (size,) = struct.unpack_from(">I", data, 8)
    manifest_bytes = data[12:12 + size]
    pos, end = 12 + size, len(data) - 64
    frames = []
    while pos < end:
        flags, length = struct.unpack_from(">BI", data, pos)
        frames.append((flags, data[pos + 5:pos + 5 + length]))
        pos += 5 + length
    return Parts(json.loads(manifest_bytes), manifest_bytes, frames, data[end:])


def join(manifest_bytes: bytes, frames: list[tuple[int, bytes]], keys: DeviceKeys) -> bytes:
    """A bundle from parts, signed by ``keys`` as the format says."""
    body = MAGIC + struct.pack(">I", len(manifest_bytes)) + manifest_bytes + b"".join(
        struct.pack(">BI", flags, len(sealed)) + sealed for flags, sealed in frames)
    return body + keys.sign_key.sign(b"yinling-bundle-v3" + hashlib.sha256(body).digest())


def _raw(key: X25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def _frame_crypto(manifest_bytes: bytes, index: int, flags: int) -> tuple[bytes, bytes]:
    nonce = bytes((flags, 0, 0, 0)) + struct.pack(">Q", index)
    aad = hashlib.sha256(manifest_bytes).digest() + struct.pack(">Q", index) + bytes((flags,))
    return nonce, aad


def decrypt(data: bytes, county: X25519PrivateKey) -> tuple[dict[str, Any], list[bytes]]:
    """The manifest and each frame's decompressed plaintext."""
    parts = split(data)
    ephemeral = base64.b64decode(parts.manifest["ephemeral_public"])
    key = HKDF(algorithm=hashes.SHA256(), length=32,
               salt=ephemeral + _raw(county.public_key()), info=INFO).derive(
        county.exchange(X25519PublicKey.from_public_bytes(ephemeral)))
    plains = []
    for index, (flags, sealed) in enumerate(parts.frames):
        nonce, aad = _frame_crypto(parts.manifest_bytes, index, flags)
        plains.append(zlib.decompress(AESGCM(key).decrypt(nonce, sealed, aad)))
    return parts.manifest, plains


def forge(manifest: dict[str, Any], plains: list[bytes], keys: DeviceKeys,
          county: X25519PublicKey, *, final: int | None = None) -> bytes:
    """An insider's bundle: ``manifest`` (its ephemeral key replaced) and frames of the given
    plaintexts, sealed and signed correctly; the last frame is the final one unless
    ``final`` names another."""
    ephemeral = X25519PrivateKey.generate()
    manifest = {**manifest, "ephemeral_public": base64.b64encode(
        _raw(ephemeral.public_key())).decode()}
    manifest_bytes = canonical_json(manifest)
    key = HKDF(algorithm=hashes.SHA256(), length=32,
               salt=_raw(ephemeral.public_key()) + _raw(county), info=INFO).derive(
        ephemeral.exchange(county))
    last = len(plains) - 1 if final is None else final
    frames = []
    for index, plain in enumerate(plains):
        flags = 1 if index == last else 0
        nonce, aad = _frame_crypto(manifest_bytes, index, flags)
        frames.append((flags, AESGCM(key).encrypt(nonce, zlib.compress(plain), aad)))
    return join(manifest_bytes, frames, keys)
