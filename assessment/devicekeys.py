"""The device's Ed25519 signing key: generate, serialise, sign, verify, name.

Every laptop signs what it issues (certificate QR codes, and sync bundles) with one Ed25519 key
pair made on first run. The private key lives only in the encrypted workspace settings under
:data:`SETTING_KEY`; the public key is what the county enrols and what verifiers hold.

The **key code** is a short, stable name derived from the public key (8 characters of
Crockford base32 over its SHA-256). A certificate's signed QR code carries it, so a verifier
knows which public key to check the signature with; because it is derived from the key, a
certificate cannot name one key and carry another key's signature. A new workspace takes it
as its *device code* (``Workspace.device_code``: the certificate-number prefix, shown in the
status bar and at enrolment); only a workspace created with a code of its own (tests, tools)
has a device code that differs from its key code.

Text forms: a private key is ``ed25519:`` + standard base64 of its 32 raw bytes; a public key
is accepted as 64 hex digits, base64 / base64url of the 32 raw bytes, or a PEM
``PUBLIC KEY`` block, and printed as hex.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
    load_pem_public_key,
)

from assessment.errors import InputRejected, Problem
from assessment.settings import DEVICE_SIGNING_KEY

SETTING_KEY = DEVICE_SIGNING_KEY.key
KEY_BYTES = 32
SIGNATURE_BYTES = 64
CODE_LENGTH = 8
_PRIVATE_PREFIX = "ed25519:"
# Crockford's base32: no I, L, O, U, so a code read aloud or typed back is unambiguous.
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_HEX64 = re.compile(r"^[0-9a-fA-F]{64}$")


def key_code(public_raw: bytes) -> str:
    """The short code of a public key: 8 Crockford base32 characters of its SHA-256 (40 bits)."""
    value = int.from_bytes(hashlib.sha256(public_raw).digest()[:5], "big")
    return "".join(_CROCKFORD[(value >> shift) & 31] for shift in range(35, -1, -5))


@dataclass(frozen=True, slots=True)
class DevicePublicKey:
    """An Ed25519 public key of a device, with its key code."""

    raw: bytes

    def __post_init__(self) -> None:
        if len(self.raw) != KEY_BYTES:
            raise ValueError("Ed25519 公钥应为 32 字节")

    @property
    def code(self) -> str:
        """The key code derived from this key."""
        return key_code(self.raw)

    @property
    def hex(self) -> str:
        """The key as 64 lower-case hex digits (the form printed for people and files)."""
        return self.raw.hex()

    def key(self) -> Ed25519PublicKey:
        """The ``cryptography`` key object."""
        return Ed25519PublicKey.from_public_bytes(self.raw)

    def verify(self, signature: bytes, message: bytes) -> bool:
        """True when ``signature`` is this key's valid signature of ``message``."""
        if len(signature) != SIGNATURE_BYTES:
            return False
        try:
            self.key().verify(signature, message)
        except InvalidSignature:
            return False
        return True

    @classmethod
    def from_key(cls, key: Ed25519PublicKey) -> DevicePublicKey:
        """Wrap a ``cryptography`` public key."""
        return cls(key.public_bytes(Encoding.Raw, PublicFormat.Raw))


def parse_public_key(text: str) -> DevicePublicKey:
    """Read a public key written as hex, base64(url) or PEM; refuse anything else.

    Raises :class:`InputRejected` with a Chinese message.
    """
    stripped = text.strip()
    raw: bytes | None = None
    if _HEX64.match(stripped):
        raw = bytes.fromhex(stripped)
    elif stripped.startswith("-----BEGIN"):
        try:
            loaded = load_pem_public_key(stripped.encode("ascii"))
        except (ValueError, UnicodeEncodeError):
            loaded = None
        if isinstance(loaded, Ed25519PublicKey):
            raw = DevicePublicKey.from_key(loaded).raw
    else:
        try:
            padded = stripped + "=" * (-len(stripped) % 4)
            decoded = base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
        except (binascii.Error, ValueError):
            decoded = b""
        if len(decoded) == KEY_BYTES:
            raw = decoded
    if raw is None:
        raise InputRejected([Problem(
            "public_key", "format",
            "无法识别的公钥：应为 64 位十六进制、base64 或 PEM 格式的 Ed25519 公钥")])
    return DevicePublicKey(raw)


@dataclass(frozen=True, slots=True)
class DeviceSigningKey:
    """The device's Ed25519 key pair: signs what the device issues."""

    private_key: Ed25519PrivateKey

    @classmethod
    def generate(cls) -> DeviceSigningKey:
        """A fresh random key pair."""
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def from_private_bytes(cls, raw: bytes) -> DeviceSigningKey:
        """The key pair from the 32 raw bytes of its private key."""
        if len(raw) != KEY_BYTES:
            raise ValueError("Ed25519 私钥应为 32 字节")
        return cls(Ed25519PrivateKey.from_private_bytes(raw))

    @classmethod
    def from_text(cls, text: str) -> DeviceSigningKey:
        """Parse the settings form (``ed25519:`` + base64); refuse anything malformed."""
        problem = Problem(SETTING_KEY, "format", "设备签名密钥已损坏，无法读取")
        if not text.startswith(_PRIVATE_PREFIX):
            raise InputRejected([problem])
        try:
            raw = base64.b64decode(text[len(_PRIVATE_PREFIX):].encode("ascii"), validate=True)
        except (binascii.Error, ValueError, UnicodeEncodeError) as exc:
            raise InputRejected([problem]) from exc
        if len(raw) != KEY_BYTES:
            raise InputRejected([problem])
        return cls.from_private_bytes(raw)

    def private_bytes(self) -> bytes:
        """The 32 raw bytes of the private key (keep secret)."""
        return self.private_key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())

    def to_text(self) -> str:
        """The settings form: ``ed25519:`` + standard base64 of the raw private key."""
        return _PRIVATE_PREFIX + base64.b64encode(self.private_bytes()).decode("ascii")

    @property
    def public(self) -> DevicePublicKey:
        """The public half."""
        return DevicePublicKey.from_key(self.private_key.public_key())

    @property
    def key_code(self) -> str:
        """The key code (the key's identifier in signed texts; a new workspace's first device
        code)."""
        return self.public.code

    def sign(self, message: bytes) -> bytes:
        """An Ed25519 signature (64 bytes) of ``message``."""
        return self.private_key.sign(message)

    def verify(self, signature: bytes, message: bytes) -> bool:
        """True when ``signature`` is this device's valid signature of ``message``."""
        return self.public.verify(signature, message)


def load_or_create_device_keys(get_setting: Callable[[str], Any],
                               set_setting: Callable[[str, Any], None]) -> DeviceSigningKey:
    """The device's signing key from the workspace settings, made and stored on first use.

    ``get_setting(key)`` returns the stored value or ``None``; ``set_setting(key, value)``
    stores it (the workspace encrypts its settings at rest). A stored key that cannot be read
    is refused with :class:`InputRejected`, never silently replaced: certificates already
    issued were signed with it.
    """
    stored = get_setting(SETTING_KEY)
    if stored is not None:
        if not isinstance(stored, str):
            raise InputRejected([Problem(SETTING_KEY, "format", "设备签名密钥已损坏，无法读取")])
        return DeviceSigningKey.from_text(stored)
    keys = DeviceSigningKey.generate()
    set_setting(SETTING_KEY, keys.to_text())
    return keys
