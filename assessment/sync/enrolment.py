"""Enrolling a laptop with the county: online (``POST /enrol``) or offline by file.

The laptop sends its public keys with the one-time code, signed with its own Ed25519 key to
prove it holds the private half. The county answers with the township, the account and its
own public keys, signed with the county key; the laptop keeps them as its
:class:`~assessment.sync.profile.SyncProfile`. Offline, the same request travels as a file to
the county (``yinling county enrol-device``) and the answer comes back as a file
(``yinling sync enrol-import``). The profile is kept in the encrypted workspace as device-local
settings (:func:`enrolment_settings`, :func:`stored_profile`), never in a file of its own.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx

from assessment.errors import InputRejected, Problem
from assessment.records import countynotes
from assessment.sync.changes import canonical_json
from assessment.sync.client import tls_context
from assessment.sync.crypto import (
    SIGNATURE_BYTES,
    CryptoError,
    b64decode,
    b64encode,
    load_sign_public,
    verify,
)
from assessment.sync.device import DeviceKeys
from assessment.sync.profile import SyncProfile

REQUEST_FORMAT = "yinling-enrolment-request"
RESPONSE_FORMAT = "yinling-enrolment"
REQUEST_FIELDS = ("format", "code", "device_id", "sign_public_key", "box_public_key", "label",
                  "created_at")
RESPONSE_FIELDS = ("format", "device_id", "township_code", "township_name", "account",
                   "county_sign_public", "county_box_public", "issued_at")


def _refuse(message: str) -> InputRejected:
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
        raise _refuse("不是设备登记申请")
    if set(data) != {*REQUEST_FIELDS, "signature"} or \
            not all(isinstance(data[k], str) for k in data):
        raise _refuse("设备登记申请字段不符")
    body = {k: data[k] for k in REQUEST_FIELDS}
    try:
        public = load_sign_public(body["sign_public_key"])
        b64decode(body["box_public_key"], size=32)
        signature = b64decode(data["signature"], size=SIGNATURE_BYTES)
    except (CryptoError, ValueError) as exc:
        raise _refuse("设备登记申请中的密钥无效") from exc
    if not verify(public, signature, canonical_json(body)):
        raise _refuse("设备登记申请签名无效")
    if not 0 < len(body["label"]) <= 100 or not 0 < len(body["device_id"]) <= 64:
        raise _refuse("设备名称或编号长度无效")
    return body


def profile_from_response(data: object, server_url: str = "") -> SyncProfile:
    """Verify the county's enrolment answer and turn it into this laptop's profile."""
    if not isinstance(data, dict) or data.get("format") != RESPONSE_FORMAT:
        raise _refuse("不是县级服务器的登记回复")
    if set(data) != {*RESPONSE_FIELDS, "signature"} or \
            not all(isinstance(data[k], str) for k in data):
        raise _refuse("登记回复字段不符")
    body = {k: data[k] for k in RESPONSE_FIELDS}
    try:
        public = load_sign_public(body["county_sign_public"])
        signature = b64decode(data["signature"], size=SIGNATURE_BYTES)
    except (CryptoError, ValueError) as exc:
        raise _refuse("登记回复中的县级密钥无效") from exc
    if not verify(public, signature, canonical_json(body)):
        raise _refuse("登记回复签名无效")
    return SyncProfile(device_id=body["device_id"], township_code=body["township_code"],
                       township_name=body["township_name"], account=body["account"],
                       county_sign_public=body["county_sign_public"],
                       county_box_public=body["county_box_public"], server_url=server_url)


def enrol_online(server_url: str, keys: DeviceKeys, code: str, label: str, *,
                 transport: httpx.BaseTransport | None = None,
                 timeout: float = 30.0) -> SyncProfile:
    """Enrol over HTTP with a one-time code; return the profile to save."""
    request = build_request(keys, code, label)
    with httpx.Client(base_url=server_url.rstrip("/"), timeout=timeout,
                      transport=transport, verify=tls_context()) as http:
        try:
            response = http.post("/enrol", content=json.dumps(request).encode(),
                                 headers={"Content-Type": "application/json"})
        except httpx.TransportError as exc:
            raise InputRejected([Problem("server", "unreachable", "无法连接县级服务器")]) from exc
    if response.status_code >= 400:
        try:
            detail = response.json().get("detail")
        except ValueError:
            detail = None
        raise _refuse(detail if isinstance(detail, str) else "县级服务器拒绝登记")
    profile = profile_from_response(response.json(), server_url)
    if profile.device_id != keys.device_id:
        raise _refuse("登记回复与本机设备编号不符")
    return profile


def enrolment_settings(profile: SyncProfile) -> dict[str, Any]:
    """The device-local settings (``local.sync.*``) that keep an enrolment in the workspace.

    Only public material: the county's public keys, the server address, the township and
    the account; the device's own keys are ``device.*`` settings already.
    """
    return {
        countynotes.SERVER_URL: profile.server_url,
        countynotes.COUNTY_SIGN_PUBLIC: profile.county_sign_public,
        countynotes.COUNTY_BOX_PUBLIC: profile.county_box_public,
        countynotes.TOWNSHIP_CODE: profile.township_code,
        countynotes.TOWNSHIP_NAME: profile.township_name,
        countynotes.ACCOUNT: profile.account,
        countynotes.ENROLLED: True,
    }


def stored_profile(device_id: str, get_setting: Callable[[str], Any]) -> SyncProfile:
    """The enrolment kept in the workspace settings; refused when not enrolled or damaged."""
    if get_setting(countynotes.ENROLLED) is not True:
        raise InputRejected([Problem("enrolment", "missing",
                                     "本机尚未登记到县级服务器，请先完成设备登记")])
    values = {key: get_setting(key) for key in (
        countynotes.SERVER_URL, countynotes.COUNTY_SIGN_PUBLIC, countynotes.COUNTY_BOX_PUBLIC,
        countynotes.TOWNSHIP_CODE, countynotes.TOWNSHIP_NAME, countynotes.ACCOUNT)}
    if not all(isinstance(v, str) for v in values.values()):
        raise InputRejected([Problem("enrolment", "format", "本机的登记信息已损坏，请重新登记")])
    profile = SyncProfile(
        device_id=device_id, township_code=values[countynotes.TOWNSHIP_CODE],
        township_name=values[countynotes.TOWNSHIP_NAME], account=values[countynotes.ACCOUNT],
        county_sign_public=values[countynotes.COUNTY_SIGN_PUBLIC],
        county_box_public=values[countynotes.COUNTY_BOX_PUBLIC],
        server_url=values[countynotes.SERVER_URL])
    try:
        profile.county_sign_key()
        profile.county_box_key()
    except (CryptoError, ValueError) as exc:
        raise InputRejected([Problem("enrolment", "format",
                                     "本机保存的县级公钥已损坏，请重新登记")]) from exc
    return profile
