"""The cryptographic primitives of sync: Ed25519 signatures and sealing to an X25519 key.

Sealing (bundles) uses an ephemeral X25519 key agreed with the recipient's static key, HKDF-
SHA256 to derive a 256-bit key, and AES-256-GCM with the caller's associated data, so that the
manifest travels in clear but cannot be changed without the decryption failing. Keys cross the
wire and sit in files as standard base64 of their 32 raw bytes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

KEY_BYTES = 32
SIGNATURE_BYTES = 64
NONCE_BYTES = 12
_HKDF_INFO = b"yinling-seal-v1"


class CryptoError(ValueError):
    """A key, signature or ciphertext is malformed or does not verify."""


def b64encode(data: bytes) -> str:
    """Standard base64 text of raw bytes."""
    return base64.b64encode(data).decode("ascii")


def b64decode(text: str, *, size: int | None = None) -> bytes:
    """Decode strict base64; refuse junk and, when ``size`` is given, the wrong length."""
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError) as exc:
        raise CryptoError("base64 编码无效") from exc
    if size is not None and len(raw) != size:
        raise CryptoError(f"长度应为 {size} 字节")
    return raw


def public_bytes(key: Ed25519PublicKey | X25519PublicKey) -> bytes:
    """The 32 raw bytes of a public key."""
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def key_id(public_key: bytes) -> str:
    """A short, stable name for a public key (first 16 hex digits of its SHA-256)."""
    return hashlib.sha256(public_key).hexdigest()[:16]


def load_sign_public(text: str) -> Ed25519PublicKey:
    """An Ed25519 public key from its base64 text."""
    return Ed25519PublicKey.from_public_bytes(b64decode(text, size=KEY_BYTES))


def load_box_public(text: str) -> X25519PublicKey:
    """An X25519 public key from its base64 text."""
    return X25519PublicKey.from_public_bytes(b64decode(text, size=KEY_BYTES))


def sign(private_key: Ed25519PrivateKey, message: bytes) -> bytes:
    """An Ed25519 signature of ``message``."""
    return private_key.sign(message)


def verify(public_key: Ed25519PublicKey, signature: bytes, message: bytes) -> bool:
    """True when ``signature`` is a valid Ed25519 signature of ``message``."""
    if len(signature) != SIGNATURE_BYTES:
        return False
    try:
        public_key.verify(signature, message)
    except InvalidSignature:
        return False
    return True


def _derive(shared: bytes, ephemeral_public: bytes, recipient_public: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=ephemeral_public + recipient_public,
                info=_HKDF_INFO).derive(shared)


def seal(recipient: X25519PublicKey, plaintext: bytes, aad: bytes,
         ephemeral: X25519PrivateKey | None = None,
         nonce: bytes | None = None) -> tuple[bytes, bytes, bytes]:
    """Encrypt to ``recipient``; return (ephemeral public key, nonce, ciphertext)."""
    eph = ephemeral if ephemeral is not None else X25519PrivateKey.generate()
    eph_pub = public_bytes(eph.public_key())
    key = _derive(eph.exchange(recipient), eph_pub, public_bytes(recipient))
    nonce = nonce if nonce is not None else os.urandom(NONCE_BYTES)
    return eph_pub, nonce, AESGCM(key).encrypt(nonce, plaintext, aad)


def sealing_key(recipient: X25519PublicKey, ephemeral: X25519PrivateKey, info: bytes) -> bytes:
    """The 256-bit key that ``ephemeral`` agrees with ``recipient`` (HKDF-SHA256, ``info``
    naming its use), for a caller that encrypts many pieces under one agreement."""
    return HKDF(algorithm=hashes.SHA256(), length=32,
                salt=public_bytes(ephemeral.public_key()) + public_bytes(recipient),
                info=info).derive(ephemeral.exchange(recipient))


def opening_key(recipient: X25519PrivateKey, ephemeral_public: bytes, info: bytes) -> bytes:
    """The key :func:`sealing_key` derived, computed by the recipient from its private key."""
    if len(ephemeral_public) != KEY_BYTES:
        raise CryptoError("临时公钥长度不符")
    try:
        shared = recipient.exchange(X25519PublicKey.from_public_bytes(ephemeral_public))
    except ValueError as exc:
        raise CryptoError("临时公钥无效") from exc
    return HKDF(algorithm=hashes.SHA256(), length=32,
                salt=ephemeral_public + public_bytes(recipient.public_key()),
                info=info).derive(shared)


def open_sealed(recipient: X25519PrivateKey, ephemeral_public: bytes, nonce: bytes,
                ciphertext: bytes, aad: bytes) -> bytes:
    """Decrypt what :func:`seal` produced; raise :class:`CryptoError` on any mismatch."""
    if len(ephemeral_public) != KEY_BYTES or len(nonce) != NONCE_BYTES:
        raise CryptoError("密钥或随机数长度不符")
    try:
        eph = X25519PublicKey.from_public_bytes(ephemeral_public)
        shared = recipient.exchange(eph)
    except ValueError as exc:
        raise CryptoError("临时公钥无效") from exc
    key = _derive(shared, ephemeral_public, public_bytes(recipient.public_key()))
    try:
        return AESGCM(key).decrypt(nonce, ciphertext, aad)
    except InvalidTag as exc:
        raise CryptoError("解密失败：内容被篡改或不是发给本服务器的") from exc
