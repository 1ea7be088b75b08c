"""The county grants laptop roles (issue 12, item 5): ``yinling county account grant``.

On an enrolled laptop only the county makes a supervisor. A grant is the county's signature
over ``(device id, username, role, account key, serial)``
(:func:`assessment.wire.countygrant.make_county_grant`): the account key is the fingerprint of
the laptop account's own key, which its holder reads off the laptop (``yinling sync status``)
and gives to the county, so an account made again under the same username does not inherit
the grant; the serial is the grant's version, so an older grant never replaces a newer one.
It travels to the laptop as a county change in its township's feed (record type ``assessor``,
mark action ``role_grant``) and, for laptops that only exchange USB sticks, in the receipt of
every bundle the county imports from that laptop (:func:`device_grants`); the laptop verifies
it with the county key it received at enrolment. Granting ``assessor`` withdraws an earlier
supervisor grant (no account key needed).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Connection, select

from assessment.accounts import check_username
from assessment.errors import InputRejected, Problem
from assessment.wire.countydevice import MARK, PREFIX
from assessment.wire.countygrant import (
    GRANT_ACTION,
    ROLES,
    make_county_grant,
    normal_fingerprint,
)
from server import audit
from server.county_device import CountyAuthor, Draft, emit, lock_feeds, next_hlc
from server.db.tables import devices, record_heads


def _prefix(device_id: str) -> str:
    return f"grant:{device_id}:"


def _record_id(device_id: str, username: str) -> str:
    # The username's digest keeps the id within the 64 characters of a record id.
    return _prefix(device_id) + hashlib.sha256(username.encode("utf-8")).hexdigest()[:16]


def device_grants(conn: Connection, device_id: str) -> list[dict[str, Any]]:
    """The newest grant of every username on the laptop ``device_id`` (carried in the
    receipts of its bundles)."""
    rows = conn.execute(select(record_heads.c.record_id, record_heads.c.payload).where(
        record_heads.c.record_type == "assessor",
        record_heads.c.record_id.startswith(_prefix(device_id), autoescape=True))
        .order_by(record_heads.c.record_id))
    found = []
    for row in rows:
        payload = json.loads(row.payload) if isinstance(row.payload, str) else row.payload
        grant = payload.get("grant") if isinstance(payload, dict) else None
        if isinstance(grant, dict) and grant.get("device_id") == device_id:
            found.append(grant)
    return found


def grant_role(conn: Connection, author: CountyAuthor, county_key: Ed25519PrivateKey,
               device_id: object, username: object, role: object, actor: str,
               account_key: object = "") -> dict[str, Any]:
    """Sign ``role`` for the account ``username`` whose key has the fingerprint
    ``account_key`` on the laptop ``device_id`` and put it in the feed of the laptop's
    township. Refuses unknown, revoked or county devices, unknown roles, and a supervisor
    grant without a well-formed account key."""
    problems: list[Problem] = []
    device = None
    if not isinstance(device_id, str) or not device_id or device_id.startswith(PREFIX):
        problems.append(Problem("--device", "value", "请给出笔记本的设备编号"))
    else:
        device = conn.execute(select(devices.c.township_id, devices.c.revoked_at)
                              .where(devices.c.device_id == device_id)).first()
        if device is None or device.township_id is None:
            problems.append(Problem("--device", "unknown", f"没有登记编号为 {device_id} 的笔记本"))
        elif device.revoked_at is not None:
            problems.append(Problem("--device", "revoked", f"设备 {device_id} 已停用"))
    try:
        username = check_username(username if isinstance(username, str) else "")
    except InputRejected as exc:
        problems += [Problem("--user", p.code, p.message) for p in exc.problems]
    if role not in ROLES:
        problems.append(Problem("--role", "value",
                                "角色应为 supervisor（管理员）或 assessor（评估员）"))
    key = normal_fingerprint(account_key) if account_key else ""
    if key is None or (role == "supervisor" and not key):
        problems.append(Problem("--key", "value",
                                "请给出该账户的密钥指纹（32 位十六进制，笔记本上“同步状态”"
                                "或 yinling sync status 显示的 account_key）"))
    if problems:
        raise InputRejected(problems)
    assert isinstance(device_id, str)
    assert isinstance(username, str)
    assert isinstance(role, str)
    assert device is not None
    township_id = int(device.township_id)
    lock_feeds(conn, (township_id,))
    record_id = _record_id(device_id, username)
    last = conn.execute(select(record_heads.c.version).where(
        record_heads.c.record_type == "assessor",
        record_heads.c.record_id == record_id)).scalar()
    serial = int(last or 0) + 1
    grant = make_county_grant(county_key, device_id, username, role, key or "", serial)
    draft = Draft("assessor", record_id, serial, next_hlc(conn, author, 0),
                  {MARK: {"action": GRANT_ACTION}, "grant": grant})
    emit(conn, author, township_id, [draft], source="county")
    audit.record(conn, actor, "device.role_grant",
                 {"device_id": device_id, "username": username, "role": role,
                  "account_key": key})
    return {"device_id": device_id, "username": username, "role": role, "account_key": key}
