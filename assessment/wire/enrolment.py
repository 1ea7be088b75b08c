"""The enrolment messages: the laptop's signed request and the county's signed answer.

The laptop sends its public keys with the one-time code, signed with its own Ed25519 key to
prove it holds the private half. The county answers with the township, the account and its
own public keys, signed with the county key; the laptop keeps them as its
:class:`~assessment.wire.countylink.CountyLink`. The same messages travel online
(``POST /enrol``, :mod:`assessment.sync.enrolment`) or as files (``yinling county
enrol-device``, ``yinling sync enrol-import``); the county checks requests with
:func:`verify_request`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from assessment.errors import InputRejected, Problem
from assessment.wire.changes import canonical_json
from assessment.wire.countylink import CountyLink
from assessment.wire.crypto import (
    SIGNATURE_BYTES,
    CryptoError,
    b64decode,
    b64encode,
    load_sign_public,
    verify,
)
from assessment.wire.device import DeviceKeys
from assessment.wire.public_url import check_public_url

REQUEST_FORMAT = "yinling-enrolment-request"
RESPONSE_FORMAT = "yinling-enrolment"
REQUEST_FIELDS = ("format", "code", "device_id", "sign_public_key", "box_public_key", "label",
                  "created_at")
RESPONSE_FIELDS = ("format", "device_id", "township_code", "township_name", "account",
                   "county_sign_public", "county_box_public", "issued_at")
# Sent by counties that have a public address (the certificate page ``/v/…``).
RESPONSE_OPTIONAL = ("public_url",)


def refuse(message: str) -> InputRejected:
    return InputRejected([Problem("enrolment", "invalid", message)])


def build_request(keys: DeviceKeys, code: str, label: str) -> dict[str, Any]:
    """The signed enrolment request of this laptop."""
    body: dict[str, Any] = {
        "format": REQUEST_FORMAT, "code": code, "device_id": keys.device_id,
        "sign_public_key": keys.sign_public, "box_public_key": keys.box_public,
        "label": label, "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    return {**body, "signature": b64encode(keys.sign_key.sign(canonical_json(body)))}


def verify_request(data: object) -> dict[str, Any]:
    """Check an enrolment request's shape and self-signature; return its body."""
    if not isinstance(data, dict) or data.get("format") != REQUEST_FORMAT:
        raise refuse("不是设备登记申请")
    if set(data) != {*REQUEST_FIELDS, "signature"} or \
            not all(isinstance(data[k], str) for k in data):
        raise refuse("设备登记申请字段不符")
    body = {k: data[k] for k in REQUEST_FIELDS}
    try:
        public = load_sign_public(body["sign_public_key"])
        b64decode(body["box_public_key"], size=32)
        signature = b64decode(data["signature"], size=SIGNATURE_BYTES)
    except (CryptoError, ValueError) as exc:
        raise refuse("设备登记申请中的密钥无效") from exc
    if not verify(public, signature, canonical_json(body)):
        raise refuse("设备登记申请签名无效")
    if not 0 < len(body["label"]) <= 100 or not 0 < len(body["device_id"]) <= 64:
        raise refuse("设备名称或编号长度无效")
    return body


def link_from_response(data: object, server_url: str = "") -> CountyLink:
    """Verify the county's enrolment answer and turn it into this laptop's county link."""
    if not isinstance(data, dict) or data.get("format") != RESPONSE_FORMAT:
        raise refuse("不是县级服务器的登记回复")
    optional = {k for k in RESPONSE_OPTIONAL if k in data}
    if set(data) != {*RESPONSE_FIELDS, *optional, "signature"} or \
            not all(isinstance(data[k], str) for k in data):
        raise refuse("登记回复字段不符")
    body = {k: data[k] for k in (*RESPONSE_FIELDS, *sorted(optional))}
    try:
        public = load_sign_public(body["county_sign_public"])
        signature = b64decode(data["signature"], size=SIGNATURE_BYTES)
    except (CryptoError, ValueError) as exc:
        raise refuse("登记回复中的县级密钥无效") from exc
    if not verify(public, signature, canonical_json(body)):
        raise refuse("登记回复签名无效")
    public_url = body.get("public_url", "")
    if public_url:
        try:
            public_url = check_public_url(public_url)
        except InputRejected as exc:
            raise refuse(f"登记回复中的县级公开核验地址无效：{exc.problems[0].message}") from exc
    return CountyLink(device_id=body["device_id"], township_code=body["township_code"],
                       township_name=body["township_name"], account=body["account"],
                       county_sign_public=body["county_sign_public"],
                       county_box_public=body["county_box_public"], server_url=server_url,
                       public_url=public_url)
