"""County administration: townships, assessor accounts, enrolment codes, devices, lists.

Shared by the admin endpoints and the ``yinling county`` command; every function works inside
the caller's transaction and writes an audit entry.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, case, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from assessment.devicekeys import DevicePublicKey
from assessment.errors import InputRejected, Problem
from assessment.wire.changes import canonical_json
from assessment.wire.crypto import CryptoError, b64decode
from server import audit
from server.db.tables import accounts, devices, enrolment_codes, list_versions, townships
from server.errors import Conflict, NotFound
from server.timeutil import iso, utcnow

_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
_USERNAME = re.compile(r"^[A-Za-z0-9_.-]{2,64}$")
ROLES = frozenset({"assessor", "supervisor"})


def _reject(field: str, message: str) -> InputRejected:
    return InputRejected([Problem(field, "value", message)])


def code_hash(code: str) -> str:
    """Enrolment codes are stored hashed (normalised: upper case, no dashes or blanks)."""
    normal = re.sub(r"[\s-]", "", code).upper()
    return hashlib.sha256(normal.encode("ascii", "ignore")).hexdigest()


def add_township(conn: Connection, code: str, name: str, actor: str) -> int:
    """Create a township; its code is the 9-or-12-digit division code or any short key."""
    if not re.fullmatch(r"[0-9A-Za-z_-]{2,32}", code):
        raise _reject("code", "乡镇编码只能由字母、数字组成（2–32 位）")
    if not name.strip():
        raise _reject("name", "乡镇名称不能为空")
    if len(name.strip()) > 100:
        raise _reject("name", "乡镇名称不能超过 100 字")
    try:
        with conn.begin_nested():
            new_id = conn.execute(insert(townships).values(
                code=code, name=name.strip(), created_at=utcnow())).inserted_primary_key
    except IntegrityError as exc:
        raise Conflict(f"乡镇编码 {code} 已存在") from exc
    assert new_id is not None
    audit.record(conn, actor, "township.add", {"code": code})
    return int(new_id[0])


def township_id(conn: Connection, code: str) -> int:
    """The id of a township by code."""
    found = conn.execute(select(townships.c.id).where(townships.c.code == code)).scalar()
    if found is None:
        raise NotFound(f"没有编码为 {code} 的乡镇")
    return int(found)


def list_townships(conn: Connection) -> list[dict[str, Any]]:
    """Every township."""
    return [{"code": r.code, "name": r.name} for r in
            conn.execute(select(townships).order_by(townships.c.code))]


def _count_if(condition: Any) -> Any:
    """``SUM(1 if condition)``: how many of a group meet ``condition``."""
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


# A device is in use while neither it nor the account it was enrolled under is revoked.
_DEVICE_IN_USE = devices.c.revoked_at.is_(None) & accounts.c.revoked_at.is_(None)


def township_overview(conn: Connection) -> list[dict[str, Any]]:
    """Every township with its accounts and devices counted: all of them, and those in use
    (not revoked; a device also not under a revoked account)."""
    acc = (select(accounts.c.township_id, func.count().label("n"),
                  _count_if(accounts.c.revoked_at.is_(None)).label("active"))
           .group_by(accounts.c.township_id).subquery())
    dev = (select(devices.c.township_id, func.count().label("n"),
                  _count_if(_DEVICE_IN_USE).label("active"))
           .join(accounts, accounts.c.id == devices.c.account_id)
           .group_by(devices.c.township_id).subquery())
    rows = conn.execute(
        select(townships.c.code, townships.c.name, townships.c.created_at,
               acc.c.n.label("accounts"), acc.c.active.label("accounts_active"),
               dev.c.n.label("devices"), dev.c.active.label("devices_active"))
        .outerjoin(acc, acc.c.township_id == townships.c.id)
        .outerjoin(dev, dev.c.township_id == townships.c.id)
        .order_by(townships.c.code)).mappings()
    return [{"code": r["code"], "name": r["name"], "created_at": iso(r["created_at"]),
             "accounts": int(r["accounts"] or 0),
             "accounts_active": int(r["accounts_active"] or 0),
             "devices": int(r["devices"] or 0), "devices_active": int(r["devices_active"] or 0)}
            for r in rows]


def _accounts(conn: Connection, *where: Any) -> list[dict[str, Any]]:
    dev = (select(devices.c.account_id, func.count().label("n"),
                  _count_if(_DEVICE_IN_USE).label("active"))
           .join(accounts, accounts.c.id == devices.c.account_id)
           .group_by(devices.c.account_id).subquery())
    rows = conn.execute(
        select(accounts.c.username, accounts.c.display_name, accounts.c.role,
               accounts.c.created_at, accounts.c.revoked_at,
               townships.c.code.label("township"), townships.c.name.label("township_name"),
               dev.c.n.label("devices"), dev.c.active.label("devices_active"))
        .join(townships, townships.c.id == accounts.c.township_id)
        .outerjoin(dev, dev.c.account_id == accounts.c.id)
        .where(*where).order_by(accounts.c.username)).mappings()
    return [{"username": r["username"], "display_name": r["display_name"], "role": r["role"],
             "township": r["township"], "township_name": r["township_name"],
             "created_at": iso(r["created_at"]), "revoked_at": iso(r["revoked_at"]),
             "revoked": r["revoked_at"] is not None, "devices": int(r["devices"] or 0),
             "devices_active": int(r["devices_active"] or 0)} for r in rows]


def list_accounts(conn: Connection, township: str) -> list[dict[str, Any]]:
    """The accounts of one township (by code) with their devices counted."""
    return _accounts(conn, accounts.c.township_id == township_id(conn, township))


def account_info(conn: Connection, username: str) -> dict[str, Any] | None:
    """One account with its township and devices counted, if it exists."""
    found = _accounts(conn, accounts.c.username == username)
    return found[0] if found else None


def add_account(conn: Connection, username: str, display_name: str, township: str,
                actor: str, role: str = "assessor") -> None:
    """Create an assessor (or supervisor) account in a township."""
    if not _USERNAME.fullmatch(username):
        raise _reject("username", "用户名只能由字母、数字、下划线组成（2–64 位）")
    if role not in ROLES:
        raise _reject("role", "角色应为 assessor 或 supervisor")
    if not display_name.strip():
        raise _reject("display_name", "姓名不能为空")
    if len(display_name.strip()) > 100:
        raise _reject("display_name", "姓名不能超过 100 字")
    tid = township_id(conn, township)
    try:
        with conn.begin_nested():
            conn.execute(insert(accounts).values(
                username=username, display_name=display_name.strip(), role=role,
                township_id=tid, created_at=utcnow()))
    except IntegrityError as exc:
        raise Conflict(f"用户名 {username} 已存在") from exc
    audit.record(conn, actor, "account.add", {"username": username, "township": township})


def revoke_account(conn: Connection, username: str, actor: str) -> None:
    """Revoke an account: every device enrolled under it is refused from now on."""
    done = conn.execute(update(accounts).where(accounts.c.username == username,
                                               accounts.c.revoked_at.is_(None))
                        .values(revoked_at=utcnow())).rowcount
    if not done:
        raise NotFound(f"没有可停用的账号 {username}")
    audit.record(conn, actor, "account.revoke", {"username": username})


def new_enrolment_code(conn: Connection, username: str, actor: str,
                       valid_hours: int = 72) -> str:
    """A one-time enrolment code for a laptop of this account (shown once, stored hashed)."""
    account = conn.execute(select(accounts.c.id, accounts.c.revoked_at)
                           .where(accounts.c.username == username)).first()
    if account is None:
        raise NotFound(f"没有账号 {username}")
    if account.revoked_at is not None:
        raise Conflict(f"账号 {username} 已停用")
    raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(12))
    now = utcnow()
    conn.execute(insert(enrolment_codes).values(
        code_hash=code_hash(raw), account_id=account.id, created_at=now,
        expires_at=now + timedelta(hours=valid_hours)))
    audit.record(conn, actor, "enrolment_code.add", {"username": username})
    return "-".join(raw[i:i + 4] for i in range(0, 12, 4))


def enrolment_code_expiry(conn: Connection, code: str) -> str | None:
    """When an issued enrolment code stops being valid (ISO 8601), if it exists."""
    found = conn.execute(select(enrolment_codes.c.expires_at)
                         .where(enrolment_codes.c.code_hash == code_hash(code))).scalar()
    return iso(found) if isinstance(found, datetime) else None


def revoke_device(conn: Connection, device_id: str, actor: str) -> None:
    """Revoke one laptop (lost or retired); its requests and bundles are refused."""
    done = conn.execute(update(devices).where(devices.c.device_id == device_id,
                                              devices.c.revoked_at.is_(None))
                        .values(revoked_at=utcnow())).rowcount
    if not done:
        raise NotFound(f"没有可停用的设备 {device_id}")
    audit.record(conn, actor, "device.revoke", {"device_id": device_id})


def key_code_of(sign_public_key: str) -> str:
    """The key code of a device's signing key, which is the device code the laptop shows for
    itself and prefixes its certificate numbers with; ``""`` for a key that cannot be
    read."""
    try:
        return DevicePublicKey(b64decode(sign_public_key, size=32)).code
    except (CryptoError, ValueError):
        return ""


def list_devices(conn: Connection) -> list[dict[str, Any]]:
    """Every enrolled device with its scope and sync position."""
    rows = conn.execute(
        select(devices, accounts.c.username, townships.c.code.label("township"))
        .join(accounts, accounts.c.id == devices.c.account_id)
        .join(townships, townships.c.id == devices.c.township_id)
        .order_by(devices.c.enrolled_at)).mappings()
    return [{"device_id": r["device_id"], "device_code": key_code_of(r["sign_public_key"]),
             "label": r["label"], "account": r["username"],
             "township": r["township"], "acked_seq": r["acked_seq"], "max_seq": r["max_seq"],
             "enrolled_at": iso(r["enrolled_at"]), "revoked": r["revoked_at"] is not None,
             "last_seen_at": iso(r["last_seen_at"])} for r in rows]


def publish_list(conn: Connection, list_id: str, version: int, content: str,
                 actor: str) -> str:
    """Publish a service-list version for laptops to pull; return its SHA-256."""
    if not re.fullmatch(r"[a-z0-9_.-]{2,64}", list_id) or version < 1:
        raise _reject("list_id", "清单编号或版本无效")
    digest = hashlib.sha256(content.encode("utf-8")).hexdigest()
    try:
        with conn.begin_nested():
            conn.execute(insert(list_versions).values(
                list_id=list_id, version=version, sha256=digest, content=content,
                published_at=utcnow()))
    except IntegrityError as exc:
        raise Conflict(f"清单 {list_id} 版本 {version} 已发布") from exc
    audit.record(conn, actor, "list.publish", {"list_id": list_id, "version": version})
    return digest


def county_public(keys_box: str, keys_sign: str) -> dict[str, str]:
    """The county's public keys as published at ``GET /county``."""
    return {"county_box_public": keys_box, "county_sign_public": keys_sign,
            "fingerprint": hashlib.sha256(canonical_json([keys_box, keys_sign]))
            .hexdigest()[:16]}
