"""Named accounts of the county office for the web pages: 管理员 and 审核员.

Passwords are kept as scrypt hashes (the KDF the laptops use for their keyring, from
``cryptography``), each with its own salt and cost, compared in constant time. An unknown or
disabled username costs the same derivation as a known one, so the answer time does not tell
which usernames exist. Every decision taken on the pages is recorded under the operator's
username (:func:`actor_of`); the admin token stays for the JSON API and scripts only.

Roles: a 审核员 (``reviewer``) sees the pages and decides review items; a 管理员 (``admin``)
also sets the county up (townships, accounts, enrolment, revocation, transfers, bundles,
service lists).
"""

from __future__ import annotations

import base64
import hmac
import os
import unicodedata
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from sqlalchemy import Connection, select, update

from assessment.errors import InputRejected, Problem
from server import audit
from server.db.tables import operators
from server.timeutil import utcnow

ROLES = {"admin": "管理员", "reviewer": "审核员"}
ROLE_ALIASES = {"管理员": "admin", "审核员": "reviewer", "admin": "admin", "reviewer": "reviewer"}
MIN_PASSWORD = 8
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
    """Why a password may not be used (empty when it may)."""
    visible = "".join(ch for ch in password
                      if not unicodedata.category(ch).startswith(("Z", "C")))
    if len(password) < MIN_PASSWORD or len(visible) < MIN_PASSWORD:
        return [Problem("password", "short", f"密码至少 {MIN_PASSWORD} 个可见字符")]
    if _normal(password) == _normal(username):
        return [Problem("password", "username", "密码不能与用户名相同")]
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


def check_sign_in(conn: Connection, username: str, password: str) -> Operator | None:
    """The operator these credentials belong to, or None (same cost either way)."""
    o = operators.c
    row = conn.execute(select(o.id, o.username, o.display_name, o.role, o.password_hash)
                       .where(o.username == _normal(username)[:64],
                              o.disabled_at.is_(None))).first()
    if not password_matches(password, row.password_hash if row is not None else None):
        return None
    assert row is not None
    return Operator(int(row.id), str(row.username), str(row.display_name), str(row.role))
