"""A visit record: validated whole against the plan's record vocabulary.

Fields: ``visit_date`` (YYYY-MM-DD, not in the future), ``method`` (上门/电话/视频),
``visitor`` (who visited), ``checklist`` (each area of the plan: ``checked`` and a ``note``
on what was found), ``risk`` (a risk level code), ``referrals`` (each to a service-list item
id or a department, with a note), ``emergency`` (bool), ``change_found`` (a fall, worse
mobility, confusion: proposes a re-assessment with the reason 状况发生变化) and its note.
Anything else, or a value of the wrong kind, is refused with every field named.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from assessment.errors import InputRejected, Problem
from assessment.visits.plan import RecordVocabulary

NOTE_LIMIT = 500
NAME_LIMIT = 64
REFERRAL_LIMIT = 10
CHANGE_REASON = "状况发生变化"
EARLIEST_VISIT = dt.date(2000, 1, 1)
_KEYS = frozenset({"visit_date", "method", "visitor", "checklist", "risk", "referrals",
                   "emergency", "change_found", "change_note"})


@dataclass(frozen=True, slots=True)
class Referral:
    """A need passed on: to a service-list item (``kind`` item) or a department."""

    kind: str
    target: str
    note: str

    def to_json(self) -> dict[str, str]:
        """The stored form."""
        return {"kind": self.kind, "target": self.target, "note": self.note}


@dataclass(frozen=True, slots=True)
class VisitEntry:
    """What the visitor entered (validated)."""

    visit_date: dt.date
    method: str
    visitor: str
    checklist: Mapping[str, Mapping[str, Any]]
    risk: str
    referrals: tuple[Referral, ...]
    emergency: bool
    change_found: bool
    change_note: str

    def to_json(self) -> dict[str, Any]:
        """The stored (and synced) form."""
        return {
            "visit_date": self.visit_date.isoformat(), "method": self.method,
            "visitor": self.visitor,
            "checklist": {k: dict(v) for k, v in self.checklist.items()},
            "risk": self.risk, "referrals": [r.to_json() for r in self.referrals],
            "emergency": self.emergency, "change_found": self.change_found,
            "change_note": self.change_note,
        }


def _note(value: Any, field: str, label: str, problems: list[Problem],
          limit: int = NOTE_LIMIT) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        problems.append(Problem(field, "type", f"{label}应为文字"))
        return ""
    if len(value) > limit:
        problems.append(Problem(field, "too_long", f"{label}不能超过 {limit} 字"))
    return value.strip()


def _bool(data: Mapping[str, Any], key: str, label: str, problems: list[Problem]) -> bool:
    value = data.get(key, False)
    if not isinstance(value, bool):
        problems.append(Problem(key, "type", f"{label}应为是或否"))
        return False
    return value


def _date(value: Any, today: dt.date, problems: list[Problem]) -> dt.date:
    try:
        day = dt.date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        day = None
    if day is None or len(str(value)) != 10:
        problems.append(Problem("visit_date", "date", "探访日期应为 YYYY-MM-DD 格式的日期"))
        return today
    if day > today:
        problems.append(Problem("visit_date", "future", "探访日期不能晚于今天"))
    if day < EARLIEST_VISIT:
        problems.append(Problem("visit_date", "too_early", "探访日期早于 2000-01-01"))
    return day


def _checklist(raw: Any, vocabulary: RecordVocabulary,
               problems: list[Problem]) -> dict[str, dict[str, Any]]:
    if not isinstance(raw, Mapping):
        problems.append(Problem("checklist", "type", "探访内容应为各项目的对象"))
        return {}
    unknown = [str(k) for k in raw if k not in vocabulary.checklist]
    if unknown:
        problems.append(Problem("checklist", "unknown", f"未知探访项目：{'、'.join(unknown)}"))
    out: dict[str, dict[str, Any]] = {}
    for area in vocabulary.checklist:
        entry = raw.get(area, {})
        field = f"checklist.{area}"
        if not isinstance(entry, Mapping) or set(entry) - {"checked", "note"}:
            problems.append(Problem(field, "type", f"{area}应为含 checked、note 的对象"))
            continue
        checked = entry.get("checked", False)
        if not isinstance(checked, bool):
            problems.append(Problem(f"{field}.checked", "type", f"{area}是否已查看应为是或否"))
            checked = False
        out[area] = {"checked": checked,
                     "note": _note(entry.get("note"), f"{field}.note", f"{area}情况", problems)}
    if out and not any(v["checked"] for v in out.values()):
        problems.append(Problem("checklist", "empty", "至少查看一个探访项目"))
    return out


def _referrals(raw: Any, vocabulary: RecordVocabulary, item_ids: Collection[str],
               problems: list[Problem]) -> tuple[Referral, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or len(raw) > REFERRAL_LIMIT:
        problems.append(Problem("referrals", "type", f"转介应为列表（最多 {REFERRAL_LIMIT} 项）"))
        return ()
    found: list[Referral] = []
    for n, entry in enumerate(raw):
        field = f"referrals[{n}]"
        if not isinstance(entry, Mapping) or set(entry) - {"kind", "target", "note"}:
            problems.append(Problem(field, "type", "转介应为含 kind、target、note 的对象"))
            continue
        kind, target = entry.get("kind"), entry.get("target")
        known = item_ids if kind == "item" else vocabulary.departments
        if kind in ("item", "department") and target in known:
            pass
        elif kind not in ("item", "department"):
            problems.append(Problem(f"{field}.kind", "enum", "转介对象应为 item（服务项目）或 "
                                                             "department（部门）"))
            continue
        else:
            what = "服务项目编号" if kind == "item" else "部门"
            problems.append(Problem(f"{field}.target", "enum", f"“{target}”不是有效的{what}"))
            continue
        found.append(Referral(str(kind), str(target),
                              _note(entry.get("note"), f"{field}.note", "转介说明", problems)))
    return tuple(found)


def parse_visit(data: Any, vocabulary: RecordVocabulary, item_ids: Collection[str],
                today: dt.date) -> VisitEntry:
    """Validate a visit as entered; raise :class:`InputRejected` naming every bad field."""
    if not isinstance(data, Mapping):
        raise InputRejected([Problem("(输入)", "type", "探访记录应为对象")])
    problems: list[Problem] = []
    unknown = [str(k) for k in data if k not in _KEYS]
    if unknown:
        problems.append(Problem("(输入)", "unknown", f"未知字段：{'、'.join(unknown)}"))
    day = _date(data.get("visit_date"), today, problems)
    method = data.get("method")
    if method not in vocabulary.methods:
        problems.append(Problem("method", "enum",
                                f"探访方式应为{'、'.join(vocabulary.methods)}之一"))
    visitor = _note(data.get("visitor"), "visitor", "探访人", problems, NAME_LIMIT)
    if not visitor:
        problems.append(Problem("visitor", "required", "请填写探访人"))
    risk = data.get("risk")
    if risk not in vocabulary.risk_levels:
        labels = "、".join(f"{k}（{v}）" for k, v in vocabulary.risk_levels.items())
        problems.append(Problem("risk", "enum", f"风险等级应为{labels}之一"))
    checklist = _checklist(data.get("checklist"), vocabulary, problems)
    referrals = _referrals(data.get("referrals"), vocabulary, item_ids, problems)
    emergency = _bool(data, "emergency", "紧急情况", problems)
    change = _bool(data, "change_found", "发现状况变化", problems)
    change_note = _note(data.get("change_note"), "change_note", "变化情况", problems)
    if change and not change_note:
        problems.append(Problem("change_note", "required",
                                "发现状况变化时请写明变化（如跌倒、行动变差、糊涂）"))
    if problems:
        raise InputRejected(problems)
    return VisitEntry(day, str(method), visitor, checklist, str(risk), referrals, emergency,
                      change, change_note)
