"""What a roster import changes: the one decision behind the laptop's and the county's import.

:func:`plan_import` takes the checked rows of an office's roster
(:func:`assessment.registry.officefiles.read_office_file`) and the registry as it stands (one
:class:`RegistryEntry` per elder, matched by ID number) and decides, without writing:

* a row whose ID number is registered updates the kind's attribute, with its provenance
  (source, as-of date, import id, kind) beside it, unless the value is already that;
* an imported value replaces an assessor's entry only when the roster is at least as new as
  the entry (its provenance date, else the day the profile was last saved); an older roster
  that says otherwise is a *contradiction*, left for review and not applied;
* of two assistance rosters (民政) of one date the higher status is kept (特困集中 > 特困分散 >
  低保 > 低保边缘);
* someone whose value came from an earlier roster of the same kind and who is missing from
  this one loses it (the kind's cleared value), unless the row naming them was refused;
* unknown ID numbers are people to find and register (服务找人); names that differ from the
  registry are reported; elders not on the roll (deregistered, merged) are not changed.

The store applies the plan in one transaction (the laptop through its facade, the county as
its own changes); :meth:`ImportPlan.summary` is the JSON the CLI prints.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from assessment.registry.kinds import ASSISTANCE, ASSISTANCE_RANK, ImportKind
from assessment.registry.officefiles import OfficeFile

ASSESSOR_SOURCE = "评估员录入"


@dataclass(frozen=True, slots=True)
class RegistryEntry:
    """What the import needs to know of one registered elder."""

    elder_id: str
    id_number: str
    name: str
    attributes: Mapping[str, Any]
    provenance: Mapping[str, Any]
    saved_on: date | None  # the day the profile was last saved (an entry's date if unknown)
    active: bool = True
    township: str | None = None


@dataclass(frozen=True, slots=True)
class Update:
    """A new value (and its provenance) for one attribute of one elder."""

    elder_id: str
    id_number: str
    name: str
    attribute: str
    before: Any
    after: Any
    provenance: Mapping[str, Any]
    removed: bool = False  # missing from the new roster: the status is lost
    value_changed: bool = True  # False: only the provenance is refreshed


@dataclass(frozen=True, slots=True)
class Contradiction:
    """An older roster that disagrees with a newer entry: for review, not applied."""

    row: int
    elder_id: str
    id_number: str
    attribute: str
    registry: Any
    roster: Any
    entry_date: str | None

    def to_json(self) -> dict[str, Any]:
        """The summary's form."""
        return {"row": self.row, "id_number": self.id_number, "attribute": self.attribute,
                "registry": self.registry, "roster": self.roster,
                "entry_date": self.entry_date}


@dataclass(slots=True)
class ImportPlan:
    """What an import will do, and its summary."""

    import_id: str
    kind: ImportKind
    source: str
    as_of: date
    rows: int
    matched: int = 0
    unchanged: int = 0
    updates: list[Update] = field(default_factory=list)
    unknown_ids: list[dict[str, Any]] = field(default_factory=list)
    refused: list[dict[str, Any]] = field(default_factory=list)
    name_mismatches: list[dict[str, Any]] = field(default_factory=list)
    contradictions: list[Contradiction] = field(default_factory=list)
    not_on_roll: list[dict[str, Any]] = field(default_factory=list)
    newly_eligible: list[dict[str, Any]] = field(default_factory=list)

    @property
    def applicable(self) -> bool:
        """False when no row of the file could be read (nothing can be applied)."""
        return self.rows > len(self.refused)

    def summary(self, *, dry_run: bool, applied: bool) -> dict[str, Any]:
        """The JSON object ``yinling registry import`` prints (the contract's keys first)."""
        changed = [u for u in self.updates if u.value_changed and not u.removed]
        removed = [u for u in self.updates if u.removed]
        return {
            "rows": self.rows, "matched": self.matched, "updated": len(changed),
            "unchanged": self.unchanged, "removed": len(removed),
            "unknown_ids": self.unknown_ids, "refused": self.refused,
            "name_mismatches": self.name_mismatches,
            "removed_ids": [{"id_number": u.id_number, "name": u.name} for u in removed],
            "contradictions": [c.to_json() for c in self.contradictions],
            "not_on_roll": self.not_on_roll,
            "newly_eligible": self.newly_eligible,
            "import_id": self.import_id, "kind": self.kind.code, "source": self.source,
            "as_of": self.as_of.isoformat(), "dry_run": dry_run, "applied": applied,
        }


def provenance_of(plan: ImportPlan) -> dict[str, Any]:
    """The provenance every value of this import carries."""
    return {"source": plan.source, "as_of": plan.as_of.isoformat(),
            "import_id": plan.import_id, "kind": plan.kind.code}


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _entry_date(entry: RegistryEntry, attribute: str) -> date | None:
    """When the current value was stated: its provenance date, else the last save."""
    known = entry.provenance.get(attribute)
    if isinstance(known, Mapping):
        day = _day(known.get("as_of"))
        if day is not None:
            return day
    return entry.saved_on


def _keeps_higher_assistance(entry: RegistryEntry, plan: ImportPlan) -> bool:
    """An assistance status from another roster of the same or a later date that outranks
    this kind stays."""
    current = entry.attributes.get(ASSISTANCE)
    known = entry.provenance.get(ASSISTANCE)
    if not isinstance(known, Mapping) or known.get("kind") in (None, plan.kind.code):
        return False
    day = _day(known.get("as_of"))
    return day is not None and day >= plan.as_of and \
        ASSISTANCE_RANK.get(str(current), 0) > ASSISTANCE_RANK.get(plan.kind.code, 0)


def plan_import(roster: OfficeFile, registry: Iterable[RegistryEntry], *, kind: ImportKind,
                source: str, as_of: date, import_id: str) -> ImportPlan:
    """Decide what importing ``roster`` changes (see the module docstring)."""
    plan = ImportPlan(import_id, kind, source, as_of, roster.count)
    plan.refused = [r.to_json() for r in roster.refused]
    by_number = {e.id_number: e for e in registry}
    provenance = provenance_of(plan)
    attribute = kind.attribute
    listed: set[str] = {r.id_number for r in roster.rows}
    listed |= {r.id_number for r in roster.refused if r.id_number}
    for row in roster.rows:
        entry = by_number.get(row.id_number)
        if entry is None:
            plan.unknown_ids.append({"row": row.row, "id_number": row.id_number})
            continue
        plan.matched += 1
        if row.name is not None and row.name != entry.name:
            plan.name_mismatches.append({"row": row.row, "id_number": row.id_number,
                                         "registry": entry.name, "roster": row.name})
        if not entry.active:
            plan.not_on_roll.append({"row": row.row, "id_number": row.id_number})
            plan.unchanged += 1
            continue
        current = entry.attributes.get(attribute)
        if current == row.value:
            plan.unchanged += 1
            if entry.provenance.get(attribute) != provenance:
                plan.updates.append(Update(entry.elder_id, entry.id_number, entry.name,
                                           attribute, current, row.value, provenance,
                                           value_changed=False))
            continue
        if attribute == ASSISTANCE and _keeps_higher_assistance(entry, plan):
            plan.unchanged += 1
            continue
        stated = _entry_date(entry, attribute)
        if current is not None and stated is not None and stated > as_of:
            plan.contradictions.append(Contradiction(
                row.row, entry.elder_id, entry.id_number, attribute, current, row.value,
                stated.isoformat()))
            continue
        plan.updates.append(Update(entry.elder_id, entry.id_number, entry.name, attribute,
                                   current, row.value, provenance))
    for entry in by_number.values():
        if entry.id_number in listed or not entry.active:
            continue
        known = entry.provenance.get(attribute)
        if not isinstance(known, Mapping) or known.get("kind") != kind.code:
            continue
        if attribute == ASSISTANCE and entry.attributes.get(attribute) != kind.code:
            continue  # another assistance roster decided it since
        day = _day(known.get("as_of"))
        if day is not None and day > as_of:
            continue  # a newer roster of this kind listed them
        if entry.attributes.get(attribute) == kind.cleared:
            continue
        plan.updates.append(Update(entry.elder_id, entry.id_number, entry.name, attribute,
                                   entry.attributes.get(attribute), kind.cleared,
                                   {**provenance, "removed": True}, removed=True))
    plan.updates.sort(key=lambda u: u.id_number)
    return plan


def newly_eligible(before: Mapping[str, Sequence[str]], after: Mapping[str, Sequence[str]],
                   who: Mapping[str, tuple[str, str]],
                   item_names: Mapping[str, str]) -> list[dict[str, Any]]:
    """Who qualifies for items after the import that they did not before.

    ``before``/``after``: elder id → the ids of the items the elder is eligible for;
    ``who``: elder id → (ID number, name)."""
    found: list[dict[str, Any]] = []
    for elder_id, items in after.items():
        new = sorted(set(items) - set(before.get(elder_id, ())))
        if new:
            number, name = who.get(elder_id, ("", ""))
            found.append({"id_number": number, "name": name,
                          "items": [{"id": i, "name": item_names.get(i, i)} for i in new]})
    found.sort(key=lambda f: str(f["id_number"]))
    return found


def eligible_items(profile: Mapping[str, Any], as_of: date,
                   lists: Any) -> tuple[list[str], dict[str, str]]:
    """The ids of the items a profile is eligible for on ``as_of``, and the items' names
    (nothing when the engine refuses the profile)."""
    from assessment.eligibility import match_profile
    from assessment.errors import InputRejected

    data = {k: v for k, v in profile.items() if v is not None}
    try:
        result = match_profile(data, as_of, lists)
    except InputRejected:
        return [], {}
    names = {item.id: item.name for item in result.items}
    return [item.id for item in result.items if item.result == "eligible"], names


def _profile(attributes: Mapping[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    return {**attributes, **extra}


def eligibility_changes(plan: ImportPlan, entries: Mapping[str, RegistryEntry],
                        derived: Mapping[str, Mapping[str, Any]], lists: Any) -> None:
    """Fill ``plan.newly_eligible``: every updated elder matched before and after.

    ``derived``: elder id → the attributes the store derives (birth date, sex, grade)."""
    before: dict[str, list[str]] = {}
    after: dict[str, list[str]] = {}
    names: dict[str, str] = {}
    changed: dict[str, dict[str, Any]] = {}
    for update in plan.updates:
        if update.value_changed:
            changed.setdefault(update.elder_id, {})[update.attribute] = update.after
    for elder_id, values in changed.items():
        entry = entries[elder_id]
        extra = derived.get(elder_id, {})
        old, found = eligible_items(_profile(entry.attributes, extra), plan.as_of, lists)
        names.update(found)
        new, found = eligible_items(_profile({**entry.attributes, **values}, extra),
                                    plan.as_of, lists)
        names.update(found)
        before[elder_id], after[elder_id] = old, new
    who = {e: (entries[e].id_number, entries[e].name) for e in changed}
    plan.newly_eligible = newly_eligible(before, after, who, names)
