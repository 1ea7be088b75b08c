"""Signed requests: how a laptop proves who it is on every HTTP call.

Each request carries four headers: the device id, a millisecond timestamp, a random nonce and
an Ed25519 signature over ``method``, the path with its query, the timestamp, the nonce and the
SHA-256 of the body. The server checks the signature against the enrolled public key, refuses
timestamps outside a window, and remembers nonces for that window, so a captured request can
be neither altered nor replayed, and no reusable secret ever crosses the wire (a TLS proxy or a
log that sees a request learns nothing it could reuse). Revocation is immediate: the server
looks the device up on every request.
"""

from __future__ import annotations

import hashlib
import os
import time

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from assessment.wire.crypto import b64encode, sign

HEADER_DEVICE = "X-Yinling-Device"
HEADER_TIMESTAMP = "X-Yinling-Timestamp"
HEADER_NONCE = "X-Yinling-Nonce"
HEADER_SIGNATURE = "X-Yinling-Signature"
SIGNATURE_SCHEME = "YINLING-REQUEST-1"


def signing_message(method: str, path_qs: str, timestamp_ms: int, nonce: str,
                    body: bytes) -> bytes:
    """The exact bytes a request signature covers."""
    return signing_message_for(method, path_qs, timestamp_ms, nonce,
                               hashlib.sha256(body).hexdigest())


def signing_message_for(method: str, path_qs: str, timestamp_ms: int, nonce: str,
                        body_sha256: str) -> bytes:
    """:func:`signing_message` for a body known by its SHA-256 hex digest (hashed while it
    streamed in, so the server never holds it twice)."""
    text = "\n".join((SIGNATURE_SCHEME, method.upper(), path_qs, str(timestamp_ms), nonce,
                      body_sha256))
    return text.encode("utf-8")


def sign_request(device_id: str, key: Ed25519PrivateKey, method: str, path_qs: str,
                 body: bytes, *, timestamp_ms: int | None = None,
                 nonce: str | None = None) -> dict[str, str]:
    """The authentication headers of one request."""
    ts = timestamp_ms if timestamp_ms is not None else time.time_ns() // 1_000_000
    nonce = nonce if nonce is not None else os.urandom(16).hex()
    signature = sign(key, signing_message(method, path_qs, ts, nonce, body))
    return {
        HEADER_DEVICE: device_id, HEADER_TIMESTAMP: str(ts), HEADER_NONCE: nonce,
        HEADER_SIGNATURE: b64encode(signature),
    }
