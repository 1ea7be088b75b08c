"""The laptop's sync identity: its device id and its two key pairs.

The Ed25519 key signs requests and bundles; it is the same key pair
:mod:`assessment.devicekeys` makes for certificate signatures (:meth:`DeviceKeys.from_settings`
reads both halves from the workspace settings). The X25519 key lets the county seal things to
the laptop later (enrolment sends its public half). Private keys never leave the laptop: enrolment
sends only the public halves. The file is JSON with the raw private keys in base64 and is
written owner-readable only (DESIGN.md §5).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from assessment.devicekeys import load_or_create_device_keys
from assessment.errors import InputRejected, Problem
from assessment.ids import new_id
from assessment.sync.crypto import KEY_BYTES, CryptoError, b64decode, b64encode, public_bytes

_FORMAT = "yinling-device-keys"
BOX_SETTING_KEY = "device.box_key"


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

    def to_json(self) -> dict[str, str]:
        """The file form, private keys included."""
        return {
            "format": _FORMAT, "device_id": self.device_id,
            "sign_private": b64encode(_raw_private(self.sign_key)),
            "box_private": b64encode(_raw_private(self.box_key)),
        }

    @classmethod
    def from_json(cls, data: object) -> DeviceKeys:
        """Parse the file form; refuse anything malformed."""
        if not isinstance(data, dict) or data.get("format") != _FORMAT:
            raise InputRejected([Problem("device_keys", "format", "不是设备密钥文件")])
        try:
            device_id = data["device_id"]
            sign_raw = b64decode(str(data["sign_private"]), size=KEY_BYTES)
            box_raw = b64decode(str(data["box_private"]), size=KEY_BYTES)
        except (KeyError, CryptoError) as exc:
            raise InputRejected([Problem("device_keys", "format", "设备密钥文件已损坏")]) from exc
        if not isinstance(device_id, str) or not device_id:
            raise InputRejected([Problem("device_keys.device_id", "type", "设备编号无效")])
        return cls(device_id, Ed25519PrivateKey.from_private_bytes(sign_raw),
                   X25519PrivateKey.from_private_bytes(box_raw))

    def save(self, path: Path) -> None:
        """Write the key file, readable by the owner only, atomically."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(self.to_json(), handle)
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path) -> DeviceKeys:
        """Read a key file written by :meth:`save`."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InputRejected([Problem(str(path), "read", "无法读取设备密钥文件")]) from exc
        return cls.from_json(data)

    @classmethod
    def load_or_create(cls, path: Path) -> DeviceKeys:
        """The keys in ``path``, generating and saving them on first use."""
        if path.exists():
            return cls.load(path)
        keys = cls.generate()
        keys.save(path)
        return keys
