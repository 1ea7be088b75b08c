"""The attribute vocabulary of the elder profile, loaded from ``vocabulary.yaml``.

The engine knows no attribute by name: types, Chinese labels, allowed values, the derived
predicates and the settings every list must give all come from the vocabulary file (spec
service-lists.md §3). Record attributes (the disability certificate) are flattened here into
``<name>.held`` plus one attribute per field, so rules and the batch engine see only flat
attributes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from assessment.divisions import county_codes
from assessment.errors import FormFileError
from assessment.paths import resources_dir

Kind = Literal["text", "division", "date", "age", "enum", "set", "bool", "int"]
_SIMPLE_KINDS: frozenset[str] = frozenset(
    {"text", "division", "date", "age", "enum", "set", "bool", "int"}
)


@dataclass(frozen=True, slots=True)
class Attribute:
    """One flat attribute: its type, Chinese label and allowed values.

    ``profile_name`` is the attribute of the profile that must be filled in when this one
    is unknown (``birth_date`` for ``age``, ``disability_cert`` for its fields).
    """

    name: str
    kind: Kind
    label: str
    profile_name: str
    values: tuple[tuple[str, str], ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    value_labels: Mapping[int, str] = field(default_factory=dict)
    role: str = "rule"
    empty_unknown: bool = False
    known_codes: frozenset[str] = frozenset()

    def value_label(self, code: str) -> str:
        """Return the Chinese label of an enum or set value code."""
        return dict(self.values).get(code, code)

    @property
    def codes(self) -> tuple[str, ...]:
        """The allowed value codes of an enum or set attribute, in vocabulary order."""
        return tuple(code for code, _ in self.values)


@dataclass(frozen=True, slots=True)
class Record:
    """A record attribute (certificate): held or not, and its fields when held."""

    name: str
    label: str
    none_code: str
    none_label: str
    held: str
    fields: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PredicateSource:
    """A derived predicate as written in the vocabulary: label template and expression."""

    name: str
    label: str
    expr: str


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """The whole vocabulary: flat attributes, records, predicates and setting names."""

    file: str
    attributes: Mapping[str, Attribute]
    records: Mapping[str, Record]
    profile_keys: tuple[str, ...]
    predicates: Mapping[str, PredicateSource]
    settings: Mapping[str, str]
    setting_labels: Mapping[str, str]
    service_types: tuple[str, ...]
    setting_defaults: Mapping[str, int | bool | frozenset[int]] = field(default_factory=dict)

    def profile_label(self, name: str) -> str:
        """Return the Chinese label of a profile attribute (a record or a flat attribute)."""
        if name in self.records:
            return self.records[name].label
        return self.attributes[name].label


def default_vocabulary_path() -> Path:
    """Return the bundled vocabulary file."""
    return resources_dir() / "service_lists" / "vocabulary.yaml"


def _require(mapping: Any, key: str, file: str, where: str) -> Any:
    if not isinstance(mapping, dict) or key not in mapping:
        raise FormFileError(file, where, f"缺少“{key}”")
    return mapping[key]


def _values(spec: dict[str, Any], file: str, where: str) -> tuple[tuple[str, str], ...]:
    raw = _require(spec, "values", file, where)
    if not isinstance(raw, dict) or not raw:
        raise FormFileError(file, where, "“values”应为非空的“代码: 名称”映射")
    return tuple((str(code), str(label)) for code, label in raw.items())


def _flat(name: str, spec: Any, file: str, profile_name: str) -> Attribute:
    if not isinstance(spec, dict):
        raise FormFileError(file, name, "属性定义应为映射")
    kind = _require(spec, "type", file, name)
    label = str(_require(spec, "label", file, name))
    if kind not in _SIMPLE_KINDS:
        raise FormFileError(file, name, f"未知类型“{kind}”")
    values: tuple[tuple[str, str], ...] = ()
    minimum = maximum = None
    labels: dict[int, str] = {}
    if kind in ("enum", "set"):
        values = _values(spec, file, name)
    if kind == "int":
        minimum, maximum = spec.get("min"), spec.get("max")
        if not isinstance(minimum, int) or not isinstance(maximum, int) or minimum > maximum:
            raise FormFileError(file, name, "整数属性须给出 min ≤ max")
        labels = {int(k): str(v) for k, v in (spec.get("value_labels") or {}).items()}
    if kind == "age":
        profile_name = str(_require(spec, "from", file, name))
    empty = spec.get("empty")
    if empty not in (None, "unknown") or (empty is not None and kind != "set"):
        raise FormFileError(file, name, "“empty”只能用于集合属性，取值 unknown")
    known: frozenset[str] = frozenset()
    if spec.get("codes") is not None:
        if kind != "division" or spec["codes"] != "county":
            raise FormFileError(file, name, "“codes”只能用于区划代码属性，取值 county")
        known = county_codes()
    return Attribute(
        name,
        kind,
        label,
        profile_name,
        values,
        minimum,
        maximum,
        labels,
        str(spec.get("role", "rule")),
        empty == "unknown",
        known,
    )


def _record(name: str, spec: dict[str, Any], file: str) -> tuple[Record, list[Attribute]]:
    label = str(_require(spec, "label", file, name))
    none = _require(spec, "none", file, name)
    fields = _require(spec, "fields", file, name)
    if not isinstance(fields, dict) or not fields:
        raise FormFileError(file, name, "“fields”应为非空映射")
    held = f"{name}.held"
    attrs = [Attribute(held, "bool", str(_require(spec, "held_label", file, name)), name)]
    for field_name, field_spec in fields.items():
        attrs.append(_flat(f"{name}.{field_name}", field_spec, file, name))
    record = Record(
        name,
        label,
        str(_require(none, "code", file, name)),
        str(_require(none, "label", file, name)),
        held,
        tuple(a.name for a in attrs[1:]),
    )
    return record, attrs


def load_vocabulary(path: Path | None = None) -> Vocabulary:
    """Load and validate the vocabulary file (default: the bundled one).

    Raises :class:`FormFileError` naming the file, the key and the reason when it is
    malformed.
    """
    path = path or default_vocabulary_path()
    file = str(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise FormFileError(file, "", f"无法读取词表文件：{exc}") from exc
    if not isinstance(data, dict) or data.get("kind") != "vocabulary":
        raise FormFileError(file, "kind", "不是属性词表文件（kind 应为 vocabulary）")
    attributes: dict[str, Attribute] = {}
    records: dict[str, Record] = {}
    profile_keys: list[str] = []
    for name, spec in (_require(data, "attributes", file, "attributes") or {}).items():
        name = str(name)
        if isinstance(spec, dict) and spec.get("type") == "record":
            record, attrs = _record(name, spec, file)
            records[name] = record
            attributes.update((a.name, a) for a in attrs)
            profile_keys.append(name)
            continue
        attribute = _flat(name, spec, file, name)
        attributes[name] = attribute
        if attribute.kind != "age":
            profile_keys.append(name)
    for attribute in attributes.values():
        if attribute.kind == "age" and attribute.profile_name not in attributes:
            raise FormFileError(file, attribute.name, f"未知来源属性“{attribute.profile_name}”")
    predicates = {
        str(name): PredicateSource(
            str(name),
            str(_require(spec, "label", file, f"predicates.{name}")),
            str(_require(spec, "expr", file, f"predicates.{name}")),
        )
        for name, spec in (data.get("predicates") or {}).items()
    }
    settings_raw = data.get("settings") or {}
    settings = {
        str(k): str(_require(v, "type", file, f"settings.{k}")) for k, v in settings_raw.items()
    }
    setting_labels = {str(k): str(v.get("label", k)) for k, v in settings_raw.items()}
    defaults = {
        str(k): _setting_default(str(k), settings[str(k)], v["default"], file)
        for k, v in settings_raw.items()
        if "default" in v
    }
    service_types = tuple(str(t) for t in data.get("service_types") or ())
    return Vocabulary(
        file,
        attributes,
        records,
        tuple(profile_keys),
        predicates,
        settings,
        setting_labels,
        service_types,
        defaults,
    )


def _setting_default(name: str, kind: str, value: Any, file: str) -> int | bool | frozenset[int]:
    """Check a setting's default against its type."""
    if kind == "bool" and isinstance(value, bool):
        return value
    if kind == "int" and isinstance(value, int) and not isinstance(value, bool):
        return value
    if kind == "int_set" and isinstance(value, list) and all(
        isinstance(v, int) and not isinstance(v, bool) for v in value
    ):
        return frozenset(value)
    raise FormFileError(file, f"settings.{name}", f"默认值与类型 {kind} 不符")
