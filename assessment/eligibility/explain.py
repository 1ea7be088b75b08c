"""Chinese explanation lines: one per condition, with its value and outcome (✓ ✗ ?).

Formats (spec service-lists.md §2)::

    年龄 82 ≥ 80 ✓                      comparisons of numbers
    救助身份：最低生活保障对象 ✓          other conditions, true
    救助身份：无（需为最低生活保障对象） ✗  other conditions, false: the requirement follows
    救助身份：未登记 ?                    unknown attribute
    经济困难：救助身份 无，本地认定经济困难老年人 是 ✓   predicates list their attributes

Both engines build their lines with these functions, so their texts are identical.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from assessment.divisions import division_name
from assessment.eligibility.rules import Atom, Period, PredicateRef, Setting
from assessment.eligibility.values import ABSENT, FALSE, TRUE, UNKNOWN, Truth, Value
from assessment.eligibility.vocabulary import Attribute, Vocabulary

MARKS = {TRUE: "✓", FALSE: "✗", UNKNOWN: "?"}
UNKNOWN_TEXT = "未登记"
_SYMBOLS = {"lt": "<", "le": "≤", "gt": ">", "ge": "≥"}


def display_value(vocabulary: Vocabulary, attr: Attribute, value: Value) -> str:
    """Show one attribute value in Chinese."""
    if value is None:
        return UNKNOWN_TEXT
    if value is ABSENT:
        return vocabulary.records[attr.profile_name].none_label
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, frozenset):
        shown = [label for code, label in attr.values if code in value]
        return "、".join(shown) if shown else "无"
    if isinstance(value, int):
        label = attr.value_labels.get(value)
        return f"{value}（{label}）" if label else str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if attr.kind == "enum":
        return attr.value_label(str(value))
    if attr.kind == "division" and isinstance(value, str):
        return division_name(value) or f"{value}（不在山西省区划表中）"
    return str(value)


def _requirement(atom: Atom) -> str:
    rhs = atom.operand_label
    return {
        "eq": f"需为{rhs}",
        "ne": f"需不为{rhs}",
        "in": f"需为{rhs}之一",
        "not_in": f"需不为{rhs}",
        "contains": f"需包含{rhs}",
        "not_contains": f"需不含{rhs}",
        "empty": "需为无",
        "not_empty": "需至少有一项",
        "set_eq": f"需仅为{rhs}",
        "subset": f"需仅为{rhs}中的情况",
        "within": f"需属于{rhs}",
    }.get(atom.op, "")


def atom_line(vocabulary: Vocabulary, atom: Atom, value: Value, truth: Truth) -> str:
    """The explanation line of a condition on one attribute."""
    attr = vocabulary.attributes[atom.attribute]
    mark = MARKS[truth]
    if truth == UNKNOWN:
        return f"{attr.label}：{UNKNOWN_TEXT} {mark}"
    shown = display_value(vocabulary, attr, value)
    if atom.op in _SYMBOLS:
        return f"{attr.label} {shown} {_SYMBOLS[atom.op]} {atom.operand_label} {mark}"
    if atom.op == "within" and truth == TRUE:
        return f"{attr.label}：{shown}（属于{atom.operand_label}） {mark}"
    requirement = _requirement(atom) if truth == FALSE else ""
    return f"{attr.label}：{shown}{f'（{requirement}）' if requirement else ''} {mark}"


def predicate_line(
    vocabulary: Vocabulary, predicate: PredicateRef, value_of: Callable[[str], Value], truth: Truth
) -> str:
    """The explanation line of a derived predicate: its label, attribute values and outcome."""
    details = "，".join(
        f"{vocabulary.attributes[name].label} "
        f"{display_value(vocabulary, vocabulary.attributes[name], value_of(name))}"
        for name in predicate.leaves
    )
    return f"{predicate.label}：{details} {MARKS[truth]}"


def setting_line(setting: Setting) -> str:
    """The line of a list setting used as a condition: ``本县…：否 ✗``."""
    return f"{setting.label}：{'是' if setting.value else '否'} {MARKS[setting.truth]}"


def period_line(period: Period, as_of: dt.date, *, list_title: str = "") -> str:
    """The line of an effective period (of an item, or of a whole list when not in force)."""
    start = period.start.isoformat() if period.start else "不限"
    end = period.end.isoformat() if period.end else "长期"
    what = f"清单《{list_title}》有效期" if list_title else "有效期"
    if period.contains(as_of):
        return f"{what} {start} 至 {end}，评估日 {as_of.isoformat()} ✓"
    return f"{what} {start} 至 {end}，评估日 {as_of.isoformat()} 不在有效期内 ✗"


def source_line(source: str, quote: str = "", *, provisional: bool) -> str:
    """The line citing the document an item comes from, and the sentence it implements."""
    cited = f"{source}：“{quote}”" if quote else source
    return f"依据{'（暂行清单）' if provisional else ''}：{cited}"


def missing_labels(vocabulary: Vocabulary, names: tuple[str, ...]) -> tuple[str, ...]:
    """Chinese labels of missing profile attributes (for rosters and the UI)."""
    return tuple(vocabulary.profile_label(name) for name in names)


def holding_reasons(result: str, reasons: tuple[str, ...]) -> tuple[tuple[str, ...],
                                                                   tuple[str, ...]]:
    """Split an item's lines into those to show and the alternatives that did not hold.

    An eligible item holds through every condition it needs; a line marked ✗ there can only be
    an alternative of an either-or that another branch satisfied, so it is set apart rather
    than shown as if the item failed it. Other results keep all their lines.
    """
    if result != "eligible":
        return reasons, ()
    failed = f" {MARKS[FALSE]}"
    return (tuple(r for r in reasons if not r.endswith(failed)),
            tuple(r for r in reasons if r.endswith(failed)))
