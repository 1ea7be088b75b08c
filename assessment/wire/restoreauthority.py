"""The authority a laptop's restoration of a deregistered elder carries (issue 13).

Only a supervisor may put a deregistered elder back on the roll, but the county receives the
laptop's ``elder_status`` change signed by the *device*, which every account of the laptop can
use. So a restoration carries, in its payload's ``authority``:

* ``grant``: the county's role grant of the restoring account on that laptop
  (:mod:`assessment.wire.countygrant`), as the laptop keeps it;
* ``public``: the account's own signing key (wrapped under that account's password on the
  laptop, so no other account can use it);
* ``signature``: that key's signature over (device id, elder id, version, restoring account,
  reason).

The county accepts the restoration only when its own current grant for (device, account) is
``supervisor``, the grant carried is that very grant, and ``public`` has the fingerprint the
grant names (the account key the supervisor read off the laptop when the county granted the
role). An assessor can copy the supervisor's grant, but cannot sign with the supervisor's key.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from assessment.wire.crypto import (
    CryptoError,
    b64decode,
    b64encode,
    load_sign_public,
    public_bytes,
    sign,
    verify,
)

_CONTEXT = b"yinling-restore-authority/1\n"
CODE = "restore_unauthorized"
REASON = "恢复在册须由县级授权的管理员本人签名；此恢复未应用，待县级审核"


def _message(device_id: str, elder_id: str, version: int, by: str, why: str) -> bytes:
    body = json.dumps([device_id, elder_id, version, by, why], separators=(",", ":"),
                      ensure_ascii=False)
    return _CONTEXT + body.encode("utf-8")


def make_authority(seed: bytes, grant: Mapping[str, Any] | None, device_id: str,
                   elder_id: str, version: int, by: str, why: str) -> dict[str, Any]:
    """The ``authority`` of a restoration signed with the account's signing ``seed``."""
    key = Ed25519PrivateKey.from_private_bytes(seed)
    return {"grant": dict(grant) if grant is not None else None,
            "public": b64encode(public_bytes(key.public_key())),
            "signature": b64encode(sign(key, _message(device_id, elder_id, version, by, why)))}


def signature_ok(authority: Any, device_id: str, elder_id: str, version: int, by: str,
                 why: str) -> bool:
    """Whether ``authority`` is signed by the key it names over this restoration."""
    if not isinstance(authority, Mapping):
        return False
    try:
        return verify(load_sign_public(str(authority["public"])),
                      b64decode(str(authority["signature"]), size=64),
                      _message(device_id, elder_id, version, by, why))
    except (CryptoError, ValueError, KeyError, TypeError):
        return False
