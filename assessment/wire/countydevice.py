"""The county server's own device id, derived alike by the county and by every laptop.

The county authors a few changes itself: its review decisions on field conflicts (the other
value, which must reach the laptops, or the current one kept, which closes the laptops' copies
of the conflict) and the changes that carry an elder from one township to another. They
travel in the township feeds like any laptop's changes, under a pseudo-device whose id is
derived from the county's signing key. A laptop holds that key from
its enrolment, so it recognises the county's changes exactly; and no laptop can push under that
id, because the county accepts only a device's own changes from it.

Each of those changes marks itself in its payload under :data:`MARK` (``{"action": …}``); the
field merge ignores that key (:data:`assessment.wire.merge.META_KEYS`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from assessment.wire.crypto import KEY_BYTES, CryptoError, b64decode, key_id

PREFIX = "county-"
MARK = "county"
"""Payload key of a county change: ``{"action": "prefer_other" | "keep" | "transfer" | "copy",
…}``."""

PREFER_OTHER = "prefer_other"  # a conflict resolved with the losing value
KEEP = "keep"  # a conflict resolved by keeping the current value (changes no field)
TRANSFER = "transfer"  # the notice that an elder moved to another township
COPY = "copy"  # a record re-sent to the township an elder moved to


def county_device_id(county_sign_public: str) -> str:
    """``county-`` and the key id (16 hex digits) of the county's Ed25519 public key (base64).

    Raises :class:`~assessment.wire.crypto.CryptoError` for a malformed key."""
    return PREFIX + key_id(b64decode(county_sign_public, size=KEY_BYTES))


def county_device_of(county_sign_public: object) -> str | None:
    """:func:`county_device_id` of a stored setting, or None when unset or malformed."""
    if not isinstance(county_sign_public, str):
        return None
    try:
        return county_device_id(county_sign_public)
    except CryptoError:
        return None


def county_action(payload: Mapping[str, Any]) -> tuple[str, Mapping[str, Any]] | None:
    """(action, mark) of a county change's payload, or None when it carries no valid mark."""
    mark = payload.get(MARK)
    if not isinstance(mark, Mapping) or not isinstance(mark.get("action"), str):
        return None
    return str(mark["action"]), mark
