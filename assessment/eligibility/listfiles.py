"""Service-list files: load one YAML list version and validate it into frozen dataclasses.

A list file (spec service-lists.md §1) gives the list id, version, effective period, source
document, the three settings, an optional residence scope (city lists) and the items with
their rules. Everything is checked on load — unknown keys, missing fields, bad dates, rules
that do not parse or do not type-check — and a bad file is refused whole with
:class:`~assessment.errors.FormFileError` naming the file, the item id and the reason.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assessment.eligibility.resolve import Resolver, SettingValue
from assessment.eligibility.rules import Atom, Period, RuleNode
from assessment.eligibility.syntax import ExpressionError
from assessment.eligibility.vocabulary import PredicateSource, Vocabulary
from assessment.errors import FormFileError, InputRejected
from assessment.inputreader import DEFAULT_LIMITS, parse_yaml, read_bytes

# A list file is tens of kilobytes; the bound keeps hostile files cheap to refuse.
LIST_FILE_LIMITS = DEFAULT_LIMITS.with_max_bytes(2 * 1024 * 1024)

_LIST_KEYS = frozenset(
    {
        "kind",
        "list",
        "version",
        "title",
        "provisional",
        "effective_from",
        "effective_to",
        "source",
        "settings",
        "scope",
        "items",
        "predicates",
    }
)
_ITEM_KEYS = frozenset(
    {
        "id",
        "name",
        "target",
        "content",
        "type",
        "standard",
        "department",
        "source",
        "quote",
        "rule",
        "priority",
        "effective_from",
        "effective_to",
    }
)
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
LOCAL_STANDARD = "按当地标准"


@dataclass(frozen=True, slots=True)
class Tier:
    """One amount of a tiered standard, applying when ``when`` holds (e.g. 半失能 200元)."""

    when: RuleNode
    label: str
    amount: int | float
    unit: str

    def text(self) -> str:
        """Display, e.g. ``半失能 200元/人/月``."""
        return f"{self.label} {self.amount:g}{self.unit}"


@dataclass(frozen=True, slots=True)
class Standard:
    """标准: an amount (None when unknown → "按当地标准"), or tiers."""

    amount: int | float | None
    unit: str
    basis: str
    tiers: tuple[Tier, ...] = ()

    def text(self) -> str:
        """Display the whole standard."""
        if self.tiers:
            return "；".join(t.text() for t in self.tiers)
        if self.amount is None:
            return LOCAL_STANDARD
        return f"{self.basis}{self.amount:g}{self.unit}"


@dataclass(frozen=True, slots=True)
class Item:
    """One list item: its texts, standard, rule and optional own effective period."""

    id: str
    name: str
    target: str
    content: str
    type: str
    standard: Standard
    department: str | None
    source: str
    rule_text: str
    rule: RuleNode
    period: Period | None
    quote: str = ""
    priority: RuleNode | None = None


@dataclass(frozen=True, slots=True)
class Scope:
    """Where a (city) list applies: a division-code prefix of an attribute."""

    name: str
    atom: Atom


@dataclass(frozen=True, slots=True)
class ServiceList:
    """One installed list version."""

    list_id: str
    version: str
    title: str
    provisional: bool
    period: Period
    source: str
    settings: Mapping[str, SettingValue]
    scope: Scope | None
    items: tuple[Item, ...]
    file: str
    digest: str
    #: Who issued it: ``bundled`` (shipped), ``county`` or ``local`` (see listseal).
    origin: str = "bundled"

    @property
    def local(self) -> bool:
        """Installed on this laptop by a supervisor, not issued by the county."""
        return self.origin == "local"

    @property
    def ref(self) -> str:
        """``<list>@<version>``, as printed in every match result."""
        return f"{self.list_id}@{self.version}"


def _date(value: Any, file: str, key: str) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError as exc:
        raise FormFileError(file, key, f"日期“{value}”无效（应为 YYYY-MM-DD）") from exc


def _text(
    spec: Mapping[str, Any], key: str, file: str, where: str, *, optional: bool = False
) -> str:
    value = spec.get(key)
    if value is None and optional:
        return ""
    if (
        not isinstance(value, str | int | float)
        or isinstance(value, bool)
        or not str(value).strip()
    ):
        raise FormFileError(file, where, f"“{key}”应为非空文字")
    return str(value).strip()


def _settings(raw: Any, vocabulary: Vocabulary, file: str) -> dict[str, SettingValue]:
    if not isinstance(raw, dict):
        raise FormFileError(
            file, "settings", "缺少设置（disabled_min_grade、semi_grades、full_grades）"
        )
    settings: dict[str, SettingValue] = {}
    kinds = {"int": "整数", "int_set": "整数列表", "bool": "true 或 false"}
    for name, kind in vocabulary.settings.items():
        value = raw.get(name)
        if value is None and name in vocabulary.setting_defaults:
            settings[name] = vocabulary.setting_defaults[name]
        elif isinstance(value, int) and (kind == "bool") == isinstance(value, bool) and kind in (
            "int",
            "bool",
        ):
            settings[name] = value
        elif (
            kind == "int_set"
            and isinstance(value, list)
            and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
        ):
            settings[name] = frozenset(value)
        else:
            raise FormFileError(file, f"settings.{name}", f"应为{kinds.get(kind, kind)}")
    unknown = set(raw) - set(vocabulary.settings)
    if unknown:
        raise FormFileError(file, "settings", f"未知设置：{'、'.join(sorted(map(str, unknown)))}")
    return settings


def _standard(raw: Any, resolver: Resolver, file: str, where: str) -> Standard:
    if not isinstance(raw, dict):
        raise FormFileError(file, where, "“standard”应为映射（amount 未知时写 null）")
    tiers: list[Tier] = []
    for n, tier in enumerate(raw.get("tiers") or []):
        key = f"{where}.standard.tiers[{n}]"
        amount = tier.get("amount") if isinstance(tier, dict) else None
        if not isinstance(amount, int | float) or isinstance(amount, bool):
            raise FormFileError(file, key, "分档标准须给出金额 amount")
        try:
            when = resolver.rule(_text(tier, "when", file, key))
        except ExpressionError as exc:
            raise FormFileError(file, key, f"分档条件无效：{exc}") from exc
        tiers.append(
            Tier(when, _text(tier, "label", file, key), amount, _text(tier, "unit", file, key))
        )
    amount = raw.get("amount")
    if amount is not None and (not isinstance(amount, int | float) or isinstance(amount, bool)):
        raise FormFileError(file, where, "“amount”应为数字或 null")
    return Standard(amount, str(raw.get("unit") or ""), str(raw.get("basis") or ""), tuple(tiers))


def _item(raw: Any, n: int, resolver: Resolver, file: str, list_source: str) -> Item:
    if not isinstance(raw, dict):
        raise FormFileError(file, f"items[{n}]", "条目应为映射")
    item_id = raw.get("id")
    if not isinstance(item_id, str) or not _ID.match(item_id):
        raise FormFileError(file, f"items[{n}]", f"条目编号“{item_id}”无效")
    unknown = set(raw) - _ITEM_KEYS
    if unknown:
        raise FormFileError(file, item_id, f"未知字段：{'、'.join(sorted(map(str, unknown)))}")
    item_type = _text(raw, "type", file, item_id)
    if resolver.vocabulary.service_types and item_type not in resolver.vocabulary.service_types:
        raise FormFileError(file, item_id, f"服务类型“{item_type}”无效")
    rule_text = _text(raw, "rule", file, item_id)
    try:
        rule = resolver.rule(rule_text)
    except ExpressionError as exc:
        raise FormFileError(file, item_id, f"规则无效：{exc}") from exc
    priority = None
    if raw.get("priority") is not None:
        try:
            priority = resolver.rule(_text(raw, "priority", file, item_id))
        except ExpressionError as exc:
            raise FormFileError(file, item_id, f"优先条件无效：{exc}") from exc
    start = _date(raw.get("effective_from"), file, f"{item_id}.effective_from")
    end = _date(raw.get("effective_to"), file, f"{item_id}.effective_to")
    if start and end and end < start:
        raise FormFileError(file, item_id, "有效期终止日早于起始日")
    department = raw.get("department")
    return Item(
        item_id,
        _text(raw, "name", file, item_id),
        _text(raw, "target", file, item_id),
        _text(raw, "content", file, item_id),
        item_type,
        _standard(raw.get("standard"), resolver, file, item_id),
        None if department is None else str(department),
        _text(raw, "source", file, item_id, optional=True) or list_source,
        rule_text,
        rule,
        Period(start, end) if (start or end) else None,
        _text(raw, "quote", file, item_id, optional=True),
        priority,
    )


def _predicates(raw: Any, vocabulary: Vocabulary, file: str) -> dict[str, PredicateSource]:
    predicates = dict(vocabulary.predicates)
    for name, spec in (raw or {}).items():
        if not isinstance(spec, dict) or "expr" not in spec or "label" not in spec:
            raise FormFileError(file, f"predicates.{name}", "谓词须给出 label 与 expr")
        predicates[str(name)] = PredicateSource(str(name), str(spec["label"]), str(spec["expr"]))
    return predicates


def parse_list(data: Any, vocabulary: Vocabulary, file: str, digest: str = "") -> ServiceList:
    """Validate already-parsed YAML data as a list version."""
    if not isinstance(data, dict) or data.get("kind") != "service-list":
        raise FormFileError(file, "kind", "不是服务清单文件（kind 应为 service-list）")
    unknown = set(data) - _LIST_KEYS
    if unknown:
        raise FormFileError(file, "", f"未知字段：{'、'.join(sorted(map(str, unknown)))}")
    list_id, version = _text(data, "list", file, "list"), _text(data, "version", file, "version")
    if not _ID.match(list_id) or not _ID.match(version):
        raise FormFileError(file, "list", "清单编号或版本号只能包含字母、数字、点、下划线和连字符")
    start = _date(data.get("effective_from"), file, "effective_from")
    if start is None:
        raise FormFileError(file, "effective_from", "缺少清单起始日")
    end = _date(data.get("effective_to"), file, "effective_to")
    if end is not None and end < start:
        raise FormFileError(file, "effective_to", "有效期终止日早于起始日")
    settings = _settings(data.get("settings"), vocabulary, file)
    resolver = Resolver(vocabulary, settings, _predicates(data.get("predicates"), vocabulary, file))
    source = _text(data, "source", file, "source")
    scope = None
    if data.get("scope") is not None:
        raw = data["scope"]
        try:
            atom = resolver.rule(f'{raw["attribute"]} within "{raw["within"]}"')
        except (ExpressionError, KeyError, TypeError) as exc:
            raise FormFileError(file, "scope", f"适用范围无效：{exc}") from exc
        assert isinstance(atom, Atom)
        name = _text(raw, "name", file, "scope")
        scope = Scope(name, Atom(atom.attribute, atom.op, atom.operand, name))
    raw_items = data.get("items")
    if not isinstance(raw_items, list) or not raw_items:
        raise FormFileError(file, "items", "清单没有条目")
    items = tuple(_item(raw, n, resolver, file, source) for n, raw in enumerate(raw_items))
    seen: set[str] = set()
    for item in items:
        if item.id in seen:
            raise FormFileError(file, item.id, "条目编号重复")
        seen.add(item.id)
    return ServiceList(
        list_id,
        version,
        _text(data, "title", file, "title"),
        bool(data.get("provisional")),
        Period(start, end),
        source,
        settings,
        scope,
        items,
        file,
        digest,
    )


def load_list_file(path: Path, vocabulary: Vocabulary) -> ServiceList:
    """Load and validate one list file; raise :class:`FormFileError` when it is bad."""
    file = str(path)
    try:
        raw = read_bytes(path, LIST_FILE_LIMITS.max_bytes)
    except InputRejected as exc:
        raise _file_error(file, exc) from exc
    return parse_list_bytes(raw, vocabulary, file)


def parse_list_bytes(raw: bytes, vocabulary: Vocabulary, file: str) -> ServiceList:
    """Parse and validate the bytes of a list file (through the input reader's limits)."""
    try:
        data = parse_yaml(raw, LIST_FILE_LIMITS, file)
    except InputRejected as exc:
        raise _file_error(file, exc) from exc
    return parse_list(data, vocabulary, file, hashlib.sha256(raw).hexdigest())


def _file_error(file: str, exc: InputRejected) -> FormFileError:
    problem = exc.problems[0]
    key = "" if problem.field == file else problem.field
    return FormFileError(file, key, problem.message)


#: The readers of list files, shared with other rule-bearing files (visit plans).
read_settings = _settings
read_date = _date
read_text = _text
file_error = _file_error
