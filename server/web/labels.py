"""What the pages call things: queues, review actions, statuses, fields, grades."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from functools import cache

from assessment.eligibility.vocabulary import Attribute, Vocabulary, load_vocabulary
from server.review import QUEUE_NAMES

UI = "/admin/ui"
BEIJING = timezone(timedelta(hours=8), "北京时间")  # China has one zone and no DST

ACTION_LABELS = {
    "keep": "保留当前值",
    "prefer_other": "改用另一值",
    "dismiss": "忽略",
    "accept_server": "以服务器计算为准",
    "accept_device": "以设备上报为准",
    "close": "关闭缺口",
    "superseded": "随同一字段的另一项处理一并解决",
}

QUEUE_HINTS = {
    "conflicts": ("两台设备离线修改了同一老年人档案的同一字段；"
                  "当前值按时间先后自动选出，另一值保留在此。"),
    "quarantine": "服务器无法应用的变更，已隔离保存；其余变更照常同步。",
    "mismatches": "设备上报的等级或得分与服务器按原始答案重新计算的结果不同。",
    "gaps": "设备变更序号不连续或记录链被改写；补齐后缺口会自动关闭。",
}

STATUS_LABELS = {
    "open": "待处理", "auto": "已自动处理", "resolved": "已处理", "dismissed": "已忽略",
    "released": "已放行", "closed": "已关闭",
}

RECORD_TYPES = {"elder": "老年人档案", "assessment": "评估记录"}

GAP_KINDS = {"gap": "序号缺口", "link": "记录链断裂", "fork": "序号重复（分叉）"}

FIELD_LABELS = {
    "name": "姓名", "id_number": "身份证号", "sex": "性别", "birth_date": "出生日期",
    "township": "乡镇", "village": "村（社区）", "address": "住址", "phone": "联系电话",
    "household_id": "户号",
}
ATTRIBUTE_PREFIX = "attributes."
INFO_PREFIX = "info."

# GB/T 42195-2022 C.3: the five capability grades, short form for table headers.
GRADE_LABELS = ("0 能力完好", "1 轻度失能", "2 中度失能", "3 重度失能", "4 完全失能")


def queue_title(queue: str) -> str:
    """The Chinese name of a review queue."""
    return QUEUE_NAMES.get(queue, queue)


def field_label(field: str) -> str:
    """A profile field as the reviewer knows it (the raw key for anything unknown)."""
    if field in FIELD_LABELS:
        return f"{FIELD_LABELS[field]}（{field}）"
    if field.startswith(ATTRIBUTE_PREFIX):
        name = field.removeprefix(ATTRIBUTE_PREFIX)
        attribute = _attribute(name)
        label = attribute.label if attribute is not None else _record_label(name)
        return f"档案属性 {label}（{name}）" if label else f"档案属性 {name}"
    if field.startswith(INFO_PREFIX):
        return f"基本信息 {field.removeprefix(INFO_PREFIX)}"
    return field


@cache
def _vocabulary() -> Vocabulary:
    """The service-list vocabulary shipped with the server (labels of attributes and values)."""
    return load_vocabulary()


def _attribute(name: str) -> Attribute | None:
    return _vocabulary().attributes.get(name)


def _record_label(name: str) -> str:
    record = _vocabulary().records.get(name)
    return record.label if record is not None else ""


def value_text(field: str, value: object) -> object:
    """A conflict value as the reviewer reads it: an enum or set attribute's codes become their
    Chinese labels (with the code), anything else is returned as it is."""
    attribute = _attribute(field.removeprefix(ATTRIBUTE_PREFIX)) \
        if field.startswith(ATTRIBUTE_PREFIX) else None
    if attribute is None or not attribute.values:
        return value
    if isinstance(value, str):
        return f"{attribute.value_label(value)}（{value}）"
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "、".join(attribute.value_label(v) for v in value) or value
    return value


def when(value: object) -> str:
    """An ISO timestamp for a table cell: Beijing time (the county's own), to the minute."""
    if not value:
        return ""
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")
