"""One review queue as a page: the items with what a reviewer needs, and a decision form
per open item."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from server.review import ACTIONS
from server.web.html import Html, fmt, hidden, join, table
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
from server.web.layout import csrf_field
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


def queue_url(queue: str, township: str = "", show_all: bool = False) -> str:
    """The queue page with its filters."""
    query = {k: v for k, v in (("township", township), ("all", "1" if show_all else ""))
             if v}
    return f"{UI}/review/{queue}" + (f"?{urlencode(query)}" if query else "")


def show_value(value: object) -> Html:
    """A field value as the reviewer reads it (text as is, anything else as JSON)."""
    if value is None or value == "":
        return Html('<span class="muted">（空）</span>')
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return fmt('<span class="value">{}</span>', text)


def _short(identifier: object) -> Html:
    """The random tail of an id (time-ordered ids share their head); in full on hover."""
    text = str(identifier or "")
    return fmt('<code title="{}">{}</code>', text, ("…" + text[-12:]) if len(text) > 13 else text)


def _when(value: object) -> Html:
    return fmt('<span class="time">{}</span>', when(value))


def _device(view: QueueView, device_id: object) -> Html:
    return fmt("{}<br>{}", view.names.device(device_id), _short(device_id))


def _elder(view: QueueView, elder_id: object) -> Html:
    name = view.elder_names.get(str(elder_id))
    return fmt("{}<br>{}", name or "老年人档案", _short(elder_id))


def _status(view: QueueView, item: Mapping[str, Any]) -> Html:
    status = str(item.get("status", ""))
    if status in OPEN_STATUSES:
        return _form(view, item)
    decided = item.get("resolution")
    text = STATUS_LABELS.get(status, status)
    if isinstance(decided, str) and decided:
        try:
            data = json.loads(decided)
        except ValueError:
            data = {}
        if isinstance(data, dict):
            action = ACTION_LABELS.get(str(data.get("action")), str(data.get("action", "")))
            note = str(data.get("note") or "")
            return fmt("{}：{}{}<br><span class=\"muted\">{}</span>", text, action,
                       fmt("<br>说明：{}", note) if note else Html(""),
                       when(item.get("resolved_at")))
    return fmt('{}<br><span class="muted">{}</span>', text, when(item.get("resolved_at")))


def _action_order(action: str) -> tuple[int, str]:
    order = list(ACTION_LABELS)
    return (order.index(action) if action in order else len(order), action)


def _form(view: QueueView, item: Mapping[str, Any]) -> Html:
    choices = join(fmt('<label><input type="radio" name="action" value="{}" required> {}'
                       "</label>", action, ACTION_LABELS.get(action, action))
                   for action in sorted(ACTIONS[view.queue], key=_action_order))
    state = STATUS_LABELS.get(str(item.get("status")), "")
    return fmt('<form class="resolve" method="post" action="{}/review/{}/{}">'
               '<span class="tag">{}</span>{}{}{}{}'
               '<textarea name="note" maxlength="{}" placeholder="处理说明（可选）" '
               'aria-label="处理说明"></textarea><button type="submit">提交处理</button></form>',
               UI, view.queue, item.get("id"), state, csrf_field(view.csrf),
               hidden("township", view.township), hidden("all", "1" if view.show_all else ""),
               choices, NOTE_MAX)


def _conflict(view: QueueView, c: Mapping[str, Any]) -> list[object]:
    required = Html('<span class="tag bad">须审核</span>') if c.get("review_required") else \
        Html("")
    name = str(c.get("field"))
    return [c.get("id"), view.names.township(c.get("township_id")),
            _elder(view, c.get("record_id")), fmt("{} {}", field_label(name),
                                                  required),
            fmt("{}<br><span class=\"muted\">{}</span>",
                show_value(value_text(name, c.get("winner_value"))),
                view.names.device(c.get("winner_device"))),
            fmt("{}<br><span class=\"muted\">{}</span>",
                show_value(value_text(name, c.get("loser_value"))),
                view.names.device(c.get("loser_device"))),
            _when(c.get("created_at")), join((_status(view, c), _reveal_form(view, c)))]


def _reveal_form(view: QueueView, c: Mapping[str, Any]) -> Html:
    """For a masked ID number: a button that shows it in full (recorded in the audit log)."""
    if not c.get("masked"):
        return Html("")
    return fmt('<form class="reveal" method="post" action="{}/review/conflicts/{}/reveal">{}'
               '<button type="submit">显示完整号码（记入审计日志）</button></form>',
               UI, c.get("id"), csrf_field(view.csrf))


def revealed(item: Mapping[str, Any]) -> Html:
    """The page body with the full values of one ID-number conflict."""
    name = str(item.get("field"))
    return fmt('<h1>字段冲突第 {} 项：完整号码</h1>'
               '<p class="hint">本次查看已以您的账号记入审计日志。请勿抄录或外传。</p>'
               '<table><tr><th>字段</th><td>{}</td></tr><tr><th>现值</th><td><code>{}</code>'
               '</td></tr><tr><th>另一值</th><td><code>{}</code></td></tr></table>'
               '<p><a href="{}/review/conflicts?all=1">返回字段冲突</a></p>',
               item.get("id"), field_label(name), show_value(item.get("winner_value")),
               show_value(item.get("loser_value")), UI)


def _quarantined(view: QueueView, q: Mapping[str, Any]) -> list[object]:
    kind = str(q.get("record_type"))
    record = (_elder(view, q.get("record_id")) if kind == "elder"
              else fmt("{}<br>{}", RECORD_TYPES.get(kind, kind), _short(q.get("record_id"))))
    return [q.get("id"), view.names.township(q.get("township_id")),
            _device(view, q.get("device_id")), q.get("seq"), record,
            fmt('<span class="tag">{}</span> {}', q.get("code"), q.get("reason")),
            _when(q.get("created_at")), _status(view, q)]


def _grades(values: object) -> Html:
    if not isinstance(values, Mapping):
        return show_value(values)
    parts = [("最终等级", values.get("final_grade")), ("初始等级", values.get("initial_grade")),
             ("总分", values.get("total"))]
    return join((fmt("{}：{}", k, "—" if v is None else v) for k, v in parts), "<br>")


def _mismatch(view: QueueView, m: Mapping[str, Any]) -> list[object]:
    elder = view.assessment_elders.get(str(m.get("assessment_id")))
    record = fmt("评估 第 {} 版 {}{}", m.get("version"), _short(m.get("assessment_id")),
                 fmt("<br>{}", _elder(view, elder)) if elder else Html(""))
    return [m.get("id"), view.names.township(m.get("township_id")),
            fmt("{}<br>序号 {}", _device(view, m.get("device_id")), m.get("seq")), record,
            _grades(m.get("claimed")), _grades(m.get("computed")), m.get("reason"),
            _when(m.get("created_at")), _status(view, m)]


def _gap(view: QueueView, g: Mapping[str, Any]) -> list[object]:
    town = view.names.device_township(g.get("device_id"))
    code = str(g.get("kind"))
    return [g.get("id"), town or "—", _device(view, g.get("device_id")),
            GAP_KINDS.get(code, code), f"{g.get('from_seq')}–{g.get('to_seq')}",
            g.get("detail"), _when(g.get("created_at")), _status(view, g)]


_COLUMNS: dict[str, tuple[list[str], Callable[[QueueView, Mapping[str, Any]], list[object]]]] = {
    "conflicts": (["编号", "乡镇", "老年人档案", "字段", "当前值（设备）", "另一值（设备）",
                   "发现时间", "处理"], _conflict),
    "quarantine": (["编号", "乡镇", "设备", "序号", "记录", "原因", "发现时间", "处理"],
                   _quarantined),
    "mismatches": (["编号", "乡镇", "设备", "评估记录", "设备上报", "服务器计算", "原因",
                    "发现时间", "处理"], _mismatch),
    "gaps": (["编号", "乡镇", "设备", "类型", "序号范围", "说明", "发现时间", "处理"], _gap),
}


def _filters(view: QueueView) -> Html:
    options = [fmt('<option value=""{}>全部乡镇</option>',
                   Html("" if view.township else " selected"))]
    options += [fmt('<option value="{}"{}>{}（{}）</option>', code,
                    Html(" selected") if code == view.township else Html(""), name, code)
                for code, name in sorted(view.names.townships.values())]
    return fmt('<form class="filters noprint" method="get" action="{}/review/{}">'
               '<label>乡镇 <select name="township">{}</select></label>'
               '<label><input type="checkbox" name="all" value="1"{}> 包括已处理的项</label>'
               '<button type="submit">筛选</button></form>', UI, view.queue, join(options),
               Html(" checked") if view.show_all else Html(""))


def render(view: QueueView) -> Html:
    """The body of one queue page."""
    headers, row = _COLUMNS[view.queue]
    items = list(view.items)
    if view.township and view.queue == "gaps":  # chain breaks belong to a device, not a row
        items = [g for g in items
                 if view.names.device_township(g.get("device_id")) == view.township]
    scope = "全部" if view.show_all else "待处理"
    where = f"，乡镇 {view.township}" if view.township else ""
    more = (fmt('<p class="hint">只显示最早的 {} 项；处理后其余各项会依次列出。</p>', view.limit)
            if len(view.items) >= view.limit else Html(""))
    empty = f"没有{scope}的{queue_title(view.queue)}。"
    return fmt("<h1>{}</h1><p class=\"hint\">{}</p>{}<p>{}{}：{} 项</p>{}{}",
               queue_title(view.queue), QUEUE_HINTS[view.queue], _filters(view), scope,
               where, len(items), table(headers, (row(view, i) for i in items), empty=empty,
                                        css=f"queue {view.queue}"), more)
