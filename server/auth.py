"""Request authentication: signed device requests and the admin bearer token.

See :mod:`assessment.wire.requestsig` for the scheme and why it was chosen over a device
token. Every check happens on every request: the signature against the enrolled key, the
timestamp window, the nonce (each accepted once, remembered in ``request_nonces`` for twice the
window), and whether the device or its account has been revoked.

The checks that need no body come first (:func:`read_headers`, then :func:`precheck`), so a
request that can never be accepted is refused before any of its body is read
(:mod:`server.deps`); the signature over the body is checked once it has streamed in.
"""

from __future__ import annotations

import hashlib
import hmac
import random
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import Connection, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from assessment.wire.crypto import CryptoError, b64decode, load_sign_public, verify
from assessment.wire.requestsig import (
    HEADER_DEVICE,
    HEADER_NONCE,
    HEADER_SIGNATURE,
    HEADER_TIMESTAMP,
    signing_message_for,
)
from server.db.engine import is_sqlite
from server.db.tables import accounts, devices, request_nonces, townships
from server.errors import NotAuthenticated, Revoked
from server.timeutil import utcnow


@dataclass(frozen=True, slots=True)
class DeviceContext:
    """The authenticated device and its scope."""

    device_id: str
    township_id: int
    township_code: str
    account: str


def device_context(conn: Connection, device_id: str) -> tuple[DeviceContext, str]:
    """The device's scope and its Ed25519 key; refuse unknown and revoked devices/accounts."""
    row = conn.execute(
        select(devices.c.device_id, devices.c.township_id, devices.c.sign_public_key,
               devices.c.revoked_at, accounts.c.username, accounts.c.revoked_at.label("acc_rev"),
               townships.c.code)
        .join(accounts, accounts.c.id == devices.c.account_id)
        .join(townships, townships.c.id == devices.c.township_id)
        .where(devices.c.device_id == device_id)).first()
    if row is None:
        raise NotAuthenticated("设备未在县级服务器登记")
    if row.revoked_at is not None:
        raise Revoked("该设备已被县级管理员停用")
    if row.acc_rev is not None:
        raise Revoked("该设备所属账号已被停用")
    return (DeviceContext(row.device_id, row.township_id, row.code, row.username),
            str(row.sign_public_key))


STAMP_DIGITS = 15  # milliseconds since 1970 fit in 13 digits until the year 2286


@dataclass(frozen=True, slots=True)
class SignedHeaders:
    """The authentication headers of a request, checked for form (nothing looked up yet)."""

    device_id: str
    stamp: int
    nonce: str
    signature: str


def read_headers(headers: Mapping[str, str], skew_ms: int) -> SignedHeaders:
    """The signature headers of a request (``headers`` keyed in lower case), refused unless
    all are present, well formed and the timestamp is inside the window. Needs no database
    and no body: the first check of every signed request."""
    device_id = headers.get(HEADER_DEVICE.lower())
    stamp = headers.get(HEADER_TIMESTAMP.lower())
    nonce = headers.get(HEADER_NONCE.lower())
    signature = headers.get(HEADER_SIGNATURE.lower())
    if not device_id or not stamp or not nonce or not signature:
        raise NotAuthenticated("请求未签名")
    if len(nonce) > 64 or len(device_id) > 64 or len(signature) > 128:
        raise NotAuthenticated("请求签名头格式无效")
    # ASCII digits only ("²" passes isdigit()) and a bounded length (int() of thousands of
    # digits is refused by Python, and is slow before that).
    if not (stamp.isascii() and stamp.isdigit() and len(stamp) <= STAMP_DIGITS):
        raise NotAuthenticated(f"请求签名头 {HEADER_TIMESTAMP} 应为毫秒时间戳"
                               f"（最多 {STAMP_DIGITS} 位数字）")
    now_ms = int(utcnow().timestamp() * 1000)
    if abs(now_ms - int(stamp)) > skew_ms:
        raise NotAuthenticated("请求时间与服务器相差过大，请校准电脑时间")
    return SignedHeaders(device_id, int(stamp), nonce, signature)


def nonce_used(conn: Connection, signed: SignedHeaders) -> bool:
    """Whether the county has already accepted this nonce of this device."""
    return conn.execute(select(request_nonces.c.nonce).where(
        request_nonces.c.device_id == signed.device_id,
        request_nonces.c.nonce == signed.nonce)).first() is not None


def precheck(conn: Connection, signed: SignedHeaders) -> DeviceContext:
    """Everything that can be checked before the body is read: the device is enrolled and
    neither it nor its account is revoked, and the nonce has not been used."""
    device, _ = device_context(conn, signed.device_id)
    if nonce_used(conn, signed):
        raise NotAuthenticated("重复的请求（疑似重放），已拒绝")
    return device


def authenticate(conn: Connection, *, method: str, path_qs: str, headers: Mapping[str, str],
                 body: bytes | None = None, body_sha256: str | None = None,
                 skew_ms: int) -> DeviceContext:
    """Check a signed request inside the caller's transaction; the nonce is consumed.

    The body is given as bytes or as the SHA-256 hex digest computed while it streamed in.
    """
    signed = read_headers(headers, skew_ms)
    device, public_text = device_context(conn, signed.device_id)
    try:
        raw_signature = b64decode(signed.signature)
        public = load_sign_public(public_text)
    except CryptoError as exc:
        raise NotAuthenticated("请求签名格式无效") from exc
    if body_sha256 is None:
        body_sha256 = hashlib.sha256(body or b"").hexdigest()
    if not verify(public, raw_signature,
                  signing_message_for(method, path_qs, signed.stamp, signed.nonce,
                                      body_sha256)):
        raise NotAuthenticated("请求签名无效")
    # One statement, no savepoint: a nonce already seen inserts nothing.
    insert_nonce = (sqlite_insert if is_sqlite(conn) else pg_insert)(request_nonces) \
        .values(device_id=signed.device_id, nonce=signed.nonce, seen_at=signed.stamp) \
        .on_conflict_do_nothing().returning(request_nonces.c.nonce)
    if conn.execute(insert_nonce).first() is None:
        raise NotAuthenticated("重复的请求（疑似重放），已拒绝")
    if random.random() < 0.01:  # housekeeping: expired nonces can never be accepted again
        now_ms = int(utcnow().timestamp() * 1000)
        conn.execute(delete(request_nonces)
                     .where(request_nonces.c.seen_at < now_ms - 2 * skew_ms))
    return device


def check_admin(token: str | None, expected: str) -> None:
    """Refuse unless ``token`` is the admin token (constant-time comparison)."""
    if not token or not hmac.compare_digest(token.encode(), expected.encode()):
        raise NotAuthenticated("需要县级管理员令牌")
