"""The synced forms of visits and referrals: what a change of type ``visit`` or ``referral``
carries, checked by the county on ingest and by a laptop before it shows another laptop's
visit. Anything else is a malformed change (quarantined by the county, noted by a laptop).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

ID_LIMIT = 64
TEXT_LIMIT = 500


def _day(value: Any) -> dt.date | None:
    if not isinstance(value, str) or len(value) != 10:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


def _short(value: Any, limit: int = ID_LIMIT) -> bool:
    return isinstance(value, str) and 0 < len(value) <= limit


def visit_day(payload: Mapping[str, Any]) -> dt.date | None:
    """The visit date of a visit payload (None when malformed)."""
    entry = payload.get("entry")
    return _day(entry.get("visit_date")) if isinstance(entry, Mapping) else None


def visit_payload_problem(record_type: str, payload: Mapping[str, Any]) -> str | None:
    """A Chinese reason when a ``visit`` / ``referral`` payload is malformed, else None."""
    if not _short(payload.get("elder_id")):
        return "探访记录缺少老人编号（elder_id）"
    if record_type == "visit":
        entry = payload.get("entry")
        if not isinstance(entry, Mapping) or visit_day(payload) is None:
            return "探访记录格式不符（entry.visit_date 应为 YYYY-MM-DD）"
        if not _short(entry.get("method"), 16) or not _short(entry.get("visitor")):
            return "探访记录格式不符（缺少探访方式或探访人）"
        if not isinstance(entry.get("checklist"), Mapping):
            return "探访记录格式不符（checklist 应为对象）"
        if not isinstance(payload.get("tier", ""), str) or not _short(payload.get("plan"), 80):
            return "探访记录格式不符（plan、tier）"
        return None
    if payload.get("status") not in ("open", "closed"):
        return "转介格式不符（status 应为 open 或 closed）"
    if not _short(payload.get("visit_id")) or not _short(payload.get("target")):
        return "转介格式不符（缺少探访记录编号或转介对象）"
    if payload.get("kind") not in ("item", "department"):
        return "转介格式不符（kind 应为 item 或 department）"
    if _day(payload.get("opened_on")) is None:
        return "转介格式不符（opened_on 应为 YYYY-MM-DD）"
    if payload.get("status") == "closed" and _day(payload.get("closed_on")) is None:
        return "转介格式不符（已办结的转介须有 closed_on）"
    for key in ("note", "outcome"):
        value = payload.get(key)
        if value is not None and (not isinstance(value, str) or len(value) > TEXT_LIMIT):
            return f"转介格式不符（{key}）"
    return None
