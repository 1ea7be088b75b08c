"""The county grants laptop roles (issue 12, item 5): ``yinling county account grant``.

On an enrolled laptop only the county makes a supervisor. A grant is the county's signature
over ``(device id, username, role)`` (:func:`assessment.wire.countygrant.make_county_grant`);
it travels to the laptop as a county change in its township's feed (record type ``assessor``,
mark action ``role_grant``), and the laptop verifies it with the county key it received at
enrolment. Granting ``assessor`` withdraws an earlier supervisor grant.
"""

from __future__ import annotations

from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Connection, select

from assessment.errors import InputRejected, Problem
from assessment.wire.countydevice import MARK, PREFIX
from assessment.wire.countygrant import GRANT_ACTION, ROLES, make_county_grant
from server import audit
from server.county_device import CountyAuthor, Draft, emit, lock_feeds, next_hlc
from server.db.tables import devices, record_heads

USERNAME_LIMIT = 64


def _record_id(device_id: str, username: str) -> str:
    return f"grant:{device_id}:{username}"


def grant_role(conn: Connection, author: CountyAuthor, county_key: Ed25519PrivateKey,
               device_id: object, username: object, role: object, actor: str) -> dict[str, Any]:
    """Sign ``role`` for ``username`` on the laptop ``device_id`` and put it in the feed of
    the laptop's township. Refuses unknown, revoked or county devices and unknown roles."""
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
    if not isinstance(username, str) or not username.strip() or \
            len(username) > USERNAME_LIMIT:
        problems.append(Problem("--user", "value",
                                f"请给出笔记本上的用户名（最多 {USERNAME_LIMIT} 个字符）"))
    if role not in ROLES:
        problems.append(Problem("--role", "value",
                                "角色应为 supervisor（管理员）或 assessor（评估员）"))
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
    grant = make_county_grant(county_key, device_id, username, role)
    draft = Draft("assessor", record_id, int(last or 0) + 1, next_hlc(conn, author, 0),
                  {MARK: {"action": GRANT_ACTION}, "grant": grant})
    emit(conn, author, township_id, [draft], source="county")
    audit.record(conn, actor, "device.role_grant",
                 {"device_id": device_id, "username": username, "role": role})
    return {"device_id": device_id, "username": username, "role": role}
