"""Role grants the county signs for enrolled laptops (issue 12, item 5): the wire format.

The county signs ``(device id, username, role)`` with its Ed25519 key; the grant travels in the
township feed as a county change (record type ``assessor``, mark action :data:`GRANT_ACTION`)
and the laptop verifies it with the county key it received at enrolment
(:mod:`assessment.records.rolegrants` keeps and checks them).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from assessment.wire.crypto import CryptoError, b64decode, b64encode, load_sign_public, sign, verify

ROLES = ("assessor", "supervisor")
GRANT_ACTION = "role_grant"
"""The mark action of a county change carrying a role grant."""
_COUNTY_CONTEXT = b"yinling-county-role-grant/1\n"


def _county_message(device_id: str, username: str, role: str) -> bytes:
    body = json.dumps([device_id, username, role], separators=(",", ":"))
    return _COUNTY_CONTEXT + body.encode("utf-8")


def make_county_grant(county_key: Ed25519PrivateKey, device_id: str, username: str,
                      role: str) -> dict[str, str]:
    """A grant of ``role`` to ``username`` on the laptop ``device_id``, signed by the county."""
    signature = sign(county_key, _county_message(device_id, username, role))
    return {"device_id": device_id, "username": username, "role": role,
            "signature": b64encode(signature)}


def county_grant_ok(grant: Any, county_public: str, device_id: str) -> bool:
    """Whether ``grant`` is the county's signature for this device (any role)."""
    if not isinstance(grant, Mapping) or grant.get("device_id") != device_id:
        return False
    try:
        return verify(load_sign_public(county_public),
                      b64decode(str(grant["signature"]), size=64),
                      _county_message(device_id, str(grant["username"]), str(grant["role"])))
    except (CryptoError, ValueError, KeyError, TypeError):
        return False
