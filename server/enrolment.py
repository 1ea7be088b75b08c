"""Enrolment on the county side: a one-time code turns a laptop's keys into a device."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import IntegrityError

from assessment.wire.changes import GENESIS_HASH, canonical_json
from assessment.wire.crypto import b64encode
from assessment.wire.enrolment import RESPONSE_FORMAT, verify_request
from server import audit
from server.county import code_hash
from server.db.tables import accounts, devices, enrolment_codes, townships
from server.errors import Conflict, Forbidden, NotAuthenticated
from server.keys import CountyKeys
from server.timeutil import utcnow


def enrol(conn: Connection, request: object, keys: CountyKeys, actor: str,
          public_url: str = "") -> dict[str, Any]:
    """Consume the code, register the device, and return the county's signed answer (with
    the county's public address for certificate QR links, when one is set)."""
    body = verify_request(request)
    now = utcnow()
    code = conn.execute(
        select(enrolment_codes.c.id, enrolment_codes.c.expires_at, enrolment_codes.c.used_at,
               accounts.c.id.label("account_id"), accounts.c.username, accounts.c.revoked_at,
               townships.c.id.label("township_id"), townships.c.code, townships.c.name)
        .join(accounts, accounts.c.id == enrolment_codes.c.account_id)
        .join(townships, townships.c.id == accounts.c.township_id)
        .where(enrolment_codes.c.code_hash == code_hash(body["code"]))).first()
    if code is None:
        raise NotAuthenticated("登记码无效")
    expires = code.expires_at if code.expires_at.tzinfo else code.expires_at.replace(
        tzinfo=now.tzinfo)
    if code.used_at is not None:
        raise Forbidden("登记码已被使用，请向县级管理员申请新的登记码")
    if expires < now:
        raise Forbidden("登记码已过期，请向县级管理员申请新的登记码")
    if code.revoked_at is not None:
        raise Forbidden("该账号已被停用")
    used = conn.execute(update(enrolment_codes).where(enrolment_codes.c.id == code.id,
                                                      enrolment_codes.c.used_at.is_(None))
                        .values(used_at=now, used_by=body["device_id"])).rowcount
    if not used:
        raise Forbidden("登记码已被使用，请向县级管理员申请新的登记码")
    try:
        with conn.begin_nested():
            conn.execute(insert(devices).values(
                device_id=body["device_id"], account_id=code.account_id,
                township_id=code.township_id, sign_public_key=body["sign_public_key"],
                box_public_key=body["box_public_key"], label=body["label"], enrolled_at=now,
                acked_seq=0, acked_hash=GENESIS_HASH, max_seq=0))
    except IntegrityError as exc:
        raise Conflict("该设备或其密钥已登记过") from exc
    audit.record(conn, actor, "device.enrol",
                 {"device_id": body["device_id"], "username": code.username,
                  "township": code.code})
    answer: dict[str, Any] = {
        "format": RESPONSE_FORMAT, "device_id": body["device_id"], "township_code": code.code,
        "township_name": code.name, "account": code.username,
        "county_sign_public": keys.sign_public, "county_box_public": keys.box_public,
        "issued_at": now.isoformat(timespec="seconds"),
    }
    if public_url:
        answer["public_url"] = public_url
    return {**answer, "signature": b64encode(keys.sign.sign(canonical_json(answer)))}


def response_text(answer: Mapping[str, Any]) -> str:
    """The enrolment response file a laptop imports (``yinling sync enrol-import``), as
    ``yinling county enrol-device`` and the offline enrolment page write it."""
    return json.dumps(dict(answer), ensure_ascii=False, indent=2)
