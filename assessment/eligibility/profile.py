"""Elder profiles from JSON: validate every attribute against the vocabulary.

A profile is a JSON object using the attribute names of the vocabulary
(docs/spec/service-lists.md §3); unknown
attributes are absent or ``null``. Enum and set values may be given by code (``dibao``) or by
Chinese label (``最低生活保障对象``). The disability certificate is ``"none"`` (known: no
certificate), an object ``{"category": "肢体", "grade": 2}`` or ``null`` (unknown). Anything
invalid — an unknown attribute, a wrong type, an impossible date, a bad enum value — is
refused whole with :class:`~assessment.errors.InputRejected` naming every field at fault.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from assessment.eligibility.values import ABSENT, Value
from assessment.eligibility.vocabulary import Attribute, Record, Vocabulary
from assessment.errors import InputRejected, Problem

AS_OF_KEY = "as_of"
#: Birth dates before this day are refused: nobody alive was born then.
EARLIEST_BIRTH = dt.date(1900, 1, 1)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DIVISION = re.compile(r"^\d{6}$")


@dataclass(frozen=True, slots=True)
class Profile:
    """A validated profile: flat attribute name → known value (unknown ones are left out)."""

    values: Mapping[str, Value]

    def get(self, name: str) -> Value:
        """The value of a flat attribute, ``None`` when unknown."""
        return self.values.get(name)


class _Invalid(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def parse_date(value: Any) -> dt.date:
    """Parse a ``YYYY-MM-DD`` string; raise ``ValueError`` with a Chinese message."""
    if not isinstance(value, str) or not _DATE.match(value):
        raise _Invalid("type", "应为 YYYY-MM-DD 格式的日期")
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise _Invalid("date", f"日期“{value}”不存在") from exc


def _code(attr: Attribute, value: Any) -> str:
    if not isinstance(value, str):
        raise _Invalid("type", "应为文字取值")
    if value in attr.codes:
        return value
    for code, label in attr.values:
        if value == label:
            return code
    allowed = "、".join(
        f"{code}（{label}）" if code != label else code for code, label in attr.values
    )
    raise _Invalid("enum", f"“{value}”不是有效取值，可选：{allowed}")


def convert(attr: Attribute, value: Any) -> Value:
    """Validate and convert one JSON value for a flat attribute (``ValueError`` if bad)."""
    kind = attr.kind
    if kind == "date":
        return parse_date(value)
    if kind == "enum":
        return _code(attr, value)
    if kind == "set":
        if not isinstance(value, list):
            raise _Invalid("type", "应为取值列表（可为空列表）")
        codes = frozenset(_code(attr, v) for v in value)
        return None if attr.empty_unknown and not codes else codes
    if kind == "bool":
        if not isinstance(value, bool):
            raise _Invalid("type", "应为 true 或 false")
        return value
    if kind == "int":
        if not isinstance(value, int) or isinstance(value, bool):
            raise _Invalid("type", "应为整数")
        assert attr.minimum is not None
        assert attr.maximum is not None
        if not attr.minimum <= value <= attr.maximum:
            raise _Invalid("range", f"应在 {attr.minimum}–{attr.maximum} 之间")
        return value
    if not isinstance(value, str):
        raise _Invalid("type", "应为文字")
    if kind == "division" and not _DIVISION.match(value):
        raise _Invalid("division", "应为6位行政区划代码")
    if kind == "division" and attr.known_codes and value not in attr.known_codes:
        raise _Invalid("division", f"“{value}”不是山西省区划表中的县级代码（区、县、县级市）")
    return value


def _record(record: Record, vocabulary: Vocabulary, value: Any, out: dict[str, Value]) -> None:
    if value in (record.none_code, record.none_label):
        out[record.held] = False
        out.update((name, ABSENT) for name in record.fields)
        return
    if not isinstance(value, dict):
        raise _Invalid("type", f"应为“{record.none_code}”（{record.none_label}）或对象")
    names = {name.split(".", 1)[1]: name for name in record.fields}
    unknown = set(value) - set(names)
    if unknown:
        raise _Invalid("unknown_attribute", f"未知字段：{'、'.join(sorted(map(str, unknown)))}")
    out[record.held] = True
    for short, name in names.items():
        if value.get(short) is not None:
            try:
                out[name] = convert(vocabulary.attributes[name], value[short])
            except _Invalid as exc:
                raise _Invalid(exc.code, f"{short}：{exc}") from exc


def parse_profile(
    data: Any, vocabulary: Vocabulary, *, where: str = "", allow: frozenset[str] = frozenset()
) -> Profile:
    """Validate one JSON object as a profile; ``where`` prefixes field names in messages.

    Keys in ``allow`` (e.g. ``as_of``) are accepted and ignored here.
    """
    if not isinstance(data, dict):
        raise InputRejected([Problem(where, "type", "每份档案应为 JSON 对象")])
    problems: list[Problem] = []
    values: dict[str, Value] = {}
    for key, value in data.items():
        field = f"{where}.{key}" if where else str(key)
        if key in allow:
            continue
        if key not in vocabulary.profile_keys:
            problems.append(Problem(field, "unknown_attribute", f"未知属性“{key}”"))
            continue
        if value is None:
            continue
        label = vocabulary.profile_label(key)
        try:
            if key in vocabulary.records:
                _record(vocabulary.records[key], vocabulary, value, values)
            else:
                converted = convert(vocabulary.attributes[key], value)
                if converted is not None:  # an empty set that means "not recorded"
                    values[key] = converted
        except _Invalid as exc:
            problems.append(Problem(field, exc.code, f"{label}（{key}）{exc}"))
    if problems:
        raise InputRejected(problems)
    return Profile(values)


def parse_request(
    data: Any, vocabulary: Vocabulary, default_as_of: dt.date, *, where: str = ""
) -> tuple[Profile, dt.date]:
    """Validate one ``yinling match`` input object: a profile plus an optional ``as_of``."""
    problems: list[Problem] = []
    as_of = default_as_of
    if isinstance(data, dict) and data.get(AS_OF_KEY) is not None:
        try:
            as_of = parse_date(data[AS_OF_KEY])
        except _Invalid as exc:
            field = f"{where}.{AS_OF_KEY}" if where else AS_OF_KEY
            problems.append(Problem(field, exc.code, f"评估日期（as_of）{exc}"))
    try:
        profile = parse_profile(data, vocabulary, where=where, allow=frozenset({AS_OF_KEY}))
    except InputRejected as exc:
        raise InputRejected([*exc.problems, *problems]) from exc
    if problems:
        raise InputRejected(problems)
    check_birth_date(profile, vocabulary, as_of, where=where)
    return profile, as_of


def check_birth_date(
    profile: Profile, vocabulary: Vocabulary, as_of: dt.date, *, where: str = ""
) -> None:
    """Refuse a profile whose age source date lies after the as-of date or before 1900."""
    for attr in vocabulary.attributes.values():
        if attr.kind != "age":
            continue
        born = profile.get(attr.profile_name)
        field = f"{where}.{attr.profile_name}" if where else attr.profile_name
        label = vocabulary.profile_label(attr.profile_name)
        if isinstance(born, dt.date) and born > as_of:
            raise InputRejected(
                [Problem(field, "after_as_of", f"{label}晚于评估日期 {as_of.isoformat()}")]
            )
        if isinstance(born, dt.date) and born < EARLIEST_BIRTH:
            raise InputRejected(
                [Problem(field, "too_early", f"{label}早于 {EARLIEST_BIRTH.isoformat()}，不可能")]
            )
