"""Rules for accounts: usernames, roles and who may manage whom."""

from __future__ import annotations

import re
import unicodedata

from assessment.errors import InputRejected, Problem

ROLES = {"assessor": "评估员", "supervisor": "管理员"}
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9_.\-]{1,31}$")


def normalise_username(username: str) -> str:
    """Usernames compare case-insensitively and ignore surrounding blanks (NFKC)."""
    return unicodedata.normalize("NFKC", username).strip().casefold()


def check_username(username: str) -> str:
    """The normalised username, or :class:`InputRejected` naming what is wrong."""
    name = normalise_username(username)
    if not _USERNAME.match(name):
        raise InputRejected([Problem("username", "shape",
                                     "用户名应为 2–32 位字母、数字、下划线、点或连字符")])
    return name


def check_role(role: str) -> None:
    """Refuse a role other than assessor or supervisor."""
    if role not in ROLES:
        raise InputRejected([Problem("role", "option", "角色应为 assessor（评估员）或 "
                                                       "supervisor（管理员）")])


def check_display_name(display_name: str) -> str:
    """A stripped, non-empty display name."""
    name = display_name.strip()
    if not name or len(name) > 32:
        raise InputRejected([Problem("display_name", "missing", "请填写 1–32 个字的姓名")])
    return name
