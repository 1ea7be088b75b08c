"""Candidates for "the same person registered twice" (pure functions over registry rows).

Two records may be one person when they have the same name pinyin (张三 and 章三 read alike)
and the same birth date, within a township at registration and across townships at the
county, or when they carry the 15- and 18-digit forms of one ID number (or, at the county,
the same number registered by two laptops offline). A candidate is shown, never acted on:
merging is a decision of the county (:mod:`server.registry`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple

from assessment.errors import Problem
from assessment.identity import parse_resident_id

SAME_NUMBER = "same_number"
LEGACY_NUMBER = "legacy_number"
SAME_NAME_BIRTH = "same_name_birth"
REASON_TEXT = {SAME_NUMBER: "公民身份号码相同",
               LEGACY_NUMBER: "15 位旧号码与 18 位号码为同一号码",
               SAME_NAME_BIRTH: "姓名读音和出生日期相同"}


class Person(NamedTuple):
    """One registered elder, as far as duplicate finding reads it."""

    elder_id: str
    name: str
    name_pinyin: str
    id_number: str | None
    birth_date: date | None
    township: str | None
    village: str | None


@dataclass(frozen=True, slots=True)
class Candidate:
    """A registered elder that may be the person being registered, and why."""

    elder_id: str
    name: str
    id_number: str | None
    birth_date: date | None
    township: str | None
    village: str | None
    reason: str

    def reason_text(self) -> str:
        """The reason in Chinese."""
        return REASON_TEXT.get(self.reason, self.reason)


@dataclass(frozen=True, slots=True)
class Pair:
    """Two records that may be one person (``first`` < ``second`` by elder id)."""

    first: Person
    second: Person
    reason: str

    def to_json(self) -> dict[str, Any]:
        """The ``yinling registry duplicates --json`` form."""
        def one(p: Person) -> dict[str, Any]:
            return {"elder_id": p.elder_id, "name": p.name, "id_number": p.id_number,
                    "birth_date": p.birth_date.isoformat() if p.birth_date else None,
                    "township": p.township, "village": p.village}
        return {"reason": self.reason, "reason_text": REASON_TEXT[self.reason],
                "first": one(self.first), "second": one(self.second)}


def pinyin_of(name_pinyin: str) -> str:
    """The reading part of a stored ``name_pinyin`` (without the characters)."""
    return name_pinyin.split("\t", 1)[0]


def candidates_for(elder_id: str | None, name_pinyin: str, id_number: str | None,
                   birth: date | None, township: str | None,
                   people: Iterable[Person]) -> list[Candidate]:
    """The registered people who may be the one being registered (itself excluded):
    ``name_pinyin`` is the stored form of the new name (the roster's sort key),
    ``id_number`` as typed (15 or 18 digits)."""
    number: str | None = None
    legacy = False
    if id_number:
        parsed = parse_resident_id(id_number)
        if not isinstance(parsed, Problem):
            number = parsed.number
            birth = birth or parsed.birth_date
            legacy = len(id_number.strip()) == 15
    reading = pinyin_of(name_pinyin)
    township = (township or "").strip() or None
    found: list[Candidate] = []
    for person in people:
        if person.elder_id == elder_id:
            continue
        reason: str | None = None
        if number is not None and person.id_number == number:
            reason = LEGACY_NUMBER if legacy else SAME_NUMBER
        elif reading and birth is not None and person.birth_date == birth and \
                pinyin_of(person.name_pinyin) == reading and \
                (township is None or person.township in (None, township)):
            reason = SAME_NAME_BIRTH
        if reason is not None:
            found.append(Candidate(person.elder_id, person.name, person.id_number,
                                   person.birth_date, person.township, person.village, reason))
    return found


def find_pairs(people: Sequence[Person], *, across_townships: bool = False) -> list[Pair]:
    """Pairs that may be one person: the same ID number, or the same name pinyin and birth
    date (within one township unless ``across_townships``)."""
    groups: dict[tuple[Any, ...], list[Person]] = {}
    for person in people:
        if person.id_number:
            groups.setdefault((SAME_NUMBER, person.id_number), []).append(person)
        if person.birth_date is not None:
            key: tuple[Any, ...] = (SAME_NAME_BIRTH, pinyin_of(person.name_pinyin),
                                    person.birth_date)
            if not across_townships:
                key += (person.township,)
            groups.setdefault(key, []).append(person)
    pairs: dict[tuple[str, str], Pair] = {}
    for key, members in groups.items():
        if len(members) < 2:
            continue
        members = sorted(members, key=lambda p: p.elder_id)
        for i, first in enumerate(members):
            for second in members[i + 1:]:
                ids = (first.elder_id, second.elder_id)
                if ids not in pairs or key[0] == SAME_NUMBER:
                    pairs[ids] = Pair(first, second, str(key[0]))
    return sorted(pairs.values(), key=lambda p: (p.first.name_pinyin, p.first.elder_id,
                                                 p.second.elder_id))
