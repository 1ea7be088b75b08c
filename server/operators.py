"""Named accounts of the county office for the web pages: 管理员 and 审核员.

Passwords are kept as scrypt hashes (the KDF the laptops use for their keyring, from
``cryptography``), each with its own salt and cost, compared in constant time. An unknown or
disabled username costs the same derivation as a known one, so the answer time does not tell
which usernames exist. Every decision taken on the pages is recorded under the operator's
username (:func:`actor_of`); the admin token stays for the JSON API and scripts only.

Passwords follow the laptop's rules (:mod:`assessment.passwords`: at least 8 visible
characters, not the username, not a common password), and wrong passwords lock an account with
the laptop's growing delay (:func:`assessment.passwords.lock_seconds`), counted in the database
so that every server process and a restart see it; ``yinling county operator unlock`` lifts it.
While an account is locked no password is tried, and the answer is the same as for a wrong
password or an unknown username (and takes as long).

Roles: a 审核员 (``reviewer``) sees the pages and decides review items; a 管理员 (``admin``)
also sets the county up (townships, accounts, enrolment, revocation, transfers, bundles,
service lists).
"""

from __future__ import annotations

import base64
import hmac
import math
import os
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from sqlalchemy import Connection, select, update

from assessment.errors import InputRejected, Problem
from assessment.passwords import check_password, lock_seconds
from server import audit
from server.db.tables import operators
from server.timeutil import utcnow

ROLES = {"admin": "管理员", "reviewer": "审核员"}
ROLE_ALIASES = {"管理员": "admin", "审核员": "reviewer", "admin": "admin", "reviewer": "reviewer"}
SCRYPT_N = 2**15
SCRYPT_R = 8
SCRYPT_P = 1
_SCHEME = "scrypt"
_DUMMY_SALT = b"yinling-operator-timing-equaliser"


@dataclass(frozen=True, slots=True)
class Operator:
    """A signed-in county operator."""

    id: int
    username: str
    display_name: str
    role: str

    @property
    def is_admin(self) -> bool:
        """Whether the operator may set the county up (not only review)."""
        return self.role == "admin"

    @property
    def role_label(self) -> str:
        """管理员 or 审核员."""
        return ROLES.get(self.role, self.role)


def actor_of(operator: Operator) -> str:
    """The name an operator's actions are recorded under (audit, transfers, decisions)."""
    return f"web:{operator.username}"


def _derive(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(password.encode("utf-8"))


def hash_password(password: str, *, n: int = SCRYPT_N) -> str:
    """``scrypt$n$r$p$salt$hash`` (base64) of a password."""
    salt = os.urandom(16)
    digest = _derive(password, salt, n, SCRYPT_R, SCRYPT_P)
    return "$".join((_SCHEME, str(n), str(SCRYPT_R), str(SCRYPT_P),
                     base64.b64encode(salt).decode(), base64.b64encode(digest).decode()))


def password_matches(password: str, stored: str | None) -> bool:
    """Whether ``password`` is the one ``stored`` was made from (a dummy derivation of the
    same cost when nothing is stored, so that the time says nothing)."""
    if stored is None:
        _derive(password, _DUMMY_SALT, SCRYPT_N, SCRYPT_R, SCRYPT_P)
        return False
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != _SCHEME:
            return False
        derived = _derive(password, base64.b64decode(salt), int(n), int(r), int(p))
        return hmac.compare_digest(derived, base64.b64decode(digest))
    except ValueError:
        return False


def _normal(username: str) -> str:
    return unicodedata.normalize("NFKC", username).strip().casefold()


def password_problems(username: str, password: str) -> list[Problem]:
    """Why a password may not be used (empty when it may): the laptop's rules."""
    try:
        check_password(password, username)
    except InputRejected as exc:
        return list(exc.problems)
    return []


def add_operator(conn: Connection, username: str, display_name: str, role: str,
                 password: str, actor: str) -> dict[str, Any]:
    """Create a named account (audited); every problem at once, nothing written."""
    problems: list[Problem] = []
    name = _normal(username)
    if not name or len(name) > 64 or not all(ch.isalnum() or ch in "._-" for ch in name):
        problems.append(Problem("username", "value",
                                "用户名应为 1–64 个字母、数字或 . _ -"))
    elif conn.execute(select(operators.c.id).where(operators.c.username == name)).first():
        problems.append(Problem("username", "taken", f"用户名 {name} 已存在"))
    if not display_name.strip() or len(display_name) > 100:
        problems.append(Problem("display_name", "value", "姓名不能为空（最多 100 个字符）"))
    code = ROLE_ALIASES.get(role.strip())
    if code is None:
        problems.append(Problem("role", "value", "角色应为 管理员 或 审核员"))
    problems += password_problems(name, password)
    if problems:
        raise InputRejected(problems)
    assert code is not None
    conn.execute(operators.insert().values(
        username=name, display_name=display_name.strip(), role=code,
        password_hash=hash_password(password), created_at=utcnow()))
    audit.record(conn, actor, "operator.add", {"username": name, "role": code})
    return {"username": name, "display_name": display_name.strip(), "role": ROLES[code]}


def disable_operator(conn: Connection, username: str, actor: str) -> None:
    """Disable a named account (its sessions end at their next request)."""
    name = _normal(username)
    done = conn.execute(update(operators).where(operators.c.username == name,
                                                operators.c.disabled_at.is_(None))
                        .values(disabled_at=utcnow())).rowcount
    if not done:
        raise InputRejected([Problem("username", "unknown", f"没有启用中的账号 {name}")])
    audit.record(conn, actor, "operator.disable", {"username": name})


def list_operators(conn: Connection) -> list[dict[str, Any]]:
    """Every named account (without its hash)."""
    o = operators.c
    return [{"username": r.username, "display_name": r.display_name,
             "role": ROLES.get(r.role, r.role), "disabled": r.disabled_at is not None}
            for r in conn.execute(select(o.username, o.display_name, o.role, o.disabled_at)
                                  .order_by(o.username))]


def locked_for(failures: int, failed_at: datetime | None, now: datetime) -> int:
    """Seconds an account with ``failures`` wrong passwords in a row, the last at
    ``failed_at``, must still wait before a password is tried (0: none)."""
    if failed_at is None:
        return 0
    if failed_at.tzinfo is None:
        failed_at = failed_at.replace(tzinfo=UTC)
    until = failed_at + timedelta(seconds=lock_seconds(failures))
    return max(0, math.ceil((until - now).total_seconds()))


def check_sign_in(conn: Connection, username: str, password: str) -> Operator | None:
    """The operator these credentials belong to, or None (same cost either way).

    A wrong password counts against the account (in the caller's transaction); while the
    account is locked the password is not tried at all. A right one clears the count."""
    o = operators.c
    row = conn.execute(select(o.id, o.username, o.display_name, o.role, o.password_hash,
                              o.failed_signins, o.failed_at)
                       .where(o.username == _normal(username)[:64],
                              o.disabled_at.is_(None))).first()
    now = utcnow()
    if row is not None and locked_for(int(row.failed_signins), row.failed_at, now):
        password_matches(password, None)  # as long as a real try
        return None
    if not password_matches(password, row.password_hash if row is not None else None):
        if row is not None:
            conn.execute(update(operators).where(o.id == row.id).values(
                failed_signins=o.failed_signins + 1, failed_at=now))
        return None
    assert row is not None
    if row.failed_signins:
        conn.execute(update(operators).where(o.id == row.id).values(
            failed_signins=0, failed_at=None))
    return Operator(int(row.id), str(row.username), str(row.display_name), str(row.role))


def unlock_operator(conn: Connection, username: str, actor: str) -> None:
    """Forget an account's wrong passwords, lifting its lock (audited)."""
    name = _normal(username)
    done = conn.execute(update(operators).where(operators.c.username == name)
                        .values(failed_signins=0, failed_at=None)).rowcount
    if not done:
        raise InputRejected([Problem("username", "unknown", f"没有账号 {name}")])
    audit.record(conn, actor, "operator.unlock", {"username": name})
