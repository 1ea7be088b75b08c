"""Signed service lists: who issued an installed list version, checked at install and load.

A list that changes eligibility must come from the county or, on a pilot laptop that belongs
to no county, from a supervisor of the laptop. Every installed list file ``<ref>.yaml`` has a
seal beside it (``<ref>.yaml.seal.json``) holding the file's SHA-256, the signer and an
Ed25519 signature over ``yinling-service-list/1`` + that hash:

* ``county``: signed with the county's key when it published the version (the feed serves the
  signature with the content; :func:`signed_list_text` wraps both into one file for a USB
  stick). The laptop accepts it only when the key is the one of its enrolment.
* ``local``: signed at install by a supervisor's own key (unwrapped with the supervisor's
  password, see :mod:`assessment.records.keyring`); allowed only on a laptop not enrolled
  with a county, and shown as :data:`LOCAL_MARK` on screen and on the certificate.

A file without a seal, or changed after install (its hash no longer the sealed one), is
refused whenever the lists are loaded (:class:`~assessment.errors.FormFileError`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from assessment.errors import FormFileError, InputRejected
from assessment.inputreader import DEFAULT_LIMITS, parse_json, read_bytes
from assessment.wire.crypto import (
    CryptoError,
    b64decode,
    b64encode,
    load_sign_public,
    public_bytes,
    sign,
    verify,
)

SEAL_FORMAT = "yinling-list-seal/1"
SIGNED_FILE_FORMAT = "yinling-signed-list/1"
BUNDLED, COUNTY, LOCAL = "bundled", "county", "local"
LOCAL_MARK = "本机安装（未经县级签发）"
SEAL_SUFFIX = ".seal.json"
_CONTEXT = b"yinling-service-list/1\n"
_SEAL_LIMITS = DEFAULT_LIMITS.with_max_bytes(16 * 1024)


def list_message(raw: bytes) -> bytes:
    """What is signed for a list file: a context string and the file's SHA-256."""
    return _CONTEXT + hashlib.sha256(raw).hexdigest().encode("ascii")


def sign_list(private_key: Ed25519PrivateKey, raw: bytes) -> str:
    """The base64 signature of a list file's bytes."""
    return b64encode(sign(private_key, list_message(raw)))


def public_of(private_key: Ed25519PrivateKey) -> str:
    """The base64 public key of a signing key."""
    return b64encode(public_bytes(private_key.public_key()))


def signature_valid(public: str, signature: str, raw: bytes) -> bool:
    """True when ``signature`` (base64) by ``public`` (base64) covers ``raw``."""
    try:
        return verify(load_sign_public(public), b64decode(signature, size=64),
                      list_message(raw))
    except (CryptoError, ValueError):
        return False


@dataclass(frozen=True, slots=True)
class ListSeal:
    """Who issued one installed list file, and their signature over it."""

    origin: str  # COUNTY or LOCAL
    sha256: str
    signer: str  # "county", or the supervisor's username
    public: str  # base64 Ed25519 public key
    signature: str  # base64

    def to_json(self) -> dict[str, str]:
        """The seal file's content."""
        return {"format": SEAL_FORMAT, "origin": self.origin, "sha256": self.sha256,
                "signer": self.signer, "public": self.public, "signature": self.signature}

    @classmethod
    def from_json(cls, data: Any) -> ListSeal:
        """Parse a seal file's content; :class:`ValueError` when it is not one."""
        if not isinstance(data, dict) or data.get("format") != SEAL_FORMAT:
            raise ValueError("not a list seal")
        fields = ("origin", "sha256", "signer", "public", "signature")
        if not all(isinstance(data.get(k), str) for k in fields) or \
                data["origin"] not in (COUNTY, LOCAL):
            raise ValueError("bad list seal")
        return cls(*(str(data[k]) for k in fields))


def seal_for(origin: str, raw: bytes, signer: str, public: str, signature: str) -> ListSeal:
    """A seal for ``raw`` (the caller has checked the signature)."""
    return ListSeal(origin, hashlib.sha256(raw).hexdigest(), signer, public, signature)


def local_seal(private_key: Ed25519PrivateKey, username: str, raw: bytes) -> ListSeal:
    """A supervisor's seal over a list file installed on a laptop without a county."""
    return seal_for(LOCAL, raw, username, public_of(private_key), sign_list(private_key, raw))


def seal_path(list_path: Path) -> Path:
    """Where the seal of an installed list file lives."""
    return list_path.with_name(list_path.name + SEAL_SUFFIX)


@dataclass(frozen=True, slots=True)
class ListTrust:
    """Whose seals a workspace accepts: its county's key (None when not enrolled)."""

    county_public: str | None


def check_seal(path: Path, raw: bytes, trust: ListTrust | None) -> str:
    """The origin of an installed list file whose bytes are ``raw``, or :class:`FormFileError`.

    Without ``trust`` (a command run without signing in) the seal's own key is checked, so a
    file changed after install or a seal copied from elsewhere is still refused.
    """
    file = str(path)
    try:
        seal = ListSeal.from_json(parse_json(read_bytes(seal_path(path), _SEAL_LIMITS.max_bytes),
                                             _SEAL_LIMITS, str(seal_path(path))))
    except InputRejected as exc:
        if not seal_path(path).exists():
            raise FormFileError(file, "seal", "清单文件没有签发记录（未经县级签发或管理员安装），"
                                "已拒绝使用；请通过“安装清单”重新安装") from exc
        raise FormFileError(file, "seal", f"清单的签发记录无法读取：{exc}") from exc
    except ValueError as exc:
        raise FormFileError(file, "seal", "清单的签发记录格式不正确，已拒绝使用") from exc
    if hashlib.sha256(raw).hexdigest() != seal.sha256:
        raise FormFileError(file, "seal", "清单文件在安装后被改动过，已拒绝使用；"
                            "请重新安装县级签发的清单")
    if not signature_valid(seal.public, seal.signature, raw):
        raise FormFileError(file, "seal", "清单的签名无效，已拒绝使用")
    if trust is not None and seal.origin == COUNTY and seal.public != trust.county_public:
        raise FormFileError(file, "seal", "清单不是由本机登记的县级服务器签发的，已拒绝使用")
    return seal.origin


def signed_list_text(content: str, signature: str) -> str:
    """One file carrying a county-signed list version (for a laptop offline: a USB stick)."""
    import json

    return json.dumps({"format": SIGNED_FILE_FORMAT, "content": content,
                       "signature": signature}, ensure_ascii=False, indent=1) + "\n"


def read_signed_list(data: bytes) -> tuple[bytes, str] | None:
    """``(list file bytes, signature)`` when ``data`` is a county-signed list file, else None
    (a plain YAML list file)."""
    if not data.lstrip().startswith(b"{"):
        return None
    try:
        value = parse_json(data, DEFAULT_LIMITS.with_max_bytes(4 * 1024 * 1024), "清单文件")
    except InputRejected:
        return None
    if not isinstance(value, dict) or value.get("format") != SIGNED_FILE_FORMAT or \
            not isinstance(value.get("content"), str) or \
            not isinstance(value.get("signature"), str):
        return None
    return str(value["content"]).encode("utf-8"), str(value["signature"])
