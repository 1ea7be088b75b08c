"""Role grants the county signs for enrolled laptops (issue 12, item 5): the wire format.

The county signs ``(device id, username, role, account key, serial)`` with its Ed25519 key:

* the *account key* is the fingerprint (:func:`account_fingerprint`) of the laptop account's
  own public key (the key its password unwraps), read off the laptop (``yinling sync status``,
  同步 → 同步状态) by its holder. An account made again under the same username has a new key,
  so it does not inherit the grant. A grant of ``assessor`` (withdrawing) may leave it empty.
* the *serial* grows with every grant of that username on that device, so an older grant
  (a supervisor grant carried again after it was withdrawn) never replaces a newer one.

A grant travels in the township feed as a county change (record type ``assessor``, mark
action :data:`GRANT_ACTION`) and in the receipt of every bundle the laptop's county imports
(laptops that only exchange USB sticks); the laptop verifies it with the county key it
received at enrolment (:mod:`assessment.records.rolegrants` keeps and checks them).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from assessment.wire.crypto import CryptoError, b64decode, b64encode, load_sign_public, sign, verify

ROLES = ("assessor", "supervisor")
GRANT_ACTION = "role_grant"
"""The mark action of a county change carrying a role grant."""
_COUNTY_CONTEXT = b"yinling-county-role-grant/2\n"
_FINGERPRINT = re.compile(r"[0-9a-f]{32}")


def account_fingerprint(public: str) -> str:
    """The fingerprint of an account's base64 Ed25519 public key: 128 bits of its SHA-256 as
    eight groups of four hex digits (read aloud or typed by a person)."""
    digest = hashlib.sha256(b64decode(public, size=32)).hexdigest()[:32]
    return "-".join(digest[i:i + 4] for i in range(0, 32, 4))


def normal_fingerprint(text: object) -> str | None:
    """A fingerprint as typed (any case, with or without dashes and spaces) in its normal
    form, or None when it is not one."""
    if not isinstance(text, str):
        return None
    digits = re.sub(r"[\s\-]", "", text).lower()
    if not _FINGERPRINT.fullmatch(digits):
        return None
    return "-".join(digits[i:i + 4] for i in range(0, 32, 4))


def _county_message(device_id: str, username: str, role: str, account_key: str,
                    serial: int) -> bytes:
    body = json.dumps([device_id, username, role, account_key, serial], separators=(",", ":"))
    return _COUNTY_CONTEXT + body.encode("utf-8")


def make_county_grant(county_key: Ed25519PrivateKey, device_id: str, username: str,
                      role: str, account_key: str, serial: int) -> dict[str, Any]:
    """A grant of ``role`` to the account ``username`` whose key has the fingerprint
    ``account_key``, on the laptop ``device_id``, signed by the county."""
    signature = sign(county_key, _county_message(device_id, username, role, account_key,
                                                 serial))
    return {"device_id": device_id, "username": username, "role": role,
            "account_key": account_key, "serial": serial, "signature": b64encode(signature)}


def county_grant_ok(grant: Any, county_public: str, device_id: str) -> bool:
    """Whether ``grant`` is the county's signature for this device (any role)."""
    if not isinstance(grant, Mapping) or grant.get("device_id") != device_id:
        return False
    serial = grant.get("serial")
    if not isinstance(serial, int) or isinstance(serial, bool) or not 0 < serial < 2**53:
        return False
    try:
        return verify(load_sign_public(county_public),
                      b64decode(str(grant["signature"]), size=64),
                      _county_message(device_id, str(grant["username"]), str(grant["role"]),
                                      str(grant["account_key"]), serial))
    except (CryptoError, ValueError, KeyError, TypeError):
        return False
