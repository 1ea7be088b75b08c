"""What a laptop knows about its county after enrolment: server address and county keys.

Kept as a small JSON file beside the device keys (the county's keys are public; nothing here
is secret). Written by online enrolment or by importing the county's enrolment response file.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey

from assessment.errors import InputRejected, Problem
from assessment.sync.crypto import CryptoError, load_box_public, load_sign_public


@dataclass(frozen=True, slots=True)
class SyncProfile:
    """The county this device is enrolled with."""

    device_id: str
    township_code: str
    township_name: str
    account: str
    county_sign_public: str
    county_box_public: str
    server_url: str = ""

    def county_sign_key(self) -> Ed25519PublicKey:
        """The county's receipt-signing key."""
        return load_sign_public(self.county_sign_public)

    def county_box_key(self) -> X25519PublicKey:
        """The county's bundle-sealing key."""
        return load_box_public(self.county_box_public)

    def save(self, path: Path) -> None:
        """Write the profile atomically."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(json.dumps(asdict(self), ensure_ascii=False, indent=2), encoding="utf-8")
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path) -> SyncProfile:
        """Read a profile; refuse a missing or damaged file with a clear message."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            profile = cls(**data)
            profile.county_sign_key()
            profile.county_box_key()
        except FileNotFoundError as exc:
            raise InputRejected([Problem(str(path), "missing",
                                         "本机尚未登记到县级服务器，请先完成设备登记")]) from exc
        except (OSError, ValueError, TypeError, CryptoError) as exc:
            raise InputRejected([Problem(str(path), "format", "同步配置文件已损坏")]) from exc
        return profile
