"""How a kept sync conflict reads in Chinese: the field, its values, the device and the status.

The assessor sees a conflict in the words of the elder page: basic fields by the page's own
labels, Appendix A fields by their form label and key, service-list attributes (and their enum
codes) by the labels of the service-list vocabulary. Nothing here touches the store: the
labeller is given the form, the vocabulary and which device ids are this laptop and the county.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import Any

from assessment.eligibility.vocabulary import Vocabulary
from assessment.forms import Form
from assessment.records.incoming import LocalConflict
from assessment.records.profiles import mask_id
from assessment.wire.countydevice import PREFIX as COUNTY_PREFIX

COUNTY_NAME = "县级服务器"
EMPTY = "（空）"
UNKNOWN = "未登记"
ATTRIBUTE_PREFIX = "attributes."
INFO_PREFIX = "info."

# The elder page's own words for the profile's typed fields.
PROFILE_LABELS = {
    "name": "姓名", "id_number": "身份证号", "sex": "性别", "birth_date": "出生日期",
    "township": "乡镇（街道）", "village": "村（社区）", "address": "详细地址",
    "phone": "本人电话", "household_id": "户号",
}
# Sync problems that are not a field conflict (see assessment.records.incoming).
PROBLEM_LABELS = {
    "duplicate_id_number": "身份证号与本机另一位老人重复",
    "invalid_payload": "无法应用的档案变更",
    "unapplicable": "无法应用的评估记录",
    "roster_contradiction": "部门名单与较新的录入不一致（未更新）",
}


class ConflictStatus(Enum):
    """Where a conflict stands, as the table shows it."""

    REVIEW = "待县级审核"
    AUTO = "已自动处理"
    RESOLVED = "已由县级处理"


def conflict_status(conflict: LocalConflict) -> ConflictStatus:
    """已由县级处理 once the county's decision arrived; else by whether it needs review."""
    if conflict.resolved_at is not None:
        return ConflictStatus.RESOLVED
    return ConflictStatus.REVIEW if conflict.review_required else ConflictStatus.AUTO


def local_time(moment: datetime | None) -> str:
    """A stored time (naive UTC) in this computer's time zone, to the minute."""
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


def _joined(values: Sequence[Any]) -> str:
    return "、".join(str(v) for v in values) if values else "无"


@dataclass(frozen=True, slots=True)
class ConflictLabeller:
    """Chinese labels of conflict fields, values and devices.

    ``vocabulary`` may be None (a damaged vocabulary file): attributes then show their keys.
    ``county_device`` is the county's pseudo-device id when this laptop knows it; any id with
    the county prefix is the county's as well.
    """

    form: Form
    vocabulary: Vocabulary | None
    own_device: str
    county_device: str | None = None

    # ---- fields -----------------------------------------------------------------------------

    def field_label(self, conflict: LocalConflict) -> str:
        """What the conflict is about: a field by its Chinese label, or the problem's kind."""
        if conflict.kind != "field":
            return PROBLEM_LABELS.get(conflict.kind, conflict.kind)
        return self.label_of(conflict.field)

    def label_of(self, field: str) -> str:
        """A field path (``phone``, ``info.A.2.6``, ``attributes.living``) in Chinese."""
        if field in PROFILE_LABELS:
            return PROFILE_LABELS[field]
        if field.startswith(ATTRIBUTE_PREFIX):
            name = field.removeprefix(ATTRIBUTE_PREFIX)
            return f"{self._attribute_label(name)}（服务清单）"
        if field.startswith(INFO_PREFIX):
            key = field.removeprefix(INFO_PREFIX)
            if self.form.has_info_field(key):
                return f"{key} {self.form.info_field(key).label}"
            return key
        return field

    def _attribute_label(self, name: str) -> str:
        vocabulary = self.vocabulary
        if vocabulary is None:
            return name
        if name in vocabulary.records:
            return vocabulary.records[name].label
        attribute = vocabulary.attributes.get(name)
        return attribute.label if attribute is not None else name

    # ---- values -----------------------------------------------------------------------------

    def kept_text(self, conflict: LocalConflict) -> str:
        """The value the elder's record holds now (for a problem: why it was flagged)."""
        if conflict.kind == "duplicate_id_number":
            return "已被本机另一位老人使用"
        if conflict.kind == "roster_contradiction":
            return self.value_text(conflict.field, conflict.winner_value)
        if conflict.kind != "field":
            return str(conflict.winner_value)
        return self.value_text(conflict.field, conflict.winner_value)

    def other_text(self, conflict: LocalConflict) -> str:
        """The value that lost (kept for review); for a problem, what arrived."""
        if conflict.kind == "duplicate_id_number":
            return self.value_text("id_number", conflict.loser_value)
        if conflict.kind == "roster_contradiction" and isinstance(conflict.loser_value, dict):
            roster = conflict.loser_value
            return (f"{self.value_text(conflict.field, roster.get('value'))}"
                    f"（{roster.get('source', '')} {roster.get('as_of', '')}）")
        if conflict.kind != "field":
            return ""
        return self.value_text(conflict.field, conflict.loser_value)

    def value_text(self, field: str, value: Any) -> str:
        """One field value as the assessor reads it (ID numbers masked)."""
        if field.startswith(ATTRIBUTE_PREFIX):
            return self._attribute_value(field.removeprefix(ATTRIBUTE_PREFIX), value)
        if value is None or value == "":
            return EMPTY
        if field == "id_number" and isinstance(value, str):
            return mask_id(value) or EMPTY
        if isinstance(value, list):
            return _joined(value)
        if isinstance(value, bool):
            return "是" if value else "否"
        if isinstance(value, Mapping):
            return json.dumps(value, ensure_ascii=False, sort_keys=True)
        return str(value)

    def _attribute_value(self, name: str, value: Any) -> str:
        if value is None:
            return UNKNOWN
        vocabulary = self.vocabulary
        if vocabulary is not None and name in vocabulary.records:
            return self._record_value(vocabulary, name, value)
        attribute = vocabulary.attributes.get(name) if vocabulary is not None else None
        if isinstance(value, bool):
            return "是" if value else "否"
        if attribute is None:
            return _joined(value) if isinstance(value, list) else str(value)
        if isinstance(value, list):
            return _joined([attribute.value_label(str(v)) for v in value])
        if isinstance(value, int):
            label = attribute.value_labels.get(value)
            return f"{value}（{label}）" if label else str(value)
        if attribute.kind in ("enum", "set"):
            return attribute.value_label(str(value))
        return str(value)

    def _record_value(self, vocabulary: Vocabulary, name: str, value: Any) -> str:
        record = vocabulary.records[name]
        if value == record.none_code:
            return record.none_label
        if not isinstance(value, Mapping):
            return str(value)
        parts = []
        for key in record.fields:
            sub = value.get(key.removeprefix(f"{name}."))
            if sub is not None:
                parts.append(f"{vocabulary.attributes[key].label}："
                             f"{self._attribute_value(key, sub)}")
        return "，".join(parts) or record.label

    # ---- devices ----------------------------------------------------------------------------

    def device_text(self, device_id: str) -> str:
        """本机 / 县级服务器 / 设备 xxxxxxxx: the random tail of the id, as the status bar shows it
        (device ids are time-ordered, so laptops set up together share their head)."""
        if not device_id:
            return ""
        if device_id == self.county_device or device_id.startswith(COUNTY_PREFIX):
            return COUNTY_NAME
        if device_id == self.own_device:
            return f"本机（{device_id[-8:]}）"
        return f"设备 {device_id[-8:]}"
