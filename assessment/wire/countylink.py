"""What a laptop knows about its county after enrolment: server address and county keys.

Kept as settings of the workspace (:func:`assessment.sync.enrolment.enrolment_settings`; the
county's keys are public, nothing here is secret). Written by online enrolment or by importing
the county's enrolment response file.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey

from assessment.wire.crypto import load_box_public, load_sign_public


@dataclass(frozen=True, slots=True)
class CountyLink:
    """The county this device is enrolled with."""

    device_id: str
    township_code: str
    township_name: str
    account: str
    county_sign_public: str
    county_box_public: str
    server_url: str = ""
    public_url: str = ""  # the county's public verification address (certificate QR links)

    def county_sign_key(self) -> Ed25519PublicKey:
        """The county's receipt-signing key."""
        return load_sign_public(self.county_sign_public)

    def county_box_key(self) -> X25519PublicKey:
        """The county's bundle-sealing key."""
        return load_box_public(self.county_box_public)
