"""One review queue as a page (``review_queue.html``): the items with what a reviewer needs,
and a decision form per open item; and the page showing one masked ID number in full.

This module turns the queue rows into plain values (names looked up, decisions read, values
as the reviewer reads them); the template draws them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from server.review import ACTIONS
from server.web.labels import (
    ACTION_LABELS,
    GAP_KINDS,
    QUEUE_HINTS,
    RECORD_TYPES,
    STATUS_LABELS,
    UI,
    field_label,
    queue_title,
    value_text,
    when,
)
from server.web.lookups import Names

OPEN_STATUSES = ("open", "auto")  # what a decision may still close
NOTE_MAX = 500


@dataclass(frozen=True, slots=True)
class QueueView:
    """Everything one queue page shows."""

    queue: str
    items: Sequence[Mapping[str, Any]]
    names: Names
    csrf: str
    township: str = ""
    show_all: bool = False
    limit: int = 200
    elder_names: Mapping[str, str] = field(default_factory=dict)
    assessment_elders: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Decision:
    """An item's state: open (with the decision form) or how it was decided."""

    open: bool
    status: str
    action: str = ""
    note: str = ""
    decided: bool = False  # a recorded decision with its action and note
    resolved_at: str = ""


def queue_url(queue: str, township: str = "", show_all: bool = False) -> str:
    """The queue page with its filters."""
    query = {k: v for k, v in (("township", township), ("all", "1" if show_all else ""))
             if v}
    return f"{UI}/review/{queue}" + (f"?{urlencode(query)}" if query else "")


def shown(value: object) -> str | None:
    """A field value as the reviewer reads it (text as is, anything else as JSON); ``None``
    when empty."""
    if value is None or value == "":
        return None
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def short_id(identifier: object) -> str:
    """The random tail of an id (time-ordered ids share their head)."""
    text = str(identifier or "")
    return ("…" + text[-12:]) if len(text) > 13 else text


def decision(item: Mapping[str, Any]) -> Decision:
    """Whether ``item`` is still open, or what was decided, by whom and when."""
    status = str(item.get("status", ""))
    if status in OPEN_STATUSES:
        return Decision(True, STATUS_LABELS.get(status, ""))
    text = STATUS_LABELS.get(status, status)
    resolved = when(item.get("resolved_at"))
    decided = item.get("resolution")
    if isinstance(decided, str) and decided:
        try:
            data = json.loads(decided)
        except ValueError:
            data = {}
        if isinstance(data, dict):
            action = ACTION_LABELS.get(str(data.get("action")), str(data.get("action", "")))
            return Decision(False, text, action, str(data.get("note") or ""), True, resolved)
    return Decision(False, text, resolved_at=resolved)


def _action_order(action: str) -> tuple[int, str]:
    order = list(ACTION_LABELS)
    return (order.index(action) if action in order else len(order), action)


def _common(view: QueueView, item: Mapping[str, Any]) -> dict[str, Any]:
    return {"id": item.get("id"), "township": view.names.township(item.get("township_id")),
            "created_at": when(item.get("created_at")), "decision": decision(item)}


def _device(view: QueueView, device_id: object) -> dict[str, Any]:
    return {"device_id": str(device_id or ""), "device": view.names.device(device_id)}


def _conflict(view: QueueView, c: Mapping[str, Any]) -> dict[str, Any]:
    name = str(c.get("field"))
    record = str(c.get("record_id") or "")
    return {**_common(view, c), "record_id": record,
            "elder_name": view.elder_names.get(record) or "老年人档案",
            "field": field_label(name), "required": bool(c.get("review_required")),
            "winner": shown(value_text(name, c.get("winner_value"))),
            "winner_device": view.names.device(c.get("winner_device")),
            "loser": shown(value_text(name, c.get("loser_value"))),
            "loser_device": view.names.device(c.get("loser_device")),
            "masked": bool(c.get("masked"))}


def _quarantined(view: QueueView, q: Mapping[str, Any]) -> dict[str, Any]:
    kind, record = str(q.get("record_type")), str(q.get("record_id") or "")
    label = (view.elder_names.get(record) or "老年人档案") if kind == "elder" \
        else RECORD_TYPES.get(kind, kind)
    return {**_common(view, q), **_device(view, q.get("device_id")), "seq": q.get("seq"),
            "record_label": label, "record_id": record, "code": q.get("code"),
            "reason": q.get("reason")}


def _grades(values: object) -> list[tuple[str, object]] | str | None:
    if not isinstance(values, Mapping):
        return shown(values)
    return [(k, "—" if v is None else v) for k, v in (
        ("最终等级", values.get("final_grade")), ("初始等级", values.get("initial_grade")),
        ("总分", values.get("total")))]


def _mismatch(view: QueueView, m: Mapping[str, Any]) -> dict[str, Any]:
    elder = view.assessment_elders.get(str(m.get("assessment_id")))
    return {**_common(view, m), **_device(view, m.get("device_id")), "seq": m.get("seq"),
            "version": m.get("version"), "assessment_id": str(m.get("assessment_id") or ""),
            "elder_id": elder or "",
            "elder_name": (view.elder_names.get(elder) or "老年人档案") if elder else "",
            "claimed": _grades(m.get("claimed")), "computed": _grades(m.get("computed")),
            "reason": m.get("reason")}


def _gap(view: QueueView, g: Mapping[str, Any]) -> dict[str, Any]:
    code = str(g.get("kind"))
    return {**_common(view, g), **_device(view, g.get("device_id")),
            "township": view.names.device_township(g.get("device_id")) or "—",
            "kind": GAP_KINDS.get(code, code), "range": f"{g.get('from_seq')}–{g.get('to_seq')}",
            "detail": g.get("detail")}


_COLUMNS: dict[str, tuple[list[str], Callable[[QueueView, Mapping[str, Any]], dict[str, Any]]]] = {
    "conflicts": (["编号", "乡镇", "老年人档案", "字段", "当前值（设备）", "另一值（设备）",
                   "发现时间", "处理"], _conflict),
    "quarantine": (["编号", "乡镇", "设备", "序号", "记录", "原因", "发现时间", "处理"],
                   _quarantined),
    "mismatches": (["编号", "乡镇", "设备", "评估记录", "设备上报", "服务器计算", "原因",
                    "发现时间", "处理"], _mismatch),
    "gaps": (["编号", "乡镇", "设备", "类型", "序号范围", "说明", "发现时间", "处理"], _gap),
}


def context(view: QueueView) -> dict[str, Any]:
    """What ``review_queue.html`` shows for one queue."""
    headers, row = _COLUMNS[view.queue]
    items = list(view.items)
    if view.township and view.queue == "gaps":  # chain breaks belong to a device, not a row
        items = [g for g in items
                 if view.names.device_township(g.get("device_id")) == view.township]
    scope = "全部" if view.show_all else "待处理"
    return {
        "queue": view.queue, "queue_name": queue_title(view.queue),
        "hint": QUEUE_HINTS[view.queue], "headers": headers,
        "rows": [row(view, i) for i in items], "township": view.township,
        "show_all": view.show_all, "scope": scope, "limit": view.limit,
        "shown": len(view.items),
        "townships": [(code, f"{name}（{code}）")
                      for code, name in sorted(view.names.townships.values())],
        "actions": [(a, ACTION_LABELS.get(a, a))
                    for a in sorted(ACTIONS[view.queue], key=_action_order)],
        "note_max": NOTE_MAX, "short_id": short_id,
        "empty": f"没有{scope}的{queue_title(view.queue)}。",
    }


def revealed(item: Mapping[str, Any]) -> dict[str, Any]:
    """What ``review_revealed.html`` shows: the full values of one ID-number conflict."""
    return {"item_id": item.get("id"), "field": field_label(str(item.get("field"))),
            "winner": shown(item.get("winner_value")), "loser": shown(item.get("loser_value"))}
