"""Rules for account passwords, and the sign-in throttle that makes guessing slow.

A password must have at least :data:`MIN_PASSWORD_LENGTH` visible characters (spaces,
zero-width and other invisible characters do not count), must not be the username, and must
not be in the shipped list of common passwords (``resources/passwords/common.txt``).

After :data:`FREE_FAILURES` wrong passwords in a row an account is locked for a delay that
doubles with every further failure (:func:`lock_seconds`); the count is kept in the keyring
file (:mod:`assessment.records.keyring`) so that it survives a restart, and a supervisor can
unlock the account. A correct password resets it.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from assessment.errors import InputRejected, Problem
from assessment.paths import resources_dir

MIN_PASSWORD_LENGTH = 8
FREE_FAILURES = 5
FIRST_LOCK_SECONDS = 30
MAX_LOCK_SECONDS = 3600
# Unicode categories that print nothing: separators, control and format characters
# (zero-width space U+200B is Cf).
_INVISIBLE = frozenset({"Zs", "Zl", "Zp", "Cc", "Cf", "Co", "Cn", "Mn", "Me"})


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The shipped list of common passwords (lower case)."""
    path = resources_dir() / "passwords" / "common.txt"
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().casefold() for line in lines
                     if line.strip() and not line.startswith("#"))


def visible_length(password: str) -> int:
    """How many characters of ``password`` print something."""
    return sum(unicodedata.category(ch) not in _INVISIBLE for ch in password)


def check_password(password: str, username: str) -> None:
    """Refuse a weak password with :class:`InputRejected` naming the rule it breaks."""
    def refuse(code: str, message: str) -> InputRejected:
        return InputRejected([Problem("password", code, message)])

    if visible_length(password) < MIN_PASSWORD_LENGTH:
        raise refuse("too_short", f"密码至少需要 {MIN_PASSWORD_LENGTH} 个可见字符"
                     "（空格和不可见字符不计）")
    if len(password) > 256:
        raise refuse("too_long", "密码不能超过 256 个字符")
    folded = unicodedata.normalize("NFKC", password).strip().casefold()
    name = unicodedata.normalize("NFKC", username).strip().casefold()
    if name and (folded == name or folded == name[::-1]):
        raise refuse("username", "密码不能与用户名相同")
    if folded in common_passwords():
        raise refuse("common", "密码过于常见，容易被猜中，请换一个")


def lock_seconds(failures: int) -> int:
    """How long an account stays locked after ``failures`` wrong passwords in a row."""
    if failures < FREE_FAILURES:
        return 0
    return int(min(MAX_LOCK_SECONDS, FIRST_LOCK_SECONDS * 2 ** (failures - FREE_FAILURES)))
