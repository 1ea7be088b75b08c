"""Per-account wrapping of the database key: several assessors share one laptop.

The database is encrypted with one random 32-byte key. That key is never stored in clear: for
each account a key-encryption key is derived from the account's password with scrypt and
wraps the database key with AES-256-GCM. The wrapped copies live in a small JSON sidecar file
beside the database (``yinling.keys.json``). It holds no personal data: accounts are named by
an HMAC of the username under a per-file salt, and there is nothing else in it but salts,
nonces, cost parameters and ciphertext.

Signing in is unwrapping: a wrong username or password fails the GCM tag check and becomes
:class:`~assessment.records.api.SignInFailed` (one message for both, so that the file does not
tell which usernames exist). Adding an account wraps the same key again; removing one deletes
its wrap, after which that password opens nothing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from assessment.accounts import normalise_username
from assessment.passwords import MIN_PASSWORD_LENGTH, check_password, lock_seconds
from assessment.records.api import SignInFailed, StoreError

__all__ = ["MIN_PASSWORD_LENGTH", "Keyring", "new_database_key", "normalise_username"]

FORMAT = "yinling-keyring/1"
KEY_BYTES = 32
# scrypt cost: N=2**15, r=8 needs 32 MiB and about 0.1 s on a field laptop: slow enough to
# make guessing expensive, quick enough for sign-in. Stored per wrap, so it can be raised.
SCRYPT_N = 2**15
SCRYPT_R = 8
SCRYPT_P = 1
_AAD_PREFIX = b"yinling-db-key/1:"
# Each account also holds its own Ed25519 signing key (32-byte seed), wrapped under the same
# password: what a supervisor signs (a local service list, a role grant) cannot be forged
# by another account of the laptop, although every account unlocks the same database.
_SIGN_AAD_PREFIX = b"yinling-account-sign/1:"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: object) -> bytes:
    if not isinstance(text, str):
        raise ValueError("not base64 text")
    return base64.b64decode(text.encode("ascii"), validate=True)


def _derive(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    kdf = Scrypt(salt=salt, length=KEY_BYTES, n=n, r=r, p=p)
    return kdf.derive(password.encode("utf-8"))


@dataclass
class Keyring:
    """The wrapped copies of one database key, one per account."""

    user_salt: bytes
    wraps: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Wrong passwords in a row per username slot (known or not): {"failures": n, "at": t}.
    throttle: dict[str, dict[str, float]] = field(default_factory=dict)

    @classmethod
    def new(cls) -> Keyring:
        """An empty keyring with a fresh username salt."""
        return cls(user_salt=os.urandom(16))

    @classmethod
    def load(cls, path: Path) -> Keyring:
        """Read a keyring file; a missing or damaged file is a :class:`StoreError`."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise StoreError(f"找不到密钥文件 {path}，无法打开数据库") from exc
        except (OSError, ValueError) as exc:
            raise StoreError(f"密钥文件 {path} 无法读取或已损坏") from exc
        try:
            if data.get("format") != FORMAT:
                raise ValueError(data.get("format"))
            wraps = data["accounts"]
            if not isinstance(wraps, Mapping):
                raise ValueError("accounts")
            throttle = data.get("throttle", {})
            if not isinstance(throttle, Mapping):
                raise ValueError("throttle")
            return cls(user_salt=_unb64(data["user_salt"]),
                       wraps={str(k): dict(v) for k, v in wraps.items()},
                       throttle={str(k): {"failures": float(v["failures"]), "at": float(v["at"])}
                                 for k, v in throttle.items()})
        except (KeyError, ValueError, TypeError, AttributeError) as exc:
            raise StoreError(f"密钥文件 {path} 格式不正确") from exc

    def save(self, path: Path) -> None:
        """Write the keyring atomically (temporary file, flush to disk, rename)."""
        data = {"format": FORMAT, "user_salt": _b64(self.user_salt), "accounts": self.wraps,
                "throttle": self.throttle}
        text = json.dumps(data, indent=1, sort_keys=True)
        tmp = path.with_name(path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # this user only
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)

    def _slot(self, username: str) -> str:
        name = normalise_username(username).encode("utf-8")
        return hmac.new(self.user_salt, name, hashlib.sha256).hexdigest()

    def has(self, username: str) -> bool:
        """True when this username has a wrap."""
        return self._slot(username) in self.wraps

    def add(self, username: str, password: str, db_key: bytes, *, scrypt_n: int = SCRYPT_N,
            signing_seed: bytes | None = None) -> bytes:
        """Wrap ``db_key`` under this account's password (replacing an earlier wrap).

        The account's signing seed is wrapped too: ``signing_seed`` keeps an existing one (a
        password change), otherwise a new one is made. Returns the seed.
        """
        check_password(password, username)
        if len(db_key) != KEY_BYTES:
            raise ValueError("database key must be 32 bytes")
        slot = self._slot(username)
        salt, nonce = os.urandom(16), os.urandom(12)
        kek = _derive(password, salt, scrypt_n, SCRYPT_R, SCRYPT_P)
        wrapped = AESGCM(kek).encrypt(nonce, db_key, _AAD_PREFIX + slot.encode("ascii"))
        seed = signing_seed if signing_seed is not None else os.urandom(KEY_BYTES)
        sign_nonce = os.urandom(12)
        sign_wrapped = AESGCM(kek).encrypt(sign_nonce, seed,
                                           _SIGN_AAD_PREFIX + slot.encode("ascii"))
        self.wraps[slot] = {
            "kdf": "scrypt", "n": scrypt_n, "r": SCRYPT_R, "p": SCRYPT_P,
            "salt": _b64(salt), "nonce": _b64(nonce), "wrapped": _b64(wrapped),
            "sign_nonce": _b64(sign_nonce), "sign_wrapped": _b64(sign_wrapped),
        }
        return seed

    def remove(self, username: str) -> None:
        """Delete this account's wrap (its password then opens nothing)."""
        self.wraps.pop(self._slot(username), None)

    def unlock(self, username: str, password: str) -> bytes:
        """Unwrap the database key; a wrong username or password raises :class:`SignInFailed`."""
        return self.unlock_all(username, password)[0]

    def unlock_all(self, username: str, password: str) -> tuple[bytes, bytes | None]:
        """The database key and the account's signing seed (None for a wrap made before
        accounts had one). A wrong username or password raises :class:`SignInFailed`."""
        slot = self._slot(username)
        wrap = self.wraps.get(slot)
        if wrap is None:
            # As slow as a known account, so the time does not tell which usernames exist.
            _derive(password, _DUMMY_SALT, SCRYPT_N, SCRYPT_R, SCRYPT_P)
            raise SignInFailed()
        aad = slot.encode("ascii")
        try:
            kek = _derive(password, _unb64(wrap["salt"]), int(wrap["n"]), int(wrap["r"]),
                          int(wrap["p"]))
            key = AESGCM(kek).decrypt(_unb64(wrap["nonce"]), _unb64(wrap["wrapped"]),
                                      _AAD_PREFIX + aad)
            seed = None
            if "sign_wrapped" in wrap:
                seed = AESGCM(kek).decrypt(_unb64(wrap["sign_nonce"]),
                                           _unb64(wrap["sign_wrapped"]), _SIGN_AAD_PREFIX + aad)
            return key, seed
        except InvalidTag:
            raise SignInFailed() from None
        except (KeyError, ValueError, TypeError) as exc:
            raise StoreError("密钥文件中该账户的记录已损坏") from exc


    # ---------------------------------------------------------------- sign-in throttle

    def locked_for(self, username: str, now: float) -> int:
        """Seconds this username must still wait before a password is tried (0: none)."""
        entry = self.throttle.get(self._slot(username))
        if entry is None:
            return 0
        until = entry["at"] + lock_seconds(int(entry["failures"]))
        return max(0, int(until - now + 0.999))

    def record_failure(self, username: str, now: float) -> None:
        """Count one more wrong password for this username (call :meth:`save` after)."""
        slot = self._slot(username)
        failures = self.throttle.get(slot, {}).get("failures", 0.0)
        self.throttle[slot] = {"failures": failures + 1, "at": now}

    def clear_failures(self, username: str) -> bool:
        """Forget the wrong passwords of this username; True when there were any."""
        return self.throttle.pop(self._slot(username), None) is not None


_DUMMY_SALT = b"yinling-no-such-account"


def new_database_key() -> bytes:
    """A fresh random database key."""
    return os.urandom(KEY_BYTES)
