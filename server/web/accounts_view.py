"""The accounts of one township (``township.html``): adding one, issuing a one-time enrolment
code (shown once, ``account_code.html``), and the confirmation step before an account is
revoked (``account_revoke.html``).

The forms call the same :mod:`server.county` functions as ``yinling county account add``,
``code`` and ``account revoke``. An enrolment code is shown only on the answer to the form
that issued it: it is in no URL, no later page and no log; the county keeps only its hash.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from server.county import ROLES
from server.web.labels import UI, when
from server.web.townships_view import ENROL_URL, TOWNSHIPS_URL, in_use, township_url

ROLE_LABELS = {"assessor": "评估员", "supervisor": "乡镇管理员"}
CODE_HOURS = ((24, "24 小时"), (72, "72 小时（3 天）"), (168, "7 天"), (720, "30 天"))
DEFAULT_HOURS = 72
MAX_HOURS = 720


def account_url(username: str, action: str) -> str:
    """Where one account's ``code`` or ``revoke`` form posts."""
    return f"{UI}/accounts/{quote(username, safe='')}/{action}"


def role_label(role: object) -> str:
    """The Chinese name of an account role."""
    return ROLE_LABELS.get(str(role), str(role))


def township_label(account: Mapping[str, Any]) -> str:
    """``名称（编码）`` of an account's township."""
    return f"{account['township_name']}（{account['township']}）"


def township_page(township: Mapping[str, Any], accounts: Sequence[Mapping[str, Any]], *,
                  typed: Mapping[str, str] | None = None, problem: str = "") -> dict[str, Any]:
    """One township's accounts with their forms, and the form adding an account."""
    typed = typed or {}
    return {
        "township": township, "url": township_url(str(township["code"])),
        "townships_url": TOWNSHIPS_URL, "enrol_url": ENROL_URL, "problem": problem,
        "hours": CODE_HOURS, "default_hours": DEFAULT_HOURS,
        "roles": [(value, role_label(value)) for value in sorted(ROLES)],
        "role": typed.get("role", "assessor"), "username": typed.get("username", ""),
        "display_name": typed.get("display_name", ""),
        "accounts": [{"username": a["username"], "display_name": a["display_name"],
                      "role": role_label(a["role"]), "created": when(a["created_at"]),
                      "devices": in_use(a["devices_active"], a["devices"]),
                      "revoked": bool(a["revoked"]), "revoked_at": when(a["revoked_at"]),
                      "code_url": account_url(str(a["username"]), "code"),
                      "revoke_url": account_url(str(a["username"]), "revoke")}
                     for a in accounts]}


def _facts(account: Mapping[str, Any], extra: Sequence[tuple[str, object]] = ()
           ) -> list[tuple[str, object]]:
    return [("账号", account["username"]), ("姓名", account["display_name"]),
            ("角色", role_label(account["role"])), ("乡镇", township_label(account)),
            *extra]


def code_issued(account: Mapping[str, Any], code: str, hours: int, expires_at: str
                ) -> dict[str, Any]:
    """The one time an enrolment code is shown, with what it is for and until when."""
    return {"code": code, "enrol_url": ENROL_URL,
            "back_url": township_url(str(account["township"])),
            "township_name": account["township_name"],
            "facts": _facts(account, [("有效期", f"{hours} 小时，至 {when(expires_at)}"
                                               "（北京时间）前有效，用过即失效")])}


def revoke_confirm(account: Mapping[str, Any]) -> dict[str, Any]:
    """Are you sure? — the account's facts and what revoking does."""
    devices = int(account["devices_active"])
    return {"devices": devices, "revoke_url": account_url(str(account["username"]), "revoke"),
            "back_url": township_url(str(account["township"])),
            "facts": _facts(account, [("设备", in_use(devices, int(account["devices"]))),
                                      ("新增时间", when(account["created_at"]))])}
