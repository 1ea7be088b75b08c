"""The county's key pairs and admin token, created on first start in the data folder.

* ``county_box.key`` — X25519: laptops seal bundles to its public half;
* ``county_sign.key`` — Ed25519: the county signs receipts and enrolment responses with it;
* ``admin.token`` — the bearer token of the admin endpoints.

All three are written owner-readable only; back them up with the database (a lost box key
makes bundles already sealed to it unreadable; a lost sign key means re-enrolling laptops).
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_pem_private_key,
)

from assessment.wire.crypto import b64encode, key_id, public_bytes

BOX_FILE = "county_box.key"
SIGN_FILE = "county_sign.key"
TOKEN_FILE = "admin.token"


def _write_private(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(tmp, path)


def _pem(key: Ed25519PrivateKey | X25519PrivateKey) -> bytes:
    return key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())


@dataclass(frozen=True, slots=True)
class CountyKeys:
    """The county's private keys and admin token."""

    box: X25519PrivateKey
    sign: Ed25519PrivateKey
    admin_token: str

    @property
    def box_public(self) -> str:
        """Base64 X25519 public key (laptops seal bundles to it)."""
        return b64encode(public_bytes(self.box.public_key()))

    @property
    def sign_public(self) -> str:
        """Base64 Ed25519 public key (laptops verify receipts with it)."""
        return b64encode(public_bytes(self.sign.public_key()))

    @property
    def sign_key_id(self) -> str:
        """Short name of the signing key."""
        return key_id(public_bytes(self.sign.public_key()))


def load_or_create(data_dir: Path) -> CountyKeys:
    """Read the county keys, generating any that are missing (first start)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    box_path, sign_path, token_path = (data_dir / n for n in (BOX_FILE, SIGN_FILE, TOKEN_FILE))
    if not box_path.exists():
        _write_private(box_path, _pem(X25519PrivateKey.generate()))
    if not sign_path.exists():
        _write_private(sign_path, _pem(Ed25519PrivateKey.generate()))
    if not token_path.exists():
        _write_private(token_path, secrets.token_urlsafe(32).encode("ascii"))
    box = load_pem_private_key(box_path.read_bytes(), password=None)
    sign = load_pem_private_key(sign_path.read_bytes(), password=None)
    if not isinstance(box, X25519PrivateKey) or not isinstance(sign, Ed25519PrivateKey):
        raise ValueError("县级密钥文件类型不符")
    return CountyKeys(box, sign, token_path.read_text(encoding="ascii").strip())
