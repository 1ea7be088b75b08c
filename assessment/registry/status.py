"""The lifecycle record of an elder: on the roll, deregistered, or merged into another record.

It travels as its own change type, ``elder_status`` (record id = the elder's id), so a
profile's field merge never touches it and its versions only move forward: per elder the
write with the greater (version, hybrid clock, device id) holds. Nothing is ever deleted:
a deregistered or merged elder keeps its profile and history, is shown as such, and takes no
new assessment or edit (:func:`check_writable`); an edit made elsewhere before the news
arrived is quarantined by the county with code ``deregistered`` (or ``merged``).

:func:`active_on` is the one predicate of "counts on date D" (due lists, service rosters,
visit lists and current statistics): an elder counts until the day before ``left_on``.
Period statistics still count what happened before.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, or_
from sqlalchemy.orm import InstrumentedAttribute

from assessment.errors import InputRejected, Problem

RECORD_TYPE = "elder_status"
ACTIVE = "active"
DEREGISTERED = "deregistered"
MERGED = "merged"
STATUSES = (ACTIVE, DEREGISTERED, MERGED)

# Reason codes of a deregistration and their Chinese labels (the CLI accepts either).
REASONS: Mapping[str, str] = {"death": "死亡", "moved": "迁出本县", "error": "登记错误",
                              "other": "其他"}
_REASON_ALIASES = {"死亡": "death", "迁出": "moved", "迁出本县": "moved",
                   "登记错误": "error", "其他": "other"}
NOTE_LIMIT = 500
WHY_LIMIT = 500


def reason_code(text: str) -> str | None:
    """The reason code of ``死亡`` / ``迁出`` / ``登记错误`` / ``其他`` (or of a code)."""
    value = text.strip()
    if value in REASONS:
        return value
    return _REASON_ALIASES.get(value)


def status_label(status: str, reason: str | None) -> str:
    """``在册``, ``已注销（死亡）`` …, ``已合并``: what exports and screens show."""
    if status == DEREGISTERED:
        return f"已注销（{REASONS.get(reason or '', '其他')}）"
    if status == MERGED:
        return "已合并"
    return "在册"


@dataclass(frozen=True, slots=True)
class ElderStatus:
    """The current lifecycle record of one elder (``ACTIVE`` with no date when never set)."""

    elder_id: str
    status: str = ACTIVE
    reason: str | None = None
    left_on: date | None = None
    note: str = ""
    merged_into: str | None = None
    assessments: tuple[str, ...] = ()  # moved to ``merged_into`` by the merge
    into_township: str | None = None  # the kept record's township, when it is another one
    # A laptop's restoration: the supervisor's grant, key and signature
    # (:mod:`assessment.wire.restoreauthority`), which the county checks.
    authority: Mapping[str, Any] | None = None
    version: int = 0
    by: str = ""
    at: str = ""

    @property
    def active(self) -> bool:
        """True while the elder is on the roll."""
        return self.status == ACTIVE

    def label(self) -> str:
        """The status as a Chinese label (a record merged into another township's names it:
        ``已合并到其他乡镇的老人（…）``)."""
        if self.status == MERGED and self.into_township:
            return f"已合并到其他乡镇的老人（{self.into_township}）"
        return status_label(self.status, self.reason)

    def payload(self) -> dict[str, Any]:
        """The change payload (``into_township`` only when set, so older records read the
        same)."""
        payload: dict[str, Any] = {
            "elder_id": self.elder_id, "status": self.status, "reason": self.reason,
            "on": self.left_on.isoformat() if self.left_on else None, "note": self.note,
            "merged_into": self.merged_into, "assessments": list(self.assessments),
            "version": self.version, "by": self.by, "at": self.at}
        if self.into_township:
            payload["into_township"] = self.into_township
        if self.authority is not None:
            payload["authority"] = dict(self.authority)
        return payload


def parse_payload(record_id: str, payload: Mapping[str, Any]) -> ElderStatus:
    """An ``elder_status`` change payload as a status; :class:`InputRejected` when malformed."""
    problems: list[Problem] = []
    status = payload.get("status")
    if status not in STATUSES:
        problems.append(Problem("status", "value", "状态应为 active、deregistered 或 merged"))
    if payload.get("elder_id") != record_id:
        problems.append(Problem("elder_id", "value", "状态记录的老人编号与记录编号不符"))
    reason = payload.get("reason")
    if reason is not None and reason not in REASONS:
        problems.append(Problem("reason", "value", "注销原因不在允许的范围内"))
    on = payload.get("on")
    left_on: date | None = None
    if on is not None:
        try:
            left_on = date.fromisoformat(on) if isinstance(on, str) else None
        except ValueError:
            left_on = None
        if left_on is None:
            problems.append(Problem("on", "value", "日期应为 YYYY-MM-DD"))
    merged_into = payload.get("merged_into")
    if status == MERGED and not isinstance(merged_into, str):
        problems.append(Problem("merged_into", "missing", "合并记录须指明保留的老人"))
    if status == DEREGISTERED and left_on is None:
        problems.append(Problem("on", "missing", "注销须有日期"))
    moved = payload.get("assessments", [])
    if not isinstance(moved, list) or not all(isinstance(a, str) for a in moved):
        problems.append(Problem("assessments", "value", "应为评估编号的列表"))
        moved = []
    into_township = payload.get("into_township")
    if into_township is not None and (not isinstance(into_township, str) or
                                      len(into_township) > 100):
        problems.append(Problem("into_township", "value", "并入乡镇应为文字，最多 100 个字"))
    authority = payload.get("authority")
    if authority is not None and not isinstance(authority, Mapping):
        problems.append(Problem("authority", "value", "恢复在册的授权应为对象"))
    note = payload.get("note", "")
    if not isinstance(note, str) or len(note) > NOTE_LIMIT + WHY_LIMIT:
        problems.append(Problem("note", "value", "说明应为文字"))
    if problems:
        raise InputRejected(problems)
    return ElderStatus(
        elder_id=record_id, status=str(status), reason=reason if isinstance(reason, str) else None,
        left_on=left_on, note=str(note or ""),
        merged_into=merged_into if status == MERGED and isinstance(merged_into, str) else None,
        assessments=tuple(moved),
        into_township=into_township if status == MERGED and isinstance(into_township, str)
        else None,
        authority=authority if isinstance(authority, Mapping) else None,
        version=int(payload.get("version") or 0),
        by=str(payload.get("by") or ""), at=str(payload.get("at") or ""))


def check_deregistration(reason: str, on: date, note: str,
                         today: date | None = None) -> str:
    """The reason code of a valid deregistration; every problem at once otherwise."""
    problems: list[Problem] = []
    code = reason_code(reason)
    if code is None:
        problems.append(Problem("reason", "option",
                                "注销原因应为：" + " / ".join(REASONS.values())))
    if on > (today or date.today()):
        problems.append(Problem("date", "future", "注销日期不能晚于今天"))
    if len(note) > NOTE_LIMIT:
        problems.append(Problem("note", "length", f"说明最多 {NOTE_LIMIT} 个字"))
    if problems:
        raise InputRejected(problems)
    assert code is not None
    return code


def check_why(why: str) -> str:
    """The stripped reason of a restoration (required)."""
    text = why.strip()
    if not text:
        raise InputRejected([Problem("why", "missing", "恢复在册须说明理由")])
    if len(text) > WHY_LIMIT:
        raise InputRejected([Problem("why", "length", f"理由最多 {WHY_LIMIT} 个字")])
    return text


def check_writable(status: str | None, label: str = "") -> None:
    """Refuse a new assessment or an edit of an elder that is not on the roll."""
    if status in (None, ACTIVE):
        return
    shown = label or status_label(status, None)
    raise InputRejected([Problem(
        "elder_id", status,
        f"该老人{shown}，不能再新建评估或修改档案；如属误操作，请由管理员恢复在册")])


def is_active_on(left_on: date | None, day: date) -> bool:
    """Whether an elder who left the roll on ``left_on`` (None: never) counts on ``day``."""
    return left_on is None or left_on > day


def active_on(left_on: InstrumentedAttribute[date | None] | Any,
              day: date) -> ColumnElement[bool]:
    """SQL form of :func:`is_active_on` over a ``left_on`` column (``Elder.left_on``):
    the filter every due list, service roster, visit list and current statistic applies."""
    return or_(left_on.is_(None), left_on > day)
