"""Request authentication: signed device requests and the admin bearer token.

See :mod:`assessment.wire.requestsig` for the scheme and why it was chosen over a device
token. Every check happens on every request: the signature against the enrolled key, the
timestamp window, the nonce (each accepted once, remembered in ``request_nonces`` for twice the
window), and whether the device or its account has been revoked.
"""

from __future__ import annotations

import hmac
import random
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
    signing_message,
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


def authenticate(conn: Connection, *, method: str, path_qs: str, headers: dict[str, str],
                 body: bytes, skew_ms: int) -> DeviceContext:
    """Check a signed request inside the caller's transaction; the nonce is consumed."""
    device_id = headers.get(HEADER_DEVICE.lower())
    stamp = headers.get(HEADER_TIMESTAMP.lower())
    nonce = headers.get(HEADER_NONCE.lower())
    signature = headers.get(HEADER_SIGNATURE.lower())
    if not device_id or not stamp or not nonce or not signature:
        raise NotAuthenticated("请求未签名")
    if len(nonce) > 64 or len(device_id) > 64 or not stamp.isdigit():
        raise NotAuthenticated("请求签名头格式无效")
    now_ms = int(utcnow().timestamp() * 1000)
    if abs(now_ms - int(stamp)) > skew_ms:
        raise NotAuthenticated("请求时间与服务器相差过大，请校准电脑时间")
    device, public_text = device_context(conn, device_id)
    try:
        raw_signature = b64decode(signature)
        public = load_sign_public(public_text)
    except CryptoError as exc:
        raise NotAuthenticated("请求签名格式无效") from exc
    if not verify(public, raw_signature,
                  signing_message(method, path_qs, int(stamp), nonce, body)):
        raise NotAuthenticated("请求签名无效")
    # One statement, no savepoint: a nonce already seen inserts nothing.
    insert_nonce = (sqlite_insert if is_sqlite(conn) else pg_insert)(request_nonces) \
        .values(device_id=device_id, nonce=nonce, seen_at=int(stamp)) \
        .on_conflict_do_nothing().returning(request_nonces.c.nonce)
    if conn.execute(insert_nonce).first() is None:
        raise NotAuthenticated("重复的请求（疑似重放），已拒绝")
    if random.random() < 0.01:  # housekeeping: expired nonces can never be accepted again
        conn.execute(delete(request_nonces)
                     .where(request_nonces.c.seen_at < now_ms - 2 * skew_ms))
    return device


def check_admin(token: str | None, expected: str) -> None:
    """Refuse unless ``token`` is the admin token (constant-time comparison)."""
    if not token or not hmac.compare_digest(token.encode(), expected.encode()):
        raise NotAuthenticated("需要县级管理员令牌")
