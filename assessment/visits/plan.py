"""Visit-plan files: tiers (rule, frequency, methods) and the vocabulary of a visit record.

A plan file is validated on load like a service-list file — unknown keys, bad dates, rules
that do not parse or type-check, unknown methods — and a bad file is refused whole with
:class:`~assessment.errors.FormFileError` naming the file, the key and the reason.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assessment.eligibility.listfiles import (
    LIST_FILE_LIMITS,
    file_error,
    read_date,
    read_settings,
    read_text,
)
from assessment.eligibility.resolve import Resolver
from assessment.eligibility.rules import Period, RuleNode
from assessment.eligibility.syntax import ExpressionError
from assessment.eligibility.vocabulary import Vocabulary
from assessment.errors import FormFileError, InputRejected
from assessment.inputreader import parse_yaml, read_bytes

FREQUENCIES = {"week": "每周", "month": "每月", "quarter": "每季度"}
_PLAN_KEYS = frozenset({"kind", "plan", "version", "title", "provisional", "effective_from",
                        "effective_to", "source", "quote", "target_rate", "settings", "tiers",
                        "record"})
_TIER_KEYS = frozenset({"id", "name", "frequency", "methods", "note", "rule"})
_RECORD_KEYS = frozenset({"methods", "checklist", "risk_levels", "departments"})
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


@dataclass(frozen=True, slots=True)
class Tier:
    """One tier: who (``rule``), how often (``frequency``) and how (``methods``)."""

    id: str
    name: str
    frequency: str
    methods: tuple[str, ...]
    note: str
    rule_text: str
    rule: RuleNode

    @property
    def frequency_label(self) -> str:
        """每周 / 每月 / 每季度."""
        return FREQUENCIES[self.frequency]


@dataclass(frozen=True, slots=True)
class RecordVocabulary:
    """What a visit record may hold: methods, checklist areas, risk levels, departments."""

    methods: tuple[str, ...]
    checklist: Mapping[str, str]
    risk_levels: Mapping[str, str]
    departments: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class VisitPlan:
    """One installed visit-plan version."""

    plan_id: str
    version: str
    title: str
    provisional: bool
    period: Period
    source: str
    quote: str
    target_rate: int
    tiers: tuple[Tier, ...]
    record: RecordVocabulary
    file: str
    digest: str
    vocabulary: Vocabulary

    @property
    def ref(self) -> str:
        """``<plan>@<version>``."""
        return f"{self.plan_id}@{self.version}"

    def tier(self, tier_id: str) -> Tier:
        """A tier by id (``KeyError`` if unknown)."""
        for tier in self.tiers:
            if tier.id == tier_id:
                return tier
        raise KeyError(tier_id)


def _strings(raw: Any, file: str, where: str) -> tuple[str, ...]:
    if not isinstance(raw, list) or not raw or not all(
            isinstance(v, str) and v.strip() for v in raw):
        raise FormFileError(file, where, "应为非空的文字列表")
    if len(set(raw)) != len(raw):
        raise FormFileError(file, where, "列表中有重复项")
    return tuple(v.strip() for v in raw)


def _mapping(raw: Any, file: str, where: str) -> dict[str, str]:
    if not isinstance(raw, dict) or not raw or not all(
            isinstance(k, str) and isinstance(v, str) and k and v for k, v in raw.items()):
        raise FormFileError(file, where, "应为非空的“代码: 名称”映射")
    return {str(k): str(v) for k, v in raw.items()}


def _record(raw: Any, file: str) -> RecordVocabulary:
    if not isinstance(raw, dict):
        raise FormFileError(file, "record", "缺少探访记录的取值（methods、checklist、risk_levels）")
    unknown = set(raw) - _RECORD_KEYS
    if unknown:
        raise FormFileError(file, "record", f"未知字段：{'、'.join(sorted(map(str, unknown)))}")
    return RecordVocabulary(
        _strings(raw.get("methods"), file, "record.methods"),
        _mapping(raw.get("checklist"), file, "record.checklist"),
        _mapping(raw.get("risk_levels"), file, "record.risk_levels"),
        _strings(raw.get("departments"), file, "record.departments"),
    )


def _tier(raw: Any, n: int, resolver: Resolver, record: RecordVocabulary, file: str) -> Tier:
    if not isinstance(raw, dict):
        raise FormFileError(file, f"tiers[{n}]", "分级应为映射")
    tier_id = raw.get("id")
    if not isinstance(tier_id, str) or not _ID.match(tier_id):
        raise FormFileError(file, f"tiers[{n}]", f"分级编号“{tier_id}”无效")
    unknown = set(raw) - _TIER_KEYS
    if unknown:
        raise FormFileError(file, tier_id, f"未知字段：{'、'.join(sorted(map(str, unknown)))}")
    frequency = raw.get("frequency")
    if frequency not in FREQUENCIES:
        raise FormFileError(file, tier_id, f"探访频次“{frequency}”无效，可选：week、month、quarter")
    methods = _strings(raw.get("methods"), file, f"{tier_id}.methods")
    strange = [m for m in methods if m not in record.methods]
    if strange:
        raise FormFileError(file, f"{tier_id}.methods", f"未知探访方式：{'、'.join(strange)}")
    rule_text = read_text(raw, "rule", file, tier_id)
    try:
        rule = resolver.rule(rule_text)
    except ExpressionError as exc:
        raise FormFileError(file, tier_id, f"规则无效：{exc}") from exc
    return Tier(tier_id, read_text(raw, "name", file, tier_id), str(frequency), methods,
                read_text(raw, "note", file, tier_id, optional=True), rule_text, rule)


def parse_plan(data: Any, vocabulary: Vocabulary, file: str, digest: str = "") -> VisitPlan:
    """Validate already-parsed YAML data as a visit-plan version."""
    if not isinstance(data, dict) or data.get("kind") != "visit-plan":
        raise FormFileError(file, "kind", "不是探访计划文件（kind 应为 visit-plan）")
    unknown = set(data) - _PLAN_KEYS
    if unknown:
        raise FormFileError(file, "", f"未知字段：{'、'.join(sorted(map(str, unknown)))}")
    plan_id, version = read_text(data, "plan", file, "plan"), read_text(data, "version", file,
                                                                          "version")
    if not _ID.match(plan_id) or not _ID.match(version):
        raise FormFileError(file, "plan", "计划编号或版本号只能包含字母、数字、点、下划线和连字符")
    start = read_date(data.get("effective_from"), file, "effective_from")
    if start is None:
        raise FormFileError(file, "effective_from", "缺少计划起始日")
    end = read_date(data.get("effective_to"), file, "effective_to")
    if end is not None and end < start:
        raise FormFileError(file, "effective_to", "有效期终止日早于起始日")
    rate = data.get("target_rate", 100)
    if not isinstance(rate, int) or isinstance(rate, bool) or not 0 < rate <= 100:
        raise FormFileError(file, "target_rate", "月探访率目标应为 1–100 的整数（百分比）")
    settings = read_settings(data.get("settings"), vocabulary, file)
    resolver = Resolver(vocabulary, settings, vocabulary.predicates)
    record = _record(data.get("record"), file)
    raw_tiers = data.get("tiers")
    if not isinstance(raw_tiers, list) or not raw_tiers:
        raise FormFileError(file, "tiers", "计划没有分级")
    tiers = tuple(_tier(raw, n, resolver, record, file) for n, raw in enumerate(raw_tiers))
    if len({t.id for t in tiers}) != len(tiers):
        raise FormFileError(file, "tiers", "分级编号重复")
    return VisitPlan(plan_id, version, read_text(data, "title", file, "title"),
                     bool(data.get("provisional")), Period(start, end),
                     read_text(data, "source", file, "source"),
                     read_text(data, "quote", file, "quote", optional=True), rate, tiers, record,
                     file, digest, vocabulary)


def read_plan_bytes(path: Path) -> bytes:
    """The bytes of a plan file, read within the list files' limits."""
    try:
        return read_bytes(path, LIST_FILE_LIMITS.max_bytes)
    except InputRejected as exc:
        raise file_error(str(path), exc) from exc


def parse_plan_bytes(raw: bytes, vocabulary: Vocabulary, file: str) -> VisitPlan:
    """Parse and validate the bytes of a plan file (through the input reader's limits)."""
    try:
        data = parse_yaml(raw, LIST_FILE_LIMITS, file)
    except InputRejected as exc:
        raise file_error(file, exc) from exc
    return parse_plan(data, vocabulary, file, hashlib.sha256(raw).hexdigest())


def load_plan_file(path: Path, vocabulary: Vocabulary) -> VisitPlan:
    """Load and validate one plan file; raise :class:`FormFileError` when it is bad."""
    return parse_plan_bytes(read_plan_bytes(path), vocabulary, str(path))
