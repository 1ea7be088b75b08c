"""Assessment forms as data: load and validate ``forms/*.yaml`` into frozen dataclasses.

The form file is the single source of the standard's items, options, scores, grade bands,
grade-change rules and report sentences (docs/architecture.md §3.2). Everything downstream (the
entry screen, grading, the certificate, the exports) reads these objects; nothing re-states them in
code. A bad file is refused with :class:`~assessment.errors.FormFileError` naming the file, the
key and the reason.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from itertools import pairwise
from pathlib import Path
from typing import Any

import yaml

from assessment.errors import FormFileError
from assessment.paths import forms_dir

DEFAULT_FORM_FILE = "gbt42195-2022.yaml"

_ITEM_KEY = re.compile(r"^B\.[1-9]\.[1-9][0-9]?$")
_DIM_KEY = re.compile(r"^B\.[1-9]$")
_FIELD_KEY = re.compile(r"^A\.[1-9](\.[1-9][0-9]?){1,2}$")
FIELD_TYPES = frozenset(
    {"text", "date", "number", "single", "multi", "table", "id_number", "phone"}
)


@dataclass(frozen=True, slots=True)
class ItemOption:
    """One scored option of an Appendix B item; ``state`` tells apart options with one score."""

    score: int
    text: str
    state: str | None = None


@dataclass(frozen=True, slots=True)
class Item:
    """An Appendix B item (二级指标) with its options from the highest score to the lowest."""

    key: str
    name: str
    definition: str | None
    note: str | None
    note_footnote: str | None
    state_key: str | None
    options: tuple[ItemOption, ...]

    @property
    def label(self) -> str:
        """The printed label: name, full-width colon, definition (name alone when none)."""
        return f"{self.name}：{self.definition}" if self.definition else self.name

    @property
    def max_score(self) -> int:
        """The best score of this item."""
        return max(option.score for option in self.options)

    @property
    def scores(self) -> frozenset[int]:
        """Every score an answer may take."""
        return frozenset(option.score for option in self.options)

    def states_for(self, score: int) -> tuple[str, ...]:
        """The states that must be told apart at ``score`` (empty when the score is unique)."""
        return tuple(o.state for o in self.options if o.score == score and o.state is not None)


@dataclass(frozen=True, slots=True)
class Dimension:
    """An Appendix B dimension (一级指标); its subtotal is printed as ``report_key``."""

    key: str
    name: str
    report_key: str
    report_label: str
    items: tuple[Item, ...]

    @property
    def max_score(self) -> int:
        """The best subtotal of this dimension."""
        return sum(item.max_score for item in self.items)


@dataclass(frozen=True, slots=True)
class ChoiceOption:
    """An option of an Appendix A choice field."""

    text: str
    count: int | None = None
    icd: str | None = None
    blank: str | None = None
    help: str | None = None
    sub_options: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class InfoField:
    """An Appendix A field (not scored)."""

    key: str
    label: str
    type: str
    options: tuple[ChoiceOption, ...] = ()
    required_to_finalize: bool = False
    unit: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    group: str | None = None
    note_key: str | None = None
    exclusive: str | None = None
    columns: tuple[str, ...] = ()

    def option_texts(self) -> tuple[str, ...]:
        """The option texts in form order."""
        return tuple(option.text for option in self.options)


@dataclass(frozen=True, slots=True)
class InfoSection:
    """One table of Appendix A (A.1 … A.5)."""

    key: str
    title: str
    fields: tuple[InfoField, ...]


@dataclass(frozen=True, slots=True)
class GradeBand:
    """A capability grade and the range of totals that give it as the initial grade."""

    grade: int
    name: str
    min_total: int
    max_total: int


@dataclass(frozen=True, slots=True)
class Equals:
    """Condition: a single-choice field (or a recorded state) has this value."""

    field: str
    value: str


@dataclass(frozen=True, slots=True)
class ContainsAny:
    """Condition: a multi-choice field contains at least one of these options."""

    field: str
    values: frozenset[str]


@dataclass(frozen=True, slots=True)
class CountAtLeast:
    """Condition: the options' ``count`` values summed over these fields reach ``at_least``."""

    fields: tuple[str, ...]
    at_least: int


@dataclass(frozen=True, slots=True)
class AnyOf:
    """Condition: at least one of the nested conditions holds."""

    conditions: tuple[Condition, ...]


Condition = Equals | ContainsAny | CountAtLeast | AnyOf


@dataclass(frozen=True, slots=True)
class ChangeRule:
    """A C.4 grade-change rule: its box, code, printed text, condition and effect."""

    code: str
    box: int
    text: str
    condition: Condition
    set_grade: int | None
    raise_by: int


@dataclass(frozen=True, slots=True)
class ReportText:
    """The fixed sentences of the Appendix C report."""

    title: str
    header_fields: tuple[str, ...]
    sections: Mapping[str, str]
    c4_lead: str
    c5_lead: str
    sign_off: Mapping[str, str]
    ticked: str
    unticked: str


@dataclass(frozen=True, slots=True)
class Form:
    """A whole assessment form: Appendix A, Appendix B, grading and report text."""

    id: str
    version: str
    standard: str
    title: str
    max_total: int
    sections: tuple[InfoSection, ...]
    dimensions: tuple[Dimension, ...]
    grades: tuple[GradeBand, ...]
    change_rules: tuple[ChangeRule, ...]
    report: ReportText
    source: str
    rules_hash: str
    _items: Mapping[str, Item] = field(repr=False, compare=False)
    _fields: Mapping[str, InfoField] = field(repr=False, compare=False)

    @property
    def items(self) -> tuple[Item, ...]:
        """All items in standard order."""
        return tuple(self._items.values())

    @property
    def fields(self) -> tuple[InfoField, ...]:
        """All Appendix A fields in standard order."""
        return tuple(self._fields.values())

    def item(self, key: str) -> Item:
        """The item with this key (``KeyError`` when the form has none)."""
        return self._items[key]

    def info_field(self, key: str) -> InfoField:
        """The Appendix A field with this key (``KeyError`` when the form has none)."""
        return self._fields[key]

    def has_info_field(self, key: str) -> bool:
        """True when Appendix A has a field with this key."""
        return key in self._fields

    def grade_name(self, grade: int) -> str:
        """The verbatim name of a grade, as printed in C.3 and C.5."""
        for band in self.grades:
            if band.grade == grade:
                return band.name
        raise KeyError(grade)

    @property
    def version_tag(self) -> str:
        """``id@version``, stored with every assessment."""
        return f"{self.id}@{self.version}"


class _Reader:
    """Typed access to the parsed YAML that reports the file and key on every mistake."""

    def __init__(self, file: str) -> None:
        self.file = file

    def fail(self, key: str, reason: str) -> FormFileError:
        return FormFileError(self.file, key, reason)

    def mapping(self, value: object, key: str) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            raise self.fail(key, "应为映射（key: value）")
        return value

    def sequence(self, value: object, key: str) -> Sequence[Any]:
        if not isinstance(value, list) or not value:
            raise self.fail(key, "应为非空列表")
        return value

    def text(self, data: Mapping[str, Any], name: str, key: str, *, optional: bool = False) -> str:
        value = data.get(name)
        if value is None and optional:
            return ""
        if not isinstance(value, str) or not value.strip():
            raise self.fail(f"{key}.{name}", "应为非空文本")
        return value

    def integer(self, data: Mapping[str, Any], name: str, key: str) -> int:
        value = data.get(name)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(f"{key}.{name}", "应为整数")
        return value

    def known_keys(self, data: Mapping[str, Any], allowed: set[str], key: str) -> None:
        unknown = sorted(set(data) - allowed)
        if unknown:
            raise self.fail(key, f"未知的键 {', '.join(map(str, unknown))}")


_FIELD_KEYS = {
    "key", "label", "type", "options", "required_to_finalize", "unit", "min", "max", "group",
    "note_key", "exclusive", "columns",
}
_OPTION_KEYS = {"text", "count", "icd", "blank", "help", "sub_options"}


def _parse_choice_option(r: _Reader, raw: object, key: str) -> ChoiceOption:
    data = r.mapping(raw, key)
    r.known_keys(data, _OPTION_KEYS, key)
    count = data.get("count")
    if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 0):
        raise r.fail(f"{key}.count", "应为非负整数")
    subs = data.get("sub_options", [])
    if not isinstance(subs, list) or not all(isinstance(s, str) for s in subs):
        raise r.fail(f"{key}.sub_options", "应为文本列表")
    icd = data.get("icd")
    if icd is not None and not re.fullmatch(r"[A-Z][0-9]{2}(-[A-Z][0-9]{2})?", str(icd)):
        raise r.fail(f"{key}.icd", f"ICD 范围格式错误：{icd}")
    return ChoiceOption(
        text=r.text(data, "text", key),
        count=count,
        icd=None if icd is None else str(icd),
        blank=data.get("blank"),
        help=data.get("help"),
        sub_options=tuple(subs),
    )


def _parse_field(r: _Reader, raw: object, where: str) -> InfoField:
    data = r.mapping(raw, where)
    key = r.text(data, "key", where)
    if not _FIELD_KEY.match(key):
        raise r.fail(key, "字段编号应形如 A.2.14.1")
    r.known_keys(data, _FIELD_KEYS, key)
    kind = r.text(data, "type", key)
    if kind not in FIELD_TYPES:
        raise r.fail(f"{key}.type", f"未知的字段类型 {kind}")
    options: tuple[ChoiceOption, ...] = ()
    if kind in {"single", "multi"}:
        raw_options = r.sequence(data.get("options"), f"{key}.options")
        options = tuple(
            _parse_choice_option(r, o, f"{key}.options[{i}]") for i, o in enumerate(raw_options)
        )
        texts = [o.text for o in options]
        if len(set(texts)) != len(texts):
            raise r.fail(f"{key}.options", "选项文本重复")
    elif "options" in data:
        raise r.fail(f"{key}.options", f"{kind} 类型的字段不能有选项")
    exclusive = data.get("exclusive")
    if exclusive is not None and exclusive not in {o.text for o in options}:
        raise r.fail(f"{key}.exclusive", f"互斥选项 {exclusive} 不在选项中")
    columns = data.get("columns", [])
    if kind == "table" and (not isinstance(columns, list) or not columns):
        raise r.fail(f"{key}.columns", "表格字段应列出各列")
    return InfoField(
        key=key,
        label=r.text(data, "label", key),
        type=kind,
        options=options,
        required_to_finalize=bool(data.get("required_to_finalize", False)),
        unit=data.get("unit"),
        minimum=data.get("min"),
        maximum=data.get("max"),
        group=data.get("group"),
        note_key=data.get("note_key"),
        exclusive=exclusive,
        columns=tuple(str(c) for c in columns),
    )


def _parse_item(r: _Reader, raw: object, dim_key: str, where: str) -> Item:
    data = r.mapping(raw, where)
    key = r.text(data, "key", where)
    if not _ITEM_KEY.match(key) or not key.startswith(dim_key + "."):
        raise r.fail(key, f"项目编号应形如 {dim_key}.1，且属于维度 {dim_key}")
    r.known_keys(
        data, {"key", "name", "definition", "note", "note_footnote", "state_key", "options"}, key
    )
    options: list[ItemOption] = []
    for i, raw_option in enumerate(r.sequence(data.get("options"), f"{key}.options")):
        okey = f"{key}.options[{i}]"
        odata = r.mapping(raw_option, okey)
        r.known_keys(odata, {"score", "text", "state"}, okey)
        score = r.integer(odata, "score", okey)
        if score < 0:
            raise r.fail(f"{okey}.score", "分值不能为负")
        state = odata.get("state")
        if state is not None and not isinstance(state, str):
            raise r.fail(f"{okey}.state", "应为文本")
        options.append(ItemOption(score=score, text=r.text(odata, "text", okey), state=state))
    scores = [o.score for o in options]
    if scores != sorted(scores, reverse=True):
        raise r.fail(f"{key}.options", "选项应按分值从高到低排列")
    if 0 not in scores:
        raise r.fail(f"{key}.options", "每个项目须有 0 分选项（0 分为最差）")
    state_key = data.get("state_key")
    for score in set(scores):
        same = [o for o in options if o.score == score]
        if len(same) > 1:
            states = [o.state for o in same]
            if None in states or len(set(states)) != len(states):
                raise r.fail(f"{key}.options", f"{score} 分有多个选项，须以不同的 state 区分")
            if not state_key:
                raise r.fail(key, "有按 state 区分的选项时须给出 state_key")
        elif same[0].state is not None:
            raise r.fail(f"{key}.options", f"{score} 分只有一个选项，不应有 state")
    return Item(
        key=key,
        name=r.text(data, "name", key),
        definition=data.get("definition"),
        note=data.get("note"),
        note_footnote=data.get("note_footnote"),
        state_key=state_key,
        options=tuple(options),
    )


def _parse_condition(r: _Reader, raw: object, key: str) -> Condition:
    data = r.mapping(raw, key)
    if len(data) != 1:
        raise r.fail(key, "条件须恰好是 equals、contains_any、count_at_least 或 any 之一")
    kind, body = next(iter(data.items()))
    if kind == "any":
        parts = r.sequence(body, f"{key}.any")
        return AnyOf(tuple(_parse_condition(r, p, f"{key}.any[{i}]") for i, p in enumerate(parts)))
    spec = r.mapping(body, f"{key}.{kind}")
    if kind == "equals":
        return Equals(r.text(spec, "field", key), r.text(spec, "value", key))
    if kind == "contains_any":
        values = r.sequence(spec.get("values"), f"{key}.values")
        return ContainsAny(r.text(spec, "field", key), frozenset(str(v) for v in values))
    if kind == "count_at_least":
        fields = r.sequence(spec.get("fields"), f"{key}.fields")
        return CountAtLeast(tuple(str(f) for f in fields), r.integer(spec, "at_least", key))
    raise r.fail(key, f"未知的条件类型 {kind}")


def _check_condition(r: _Reader, cond: Condition, key: str, fields: Mapping[str, InfoField],
                     states: Mapping[str, frozenset[str]]) -> None:
    """Every field and value a condition names must exist in the form."""
    if isinstance(cond, AnyOf):
        for part in cond.conditions:
            _check_condition(r, part, key, fields, states)
    elif isinstance(cond, Equals):
        if cond.field in states:
            allowed = states[cond.field]
        elif cond.field in fields and fields[cond.field].type == "single":
            allowed = frozenset(fields[cond.field].option_texts())
        else:
            raise r.fail(key, f"条件引用的字段 {cond.field} 不存在或不是单选")
        if cond.value not in allowed:
            raise r.fail(key, f"{cond.field} 没有选项 {cond.value}")
    elif isinstance(cond, ContainsAny):
        target = fields.get(cond.field)
        if target is None or target.type != "multi":
            raise r.fail(key, f"条件引用的字段 {cond.field} 不存在或不是多选")
        unknown = cond.values - set(target.option_texts())
        if unknown:
            raise r.fail(key, f"{cond.field} 没有选项 {', '.join(sorted(unknown))}")
    else:
        for name in cond.fields:
            target = fields.get(name)
            if target is None or any(o.count is None for o in target.options) or not target.options:
                raise r.fail(key, f"计数条件引用的字段 {name} 不存在或选项没有 count")


def _parse_grades(r: _Reader, raw: object, max_total: int) -> tuple[GradeBand, ...]:
    bands = []
    for i, entry in enumerate(r.sequence(raw, "grades")):
        data = r.mapping(entry, f"grades[{i}]")
        bands.append(GradeBand(
            grade=r.integer(data, "grade", f"grades[{i}]"),
            name=r.text(data, "name", f"grades[{i}]"),
            min_total=r.integer(data, "min_total", f"grades[{i}]"),
            max_total=r.integer(data, "max_total", f"grades[{i}]"),
        ))
    covered = sorted((b.min_total, b.max_total) for b in bands)
    expected_low = 0
    for low, high in covered:
        if low != expected_low or high < low:
            message = f"等级分段须无缝覆盖 0–{max_total}，在 {low}–{high} 处断开或重叠"
            raise r.fail("grades", message)
        expected_low = high + 1
    if expected_low != max_total + 1:
        raise r.fail("grades", f"等级分段须覆盖到总分上限 {max_total}")
    if [b.grade for b in bands] != list(range(len(bands))):
        raise r.fail("grades", "等级须从 0 起连续编号")
    # A higher grade is more impaired: it must come from lower totals.
    if any(a.min_total <= b.max_total for a, b in pairwise(bands)):
        raise r.fail("grades", "等级越高对应的总分应越低")
    return tuple(bands)


def _condition_data(cond: Condition) -> object:
    """A canonical, process-independent encoding of a condition (sets sorted)."""
    if isinstance(cond, Equals):
        return ["equals", cond.field, cond.value]
    if isinstance(cond, ContainsAny):
        return ["contains_any", cond.field, sorted(cond.values)]
    if isinstance(cond, CountAtLeast):
        return ["count_at_least", list(cond.fields), cond.at_least]
    return ["any", [_condition_data(part) for part in cond.conditions]]


def _rules_hash(dimensions: Sequence[Dimension], grades: Sequence[GradeBand],
                rules: Sequence[ChangeRule]) -> str:
    """Hash of exactly what decides a grade, pinned with every assessment
    (docs/architecture.md §4, pinning)."""
    canonical = {
        "items": [
            [d.key, [[i.key, [[o.score, o.state] for o in i.options]] for i in d.items]]
            for d in dimensions
        ],
        "grades": [[g.grade, g.min_total, g.max_total] for g in grades],
        "rules": [[c.code, c.box, _condition_data(c.condition), c.set_grade, c.raise_by]
                  for c in rules],
    }
    blob = json.dumps(canonical, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def parse_form(data: object, file: str) -> Form:
    """Validate parsed YAML ``data`` and build the :class:`Form`; ``file`` names it in errors."""
    r = _Reader(file)
    top = r.mapping(data, "(文件)")
    r.known_keys(top, {"form", "appendix_a", "appendix_b", "grades", "change_rules", "report"},
                 "(文件)")
    head = r.mapping(top.get("form"), "form")
    max_total = r.integer(head, "max_total", "form")

    sections = []
    fields: dict[str, InfoField] = {}
    for i, raw_section in enumerate(r.sequence(top.get("appendix_a"), "appendix_a")):
        sdata = r.mapping(raw_section, f"appendix_a[{i}]")
        skey = r.text(sdata, "key", f"appendix_a[{i}]")
        section_fields = []
        for j, raw_field in enumerate(r.sequence(sdata.get("fields"), f"{skey}.fields")):
            info = _parse_field(r, raw_field, f"{skey}.fields[{j}]")
            if info.key in fields:
                raise r.fail(info.key, "字段编号重复")
            fields[info.key] = info
            section_fields.append(info)
        sections.append(InfoSection(skey, r.text(sdata, "title", skey), tuple(section_fields)))

    dimensions = []
    items: dict[str, Item] = {}
    for i, raw_dim in enumerate(r.sequence(top.get("appendix_b"), "appendix_b")):
        ddata = r.mapping(raw_dim, f"appendix_b[{i}]")
        dkey = r.text(ddata, "key", f"appendix_b[{i}]")
        if not _DIM_KEY.match(dkey):
            raise r.fail(dkey, "维度编号应形如 B.1")
        dim_items = []
        for j, raw_item in enumerate(r.sequence(ddata.get("items"), f"{dkey}.items")):
            item = _parse_item(r, raw_item, dkey, f"{dkey}.items[{j}]")
            if item.key in items:
                raise r.fail(item.key, "项目编号重复")
            items[item.key] = item
            dim_items.append(item)
        dimensions.append(Dimension(
            key=dkey,
            name=r.text(ddata, "name", dkey),
            report_key=r.text(ddata, "report_key", dkey),
            report_label=r.text(ddata, "report_label", dkey),
            items=tuple(dim_items),
        ))
    best = sum(d.max_score for d in dimensions)
    if best != max_total:
        raise r.fail("form.max_total", f"各项目最高分之和为 {best}，与 max_total {max_total} 不符")

    grades = _parse_grades(r, top.get("grades"), max_total)
    states = {
        item.state_key: frozenset(o.state for o in item.options if o.state)
        for item in items.values() if item.state_key
    }
    rules = []
    for i, raw_rule in enumerate(r.sequence(top.get("change_rules"), "change_rules")):
        where = f"change_rules[{i}]"
        rdata = r.mapping(raw_rule, where)
        r.known_keys(rdata, {"code", "box", "text", "when", "effect"}, where)
        code = r.text(rdata, "code", where)
        condition = _parse_condition(r, rdata.get("when"), f"{code}.when")
        _check_condition(r, condition, f"{code}.when", fields, states)
        effect = r.mapping(rdata.get("effect"), f"{code}.effect")
        if set(effect) not in ({"set_grade"}, {"raise"}):
            raise r.fail(f"{code}.effect", "效果须是 set_grade 或 raise 之一")
        set_grade = effect.get("set_grade")
        raise_by = effect.get("raise", 0)
        if set_grade is not None and set_grade not in {g.grade for g in grades}:
            raise r.fail(f"{code}.effect", f"没有等级 {set_grade}")
        if isinstance(raise_by, bool) or not isinstance(raise_by, int) or raise_by < 0:
            raise r.fail(f"{code}.effect", "raise 应为非负整数")
        rules.append(ChangeRule(code, r.integer(rdata, "box", where), r.text(rdata, "text", where),
                                condition, set_grade, raise_by))
    if len({rule.code for rule in rules}) != len(rules):
        raise r.fail("change_rules", "规则代码重复")

    rdata = r.mapping(top.get("report"), "report")
    sign_off = r.mapping(rdata.get("sign_off"), "report.sign_off")
    report = ReportText(
        title=r.text(rdata, "title", "report"),
        header_fields=tuple(str(k) for k in r.sequence(rdata.get("header_fields"), "report")),
        sections=dict(r.mapping(rdata.get("sections"), "report.sections")),
        c4_lead=r.text(rdata, "c4_lead", "report"),
        c5_lead=r.text(rdata, "c5_lead", "report"),
        sign_off={str(k): str(v) for k, v in sign_off.items()},
        ticked=r.text(rdata, "ticked", "report"),
        unticked=r.text(rdata, "unticked", "report"),
    )
    return Form(
        id=r.text(head, "id", "form"),
        version=str(head.get("version", "")) or "1",
        standard=r.text(head, "standard", "form"),
        title=r.text(head, "title", "form"),
        max_total=max_total,
        sections=tuple(sections),
        dimensions=tuple(dimensions),
        grades=grades,
        change_rules=tuple(rules),
        report=report,
        source=file,
        rules_hash=_rules_hash(dimensions, grades, rules),
        _items=items,
        _fields=fields,
    )


def load_form(path: Path | str) -> Form:
    """Load and validate a form file; refuse a bad one with :class:`FormFileError`."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise FormFileError(str(path), "(文件)", f"无法读取：{exc.strerror}") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise FormFileError(str(path), "(文件)", f"YAML 格式错误：{exc}") from exc
    return parse_form(data, path.name)


@cache
def default_form() -> Form:
    """The bundled GB/T 42195-2022 form, loaded once per process."""
    return load_form(forms_dir() / DEFAULT_FORM_FILE)
