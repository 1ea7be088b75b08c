"""The townships of the county (``townships.html``): the list with its accounts and devices
counted, and the form that adds one (the same :func:`server.county.add_township` as
``yinling county township add``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from assessment.errors import InputRejected
from server.web.labels import UI

TOWNSHIPS_URL = f"{UI}/townships"
ENROL_URL = f"{UI}/enrol"
FIELD_NAMES = {"code": "乡镇编码", "name": "乡镇名称", "username": "用户名",
               "display_name": "姓名", "role": "角色", "hours": "有效期"}


def township_url(code: str) -> str:
    """The page of one township: its accounts and the forms that manage them."""
    return f"{TOWNSHIPS_URL}/{quote(code, safe='')}"


def refusal_text(exc: InputRejected) -> str:
    """Each problem of a refusal, naming the field unless the message already does."""
    parts = []
    for problem in exc.problems:
        label = FIELD_NAMES.get(problem.field, problem.field)
        parts.append(problem.message if label in problem.message
                     else f"{label}：{problem.message}")
    return "；".join(parts) if parts else str(exc)


def in_use(active: int, total: int) -> str:
    """``在用 2 / 共 3``: how many of a count are not revoked."""
    return f"在用 {active} / 共 {total}"


def listing(townships: Sequence[Mapping[str, Any]], *, code: str = "", name: str = "",
            problem: str = "") -> dict[str, Any]:
    """Every township with its accounts and devices, and the form adding one (with the
    values typed and the reason when the last try was refused)."""
    return {"townships_url": TOWNSHIPS_URL, "enrol_url": ENROL_URL, "code": code,
            "name": name, "problem": problem, "townships": [
                {"code": t["code"], "name": t["name"],
                 "accounts": in_use(t["accounts_active"], t["accounts"]),
                 "devices": in_use(t["devices_active"], t["devices"]),
                 "url": township_url(str(t["code"]))} for t in townships]}
