"""Verifiable role grants: a supervisor is a supervisor only with a signed grant (item 5).

Every account unlocks the same database key, so the ``role`` column alone proves nothing: an
assessor with that key could write ``supervisor`` into it. A grant is a signature over
``(device id, username, role, the account's public key)`` by

* the workspace's root key (the public key of the supervisor who created it, kept as
  ``local.role_root`` and named in the ``create_workspace`` audit entry), or
* another supervisor whose own grant is valid (a pilot township adds its supervisors).

Signing keys are the accounts' own (wrapped under their passwords in the keyring), so no other
account can make a grant. At sign-in an account whose ``supervisor`` role has no valid grant
works as an assessor, and the audit check (``workspace.audit.verify``) reports it.

On a laptop enrolled with a county (it holds the county's signing key from its enrolment) only
the county grants roles: ``yinling county account grant`` signs ``(device id, username, role,
account key, serial)`` with the county key (:mod:`assessment.wire.countygrant`) and sends it
through the township feed as a county change (record type ``assessor``, mark action
``role_grant``) and in the receipt of every bundle it imports from the laptop; the laptop keeps
the newest grant per username (highest serial) in ``local.county_role_grants`` and verifies it
with the county key at every sign-in and audit check. Grants of the workspace's own supervisors
no longer count there.

Either way a grant names the account's own key (the public key of the signing seed its
password unwraps): at sign-in the key of the account signing in must be the one its grant
names (:func:`holds_granted_key`), so an account deleted and made again under the same
username (with a new key) does not inherit the grant. Grants the bootstrap of an old workspace
made for its other supervisors name no key (their keys were not at hand) and bind the username
only.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.orm import Session

from assessment.records.changelog import utc_now
from assessment.records.schema import Setting
from assessment.settings import SYNC_COUNTY_SIGN_PUBLIC
from assessment.wire.countygrant import (
    ROLES,
    account_fingerprint,
    county_grant_ok,
    normal_fingerprint,
)
from assessment.wire.crypto import (
    CryptoError,
    b64decode,
    b64encode,
    load_sign_public,
    public_bytes,
    sign,
    verify,
)

ROOT = "local.role_root"
GRANTS = "local.role_grants"
COUNTY_GRANTS = "local.county_role_grants"
COUNTY_SIGN_PUBLIC = SYNC_COUNTY_SIGN_PUBLIC.key
SUPERVISOR = "supervisor"
_CONTEXT = b"yinling-role-grant/1\n"


def store(session: Session, key: str, value: Any) -> None:
    """Write a grant setting in the caller's transaction. Not audited on its own: the account
    change it belongs to is (``create_workspace`` names the root key)."""
    row = session.get(Setting, key)
    if row is None:
        session.add(Setting(key=key, value=value, version=1, updated_at=utc_now()))
    else:
        row.value, row.version, row.updated_at = value, row.version + 1, utc_now()


def public_of_seed(seed: bytes) -> str:
    """The base64 public key of an account's signing seed."""
    return b64encode(public_bytes(Ed25519PrivateKey.from_private_bytes(seed).public_key()))


def _message(device_id: str, username: str, role: str, subject_public: str) -> bytes:
    body = json.dumps([device_id, username, role, subject_public], separators=(",", ":"))
    return _CONTEXT + body.encode("utf-8")


def make_grant(issuer_seed: bytes, issuer: str, device_id: str, username: str, role: str,
               subject_public: str) -> dict[str, str]:
    """A grant of ``role`` to ``username`` signed with ``issuer``'s own key."""
    key = Ed25519PrivateKey.from_private_bytes(issuer_seed)
    signature = sign(key, _message(device_id, username, role, subject_public))
    return {"role": role, "subject_public": subject_public, "issuer": issuer,
            "issuer_public": public_of_seed(issuer_seed), "signature": b64encode(signature)}


def _signature_ok(grant: Mapping[str, Any], device_id: str, username: str) -> bool:
    try:
        return verify(load_sign_public(str(grant["issuer_public"])),
                      b64decode(str(grant["signature"]), size=64),
                      _message(device_id, username, str(grant["role"]),
                               str(grant["subject_public"])))
    except (CryptoError, ValueError, KeyError, TypeError):
        return False


def valid_supervisors(grants: Any, root: Any, device_id: str) -> set[str]:
    """The usernames holding a valid supervisor grant (chained back to the root key)."""
    if not isinstance(grants, Mapping) or not isinstance(root, str):
        return set()
    keys: dict[str, str] = {}
    changed = True
    while changed:
        changed = False
        for username, grant in grants.items():
            if username in keys or not isinstance(grant, Mapping) or \
                    grant.get("role") != SUPERVISOR:
                continue
            issuer_public = grant.get("issuer_public")
            trusted = issuer_public == root or keys.get(str(grant.get("issuer"))) == issuer_public
            if trusted and _signature_ok(grant, device_id, str(username)):
                keys[str(username)] = str(grant["subject_public"])
                changed = True
    return set(keys)


def county_supervisors(grants: Any, county_public: str, device_id: str) -> set[str]:
    """The usernames the county made supervisors of this device (valid signatures only)."""
    if not isinstance(grants, Mapping):
        return set()
    return {str(username) for username, grant in grants.items()
            if county_grant_ok(grant, county_public, device_id)
            and grant.get("username") == username and grant.get("role") == SUPERVISOR}


def keep_county_grant(session: Session, grant: Any, county_public: str,
                      device_id: str) -> bool:
    """Store a grant that arrived (feed or receipt) when it is the county's and for this
    device, unless a grant of that username with a higher serial is already kept (an older
    grant carried again); False when it is not the county's or names no account key for a
    supervisor."""
    if not county_grant_ok(grant, county_public, device_id) or \
            grant.get("role") not in ROLES:
        return False
    if grant.get("role") == SUPERVISOR and \
            normal_fingerprint(grant.get("account_key")) != grant.get("account_key"):
        return False
    row = session.get(Setting, COUNTY_GRANTS)
    grants = dict(row.value) if row is not None and isinstance(row.value, dict) else {}
    kept = grants.get(str(grant["username"]))
    if isinstance(kept, Mapping) and county_grant_ok(kept, county_public, device_id) and \
            int(kept["serial"]) >= int(grant["serial"]):
        return True  # the county's, but not newer than what is kept
    grants[str(grant["username"])] = dict(grant)
    store(session, COUNTY_GRANTS, grants)
    return True


def _bound_key(session: Session, device_id: str, username: str) -> str | None:
    """The account-key fingerprint the valid supervisor grant of ``username`` names ("" for
    an old bootstrap grant naming none), None when there is no valid grant."""
    county = session.get(Setting, COUNTY_SIGN_PUBLIC)
    if county is not None and isinstance(county.value, str) and county.value:
        row = session.get(Setting, COUNTY_GRANTS)
        grants = row.value if row is not None and isinstance(row.value, Mapping) else {}
        if username not in county_supervisors(grants, county.value, device_id):
            return None
        return str(grants[username].get("account_key", ""))
    root = session.get(Setting, ROOT)
    row = session.get(Setting, GRANTS)
    if root is None or row is None or not isinstance(row.value, Mapping) or \
            username not in valid_supervisors(row.value, root.value, device_id):
        return None
    subject = str(row.value[username].get("subject_public", ""))
    try:
        return account_fingerprint(subject) if subject else ""
    except CryptoError:
        return None


def holds_granted_key(session: Session, device_id: str, username: str,
                      seed: bytes | None) -> bool:
    """Whether the account signing in (whose signing seed its password unwrapped is
    ``seed``) is the one its supervisor grant names: False for an account made again under
    a granted username, or when there is no valid grant."""
    bound = _bound_key(session, device_id, username)
    if bound is None:
        return False
    if bound == "":
        return True  # an old bootstrap grant: binds the username only
    return seed is not None and bound == account_fingerprint(public_of_seed(seed))


def granted_supervisors(session: Session, device_id: str) -> set[str] | None:
    """The usernames that may work as supervisors here: by county grant on an enrolled laptop,
    else by the workspace's grant chain; None when no grant exists yet (an old workspace
    before its first supervisor signs in)."""
    county = session.get(Setting, COUNTY_SIGN_PUBLIC)
    if county is not None and isinstance(county.value, str) and county.value:
        row = session.get(Setting, COUNTY_GRANTS)
        return county_supervisors(row.value if row is not None else None, county.value,
                                  device_id)
    root = session.get(Setting, ROOT)
    if root is None:
        return None
    grants = session.get(Setting, GRANTS)
    return valid_supervisors(grants.value if grants is not None else None, root.value,
                             device_id)
