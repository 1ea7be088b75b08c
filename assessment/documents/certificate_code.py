"""The signed text in a certificate's QR code, and how it is made and read.

The text is ``YL1.<payload>.<signature>``, both parts in unpadded RFC 4648 base32 so that the
whole text fits the QR code's compact alphanumeric mode. The payload is a small binary record:

======  =====  ==============================================================
bytes   field  meaning
======  =====  ==============================================================
1       ver    payload format (1)
5       dev    device code (40 bits, the issuing key's :func:`device_code`)
16      aid    assessment id (UUID)
2       date   评估基准日期 A.1.2, days since 2000-01-01
1       grade  final grade C.5 (0–4)
10      idh    keyed hash of the elder's ID number (never the number itself)
(8)     sigd   version 2 only: digest of the handwritten signatures
1 + n   no     certificate number, ASCII, length-prefixed
======  =====  ==============================================================

Version 1 is written when nobody signed by hand on the laptop (the paper is signed instead);
version 2 carries :func:`assessment.records.signatures.signatures_digest`, so the drawn
signatures printed on the certificate are covered by the device's signature too.

The signature is the device's Ed25519 signature of the ASCII text ``YL1.<payload>``, so
changing any character of the payload part breaks it. The ID hash is an HMAC-SHA256 under the
county's certificate key (setting :data:`ID_KEY_SETTING`) of the assessment id and the ID
number: a verifier holding the key and the paper certificate can check that the printed ID
number is the one assessed, while the QR code alone tells nobody the number.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import struct
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from assessment.devicekeys import SIGNATURE_BYTES, DeviceSigningKey
from assessment.errors import InputRejected, Problem
from assessment.settings import CERTIFICATE_ID_KEY

PREFIX = "YL1"
PAYLOAD_VERSION = 1
PAYLOAD_VERSION_SIGNED = 2
SIGNATURES_DIGEST_BYTES = 8
ID_KEY_SETTING = CERTIFICATE_ID_KEY.key
ID_HASH_BYTES = 10
_EPOCH = date(2000, 1, 1)
_HEAD = struct.Struct(">B5s16sHB10sB")
_HEAD2 = struct.Struct(">B5s16sHB10s8sB")
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


class MalformedCode(ValueError):
    """The text is not a certificate code of a format this version reads."""


@dataclass(frozen=True, slots=True)
class CertificateClaims:
    """What a certificate's QR code states, signed by the issuing device."""

    certificate_no: str
    assessment_id: str
    final_grade: int
    reference_date: date
    id_hash: bytes
    key_code: str  # the signing key's code (assessment.devicekeys.key_code)
    signatures_digest: bytes | None = None  # handwritten signatures (payload version 2)


def issuer_code(certificate_no: str) -> str:
    """The issuing device's short code: the certificate number's prefix (``53KE7Q-000005`` →
    ``53KE7Q``), the same code the laptop shows in its status bar and on the footer."""
    return certificate_no.rpartition("-")[0] or certificate_no


def b32encode(data: bytes) -> str:
    """Unpadded upper-case base32 (QR alphanumeric-safe)."""
    return base64.b32encode(data).decode("ascii").rstrip("=")


def b32decode(text: str) -> bytes:
    """Decode unpadded base32; raise :class:`MalformedCode` on junk."""
    if not text or any(ch not in "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567" for ch in text):
        raise MalformedCode("base32")
    try:
        return base64.b32decode(text + "=" * (-len(text) % 8))
    except (binascii.Error, ValueError) as exc:
        raise MalformedCode("base32") from exc


def _code_to_bytes(code: str) -> bytes:
    value = 0
    for ch in code:
        index = _CROCKFORD.find(ch)
        if index < 0 or len(code) != 8:
            raise ValueError(f"设备代码格式错误：{code}")
        value = value << 5 | index
    return value.to_bytes(5, "big")


def _bytes_to_code(raw: bytes) -> str:
    value = int.from_bytes(raw, "big")
    return "".join(_CROCKFORD[(value >> shift) & 31] for shift in range(35, -1, -5))


def id_number_hash(id_key: bytes, assessment_id: str, id_number: str) -> bytes:
    """The keyed hash of an ID number for one assessment (10 bytes)."""
    message = b"yinling-id/1|" + uuid.UUID(assessment_id).bytes + id_number.strip().upper().encode()
    return hmac.new(id_key, message, hashlib.sha256).digest()[:ID_HASH_BYTES]


def encode_payload(claims: CertificateClaims) -> bytes:
    """The binary payload of ``claims``."""
    number = claims.certificate_no.encode("ascii")
    if len(number) > 255:
        raise ValueError("证书编号过长")
    if len(claims.id_hash) != ID_HASH_BYTES:
        raise ValueError("身份号码摘要长度错误")
    days = (claims.reference_date - _EPOCH).days
    if not 0 <= days <= 0xFFFF:
        raise ValueError("评估基准日期超出范围")
    common = (_code_to_bytes(claims.key_code), uuid.UUID(claims.assessment_id).bytes, days,
              claims.final_grade, claims.id_hash)
    digest = claims.signatures_digest
    if digest is None:
        return _HEAD.pack(PAYLOAD_VERSION, *common, len(number)) + number
    if len(digest) != SIGNATURES_DIGEST_BYTES:
        raise ValueError("手写签名摘要长度错误")
    return _HEAD2.pack(PAYLOAD_VERSION_SIGNED, *common, digest, len(number)) + number


def decode_payload(raw: bytes) -> CertificateClaims:
    """Parse a binary payload; raise :class:`MalformedCode` when it is not one."""
    if len(raw) < _HEAD.size:
        raise MalformedCode("short")
    digest: bytes | None = None
    if raw[0] == PAYLOAD_VERSION:
        head = _HEAD
        _, dev, aid, days, grade, idh, length = head.unpack_from(raw)
    elif raw[0] == PAYLOAD_VERSION_SIGNED and len(raw) >= _HEAD2.size:
        head = _HEAD2
        _, dev, aid, days, grade, idh, digest, length = head.unpack_from(raw)
    else:
        raise MalformedCode("version")
    number = raw[head.size:]
    if len(number) != length:
        raise MalformedCode("length")
    try:
        text = number.decode("ascii")
    except UnicodeDecodeError as exc:
        raise MalformedCode("number") from exc
    return CertificateClaims(text, str(uuid.UUID(bytes=aid)), grade,
                             _EPOCH + timedelta(days=days), idh, _bytes_to_code(dev), digest)


def sign_claims(claims: CertificateClaims, keys: DeviceSigningKey) -> str:
    """The QR text for ``claims``, signed with the device's key."""
    if claims.key_code != keys.key_code:
        raise ValueError("证书的设备代码与签名密钥不符")
    signed = f"{PREFIX}.{b32encode(encode_payload(claims))}"
    return f"{signed}.{b32encode(keys.sign(signed.encode('ascii')))}"


@dataclass(frozen=True, slots=True)
class ParsedCode:
    """A certificate code split into its claims, the signed text and the signature."""

    claims: CertificateClaims
    signed_text: str
    signature: bytes


def parse_code(text: str) -> ParsedCode:
    """Split and decode a code; raise :class:`MalformedCode` when it is not a Yinling code."""
    parts = text.strip().split(".")
    if len(parts) != 3 or parts[0] != PREFIX:
        raise MalformedCode("shape")
    claims = decode_payload(b32decode(parts[1]))
    signature = b32decode(parts[2])
    if len(signature) != SIGNATURE_BYTES:
        raise MalformedCode("signature")
    return ParsedCode(claims, f"{parts[0]}.{parts[1]}", signature)


def load_or_create_id_key(get_setting: Callable[[str], Any],
                          set_setting: Callable[[str, Any], None]) -> bytes:
    """The key of the ID-number hash from the settings (hex), made on first use.

    The county server should distribute one key to all its laptops (as a synced setting), so
    that the county can check ID numbers on any certificate it issued; a laptop without one
    makes its own.
    """
    stored = get_setting(ID_KEY_SETTING)
    if stored is None:
        key = os.urandom(32)
        set_setting(ID_KEY_SETTING, key.hex())
        return key
    try:
        key = bytes.fromhex(str(stored))
    except ValueError:
        key = b""
    if len(key) < 16:
        raise InputRejected([Problem(ID_KEY_SETTING, "format", "证书身份号码摘要密钥已损坏")])
    return key
