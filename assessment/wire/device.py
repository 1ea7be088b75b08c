"""The laptop's sync identity: its device id and its two key pairs.

There is one device identity per workspace: the workspace's device id, the Ed25519 key that
:mod:`assessment.devicekeys` makes for certificate signatures (it also signs sync requests and
bundles), and an X25519 key that lets the county seal things to the laptop later (enrolment
sends its public half). Both private keys live only in the encrypted workspace settings
(``device.signing_key``, ``device.box_key``), which are device-local: stored, audited by name,
never put in the change log (docs/architecture.md §5). :meth:`DeviceKeys.from_settings` reads
them (and makes them on first use);
:meth:`assessment.records.workspace.Workspace.device_keys` is the usual way in. There is no
key file: a private key never lies on disk unencrypted.
:meth:`DeviceKeys.generate` makes throw-away keys for tests and simulations.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from assessment.devicekeys import load_or_create_device_keys
from assessment.errors import InputRejected, Problem
from assessment.ids import new_id
from assessment.settings import DEVICE_BOX_KEY
from assessment.wire.crypto import KEY_BYTES, CryptoError, b64decode, b64encode, public_bytes

BOX_SETTING_KEY = DEVICE_BOX_KEY.key


def _raw_private(key: Ed25519PrivateKey | X25519PrivateKey) -> bytes:
    return key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())


@dataclass(frozen=True, slots=True)
class DeviceKeys:
    """A device id with its Ed25519 signing key and X25519 box key."""

    device_id: str
    sign_key: Ed25519PrivateKey
    box_key: X25519PrivateKey

    @classmethod
    def generate(cls, device_id: str | None = None) -> DeviceKeys:
        """Fresh keys for a new device (the id is a UUIDv7 unless given)."""
        return cls(device_id or new_id(), Ed25519PrivateKey.generate(),
                   X25519PrivateKey.generate())

    @classmethod
    def from_settings(cls, device_id: str, get_setting: Callable[[str], Any],
                      set_setting: Callable[[str, Any], None]) -> DeviceKeys:
        """The device keys kept in the workspace settings, made on first use.

        The Ed25519 half is :func:`assessment.devicekeys.load_or_create_device_keys`'s key,
        so certificates and sync share one device identity.
        """
        signing = load_or_create_device_keys(get_setting, set_setting)
        stored = get_setting(BOX_SETTING_KEY)
        if stored is None:
            box = X25519PrivateKey.generate()
            set_setting(BOX_SETTING_KEY, b64encode(_raw_private(box)))
        else:
            try:
                box = X25519PrivateKey.from_private_bytes(b64decode(str(stored), size=KEY_BYTES))
            except CryptoError as exc:
                raise InputRejected([Problem(BOX_SETTING_KEY, "format",
                                             "设备加密密钥已损坏，无法读取")]) from exc
        return cls(device_id, signing.private_key, box)

    @property
    def sign_public(self) -> str:
        """The Ed25519 public key, base64."""
        return b64encode(public_bytes(self.sign_key.public_key()))

    @property
    def box_public(self) -> str:
        """The X25519 public key, base64."""
        return b64encode(public_bytes(self.box_key.public_key()))
