"""Field-by-field merge of elder profiles, the one rule the server and every laptop apply.

An elder change carries the whole profile (``name``, ``id_number``, … ``info``, ``attributes``)
and, ideally, ``changed``: the field paths this version changed. Nested mappings flatten into
paths (``info.A.2.4``, ``attributes.capability_grade``). For each changed field the write with
the greater (hybrid clock, device id) wins, so every node that sees the same changes ends with
the same profile whatever the order of arrival. When two devices changed one field without
having seen each other's value (the field's current version is not older than the incoming
version) and the values differ, the losing value is kept in a :class:`FieldConflict`; grade,
score and service-list attribute fields are always marked for the county's review.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

# Top-level scalar fields of an elder profile payload.
PROFILE_FIELDS = ("name", "id_number", "sex", "birth_date", "township", "village", "address",
                  "phone")
# ``provenance``: where each service-list attribute came from (assessment.registry.plan).
NESTED_FIELDS = ("info", "attributes", "provenance")
# Keys of an elder payload that describe the record or the change rather than the person
# (``county``: the mark of a change the county authored, see assessment.wire.countydevice).
META_KEYS = frozenset({"changed", "id", "version", "county"})


class FieldState(NamedTuple):
    """The current value of one field and the write that set it (a named tuple: a profile
    has dozens of fields and a county merges hundreds of thousands of profiles; a frozen
    dataclass cost ten times as much to make)."""

    value: Any
    hlc: int
    device_id: str
    version: int

    def key(self) -> tuple[int, str]:
        """The order in which concurrent writes win."""
        return self.hlc, self.device_id


@dataclass(frozen=True, slots=True)
class FieldConflict:
    """Two concurrent writes of one field with different values: the loser is kept here."""

    field: str
    winner: FieldState
    loser: FieldState
    review_required: bool


@dataclass(frozen=True, slots=True)
class MergeResult:
    """The merged field states, which fields now hold a new value, and the conflicts found."""

    fields: dict[str, FieldState]
    updated: frozenset[str]
    conflicts: tuple[FieldConflict, ...]


def needs_review(path: str) -> bool:
    """True for fields whose conflicts always go to the county: grades, scores, list attributes."""
    lowered = path.lower()
    return path.startswith("attributes.") or "grade" in lowered or "score" in lowered


def flatten(payload: Mapping[str, Any]) -> dict[str, Any]:
    """Profile payload → {field path: value}; nested mappings become ``info.<key>`` paths."""
    flat: dict[str, Any] = {}
    for key, value in payload.items():
        if key in META_KEYS:
            continue
        if key in NESTED_FIELDS and isinstance(value, Mapping):
            for sub, sub_value in value.items():
                flat[f"{key}.{sub}"] = sub_value
        else:
            flat[key] = value
    return flat


def unflatten(flat: Mapping[str, Any]) -> dict[str, Any]:
    """Inverse of :func:`flatten`: {field path: value} → profile payload."""
    # ``provenance`` appears only once some attribute has one (older payloads stay as they were).
    out: dict[str, Any] = {name: {} for name in NESTED_FIELDS if name != "provenance"}
    for path, value in flat.items():
        head, dot, rest = path.partition(".")
        if dot and head in NESTED_FIELDS:
            out.setdefault(head, {})[rest] = value
        else:
            out[path] = value
    return out


def changed_fields(payload: Mapping[str, Any], base: Mapping[str, Any] | None) -> set[str]:
    """The field paths a change claims to change, else those differing from ``base``."""
    declared = payload.get("changed")
    if isinstance(declared, list) and all(isinstance(x, str) for x in declared):
        return set(declared)
    flat = flatten(payload)
    if base is None:
        return set(flat)
    old = flatten(base)
    return {k for k in set(flat) | set(old) if flat.get(k) != old.get(k)}


def merge_elder(current: Mapping[str, FieldState], payload: Mapping[str, Any],
                changed: Iterable[str], *, hlc: int, device_id: str,
                version: int) -> MergeResult:
    """Merge one elder change into the current field states (pure; see module docstring)."""
    flat = flatten(payload)
    if not current:  # a profile never seen: every changed field takes the incoming value
        fresh = {path: FieldState(flat.get(path), hlc, device_id, version)
                 for path in sorted(set(changed))}
        return MergeResult(fresh, frozenset(fresh), ())
    fields = dict(current)
    updated: set[str] = set()
    conflicts: list[FieldConflict] = []
    for path in sorted(set(changed)):
        incoming = FieldState(flat.get(path), hlc, device_id, version)
        cur = fields.get(path)
        if cur is None:
            fields[path] = incoming
            updated.add(path)
            continue
        if cur.key() == incoming.key():
            continue  # the same write again
        winner, loser = (incoming, cur) if incoming.key() > cur.key() else (cur, incoming)
        concurrent = cur.device_id != device_id and cur.version >= version
        if concurrent and cur.value != incoming.value:
            conflicts.append(FieldConflict(path, winner, loser, needs_review(path)))
        if winner is incoming:
            fields[path] = incoming
            updated.add(path)
    return MergeResult(fields, frozenset(updated), tuple(conflicts))


def snapshot(fields: Mapping[str, FieldState]) -> dict[str, Any]:
    """The merged profile payload of a set of field states."""
    return unflatten({path: state.value for path, state in fields.items()})
