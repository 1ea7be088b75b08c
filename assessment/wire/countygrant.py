"""Role grants the county signs for enrolled laptops (issue 12, item 5): the wire format.

The county signs ``(device id, username, role, account key, serial)`` with its Ed25519 key:

* the *account key* is the fingerprint (:func:`account_fingerprint`) of the laptop account's
  own public key (the key its password unwraps), read off the laptop (``yinling sync status``,
  同步 → 同步状态) by its holder. An account made again under the same username has a new key,
  so it does not inherit the grant. A grant of ``assessor`` (withdrawing) may leave it empty.
* the *serial* grows with every grant of that username on that device, so an older grant
  (a supervisor grant carried again after it was withdrawn) never replaces a newer one.

A grant travels in the township feed as a county change (record type ``assessor``, mark
action :data:`GRANT_ACTION`), in the receipt of every bundle the laptop's county imports
(laptops that only exchange USB sticks), and in a grants file the county writes on request
(:func:`grants_file_text`: a laptop with nothing to send has no bundle, hence no receipt);
the laptop verifies it with the county key it
received at enrolment (:mod:`assessment.records.rolegrants` keeps and checks them).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from assessment.errors import InputRejected, Problem
from assessment.inputreader import DEFAULT_LIMITS, read_json
from assessment.wire.crypto import CryptoError, b64decode, b64encode, load_sign_public, sign, verify

if TYPE_CHECKING:
    from assessment.wire.receipt import GrantKeeper

GRANTS_FILE_FORMAT = "yinling-role-grants/1"
GRANTS_FILE_LIMIT = 256
"""At most this many grants in a grants file (a laptop has a handful of accounts)."""
_FILE_LIMITS = DEFAULT_LIMITS.with_max_bytes(256 * 1024)
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


def grants_file_text(device_id: str, grants: list[dict[str, Any]]) -> str:
    """The grants file of one laptop: its grants, each signed by the county on its own."""
    return json.dumps({"format": GRANTS_FILE_FORMAT, "device_id": device_id,
                       "grants": grants}, ensure_ascii=False, indent=2)


def grants_of_file(raw: Any, device_id: str) -> list[dict[str, Any]]:
    """The grants of a grants file read as JSON, refused whole (:class:`InputRejected`,
    naming the field) when it is no grants file or is for another laptop. The signatures
    are checked where the grants are kept."""
    def refuse(field: str, message: str) -> InputRejected:
        return InputRejected([Problem(field, "invalid", message)])

    if not isinstance(raw, dict) or raw.get("format") != GRANTS_FILE_FORMAT:
        raise refuse("format", "不是银龄角色授权文件")
    if raw.get("device_id") != device_id:
        raise refuse("device_id", "授权文件不是发给本机的")
    grants = raw.get("grants")
    if not isinstance(grants, list) or not all(isinstance(g, dict) for g in grants) or \
            len(grants) > GRANTS_FILE_LIMIT:
        raise refuse("grants", "授权文件中的授权格式不符")
    return grants


def import_grants_file(path: Path, keeper: GrantKeeper, device_id: str) -> int:
    """Read a grants file (input limits) and keep the county's grants for this laptop (the
    CLI's ``sync import-grants`` and the GUI's 导入角色授权); how many were the county's.
    Refused whole (:class:`InputRejected`) when it is no grants file, is for another laptop,
    or holds no grant the county signed for it."""
    grants = grants_of_file(read_json(path, _FILE_LIMITS), device_id)
    kept = keeper.keep_county_grants(grants)
    if grants and not kept:
        raise InputRejected([Problem("grants", "signature",
                                     "授权文件中没有本县为本机签发的有效授权（签名不符或已被改动）")])
    return kept
