"""Enrolling this laptop with the county, and where the enrolment is kept.

Online, :func:`enrol_online` posts the signed request (:mod:`assessment.wire.enrolment`) to
``POST /enrol``; offline, the same request travels as a file to the county and the answer comes
back as a file (``yinling sync enrol-import``). The county link is kept in the encrypted workspace
as device-local settings (:func:`enrolment_settings`, :func:`stored_link`), never in a file
of its own.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx

from assessment.errors import InputRejected, Problem
from assessment.records import countynotes
from assessment.sync.client import tls_context
from assessment.wire.countylink import CountyLink
from assessment.wire.crypto import CryptoError
from assessment.wire.device import DeviceKeys
from assessment.wire.enrolment import build_request, link_from_response
from assessment.wire.enrolment import refuse as _refuse


def enrol_online(server_url: str, keys: DeviceKeys, code: str, label: str, *,
                 transport: httpx.BaseTransport | None = None,
                 timeout: float = 30.0) -> CountyLink:
    """Enrol over HTTP with a one-time code; return the county link to save."""
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
    link = link_from_response(response.json(), server_url)
    if link.device_id != keys.device_id:
        raise _refuse("登记回复与本机设备编号不符")
    return link


def enrolment_settings(link: CountyLink) -> dict[str, Any]:
    """The device-local settings (``local.sync.*``) that keep an enrolment in the workspace.

    Only public material: the county's public keys, the server address, the township and
    the account; the device's own keys are ``device.*`` settings already.
    """
    return {
        countynotes.SERVER_URL: link.server_url,
        countynotes.PUBLIC_URL: link.public_url,
        countynotes.COUNTY_SIGN_PUBLIC: link.county_sign_public,
        countynotes.COUNTY_BOX_PUBLIC: link.county_box_public,
        countynotes.TOWNSHIP_CODE: link.township_code,
        countynotes.TOWNSHIP_NAME: link.township_name,
        countynotes.ACCOUNT: link.account,
        countynotes.ENROLLED: True,
    }


def stored_link(device_id: str, get_setting: Callable[[str], Any]) -> CountyLink:
    """The enrolment kept in the workspace settings; refused when not enrolled or damaged."""
    if get_setting(countynotes.ENROLLED) is not True:
        raise InputRejected([Problem("enrolment", "missing",
                                     "本机尚未登记到县级服务器，请先完成设备登记")])
    values = {key: get_setting(key) for key in (
        countynotes.SERVER_URL, countynotes.COUNTY_SIGN_PUBLIC, countynotes.COUNTY_BOX_PUBLIC,
        countynotes.TOWNSHIP_CODE, countynotes.TOWNSHIP_NAME, countynotes.ACCOUNT)}
    if not all(isinstance(v, str) for v in values.values()):
        raise InputRejected([Problem("enrolment", "format", "本机的登记信息已损坏，请重新登记")])
    link = CountyLink(
        device_id=device_id, township_code=values[countynotes.TOWNSHIP_CODE],
        township_name=values[countynotes.TOWNSHIP_NAME], account=values[countynotes.ACCOUNT],
        county_sign_public=values[countynotes.COUNTY_SIGN_PUBLIC],
        county_box_public=values[countynotes.COUNTY_BOX_PUBLIC],
        server_url=values[countynotes.SERVER_URL],
        public_url=public_url if isinstance(public_url := get_setting(countynotes.PUBLIC_URL),
                                            str) else "")
    try:
        link.county_sign_key()
        link.county_box_key()
    except (CryptoError, ValueError) as exc:
        raise InputRejected([Problem("enrolment", "format",
                                     "本机保存的县级公钥已损坏，请重新登记")]) from exc
    return link
