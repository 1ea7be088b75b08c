"""Typed rule trees: atoms over one attribute, predicates, and Kleene connectives.

A rule, once resolved against the vocabulary and a list's settings, is a tree of these frozen
nodes. Each node has a ``key`` naming it structurally, so the same condition appearing in
many items (or in a predicate used by many items) is evaluated once, per person and in the
batch. An :class:`Atom` knows its own three-valued meaning for one value (:meth:`Atom.truth`);
the batch engine applies that same method to every distinct value of a column, so both
engines agree by construction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from assessment.eligibility.values import (
    ABSENT,
    FALSE,
    TRUE,
    UNKNOWN,
    Truth,
    Value,
    truth_of,
)

Operand = int | bool | str | frozenset[str] | frozenset[int]

#: Operators whose truth on an absent certificate field is TRUE (all others are FALSE).
_TRUE_WHEN_ABSENT = frozenset({"ne", "not_in"})
_NUMERIC = {"lt": "<", "le": "<=", "gt": ">", "ge": ">="}


def _compare(op: str, value: int, operand: int) -> bool:
    if op == "lt":
        return value < operand
    if op == "le":
        return value <= operand
    if op == "gt":
        return value > operand
    return value >= operand


@dataclass(frozen=True, slots=True)
class Atom:
    """One condition on one flat attribute, e.g. ``age >= 80`` or ``living == {独居}``.

    ``op`` is one of: lt le gt ge eq ne in not_in contains not_contains empty not_empty
    set_eq subset true within. ``operand_label`` is the Chinese display of the right-hand side.
    """

    attribute: str
    op: str
    operand: Operand | None
    operand_label: str = ""
    key: str = field(init=False, compare=False)

    def __post_init__(self) -> None:
        operand = self.operand
        shown = sorted(map(str, operand)) if isinstance(operand, frozenset) else operand
        object.__setattr__(self, "key", f"{self.attribute} {self.op} {shown!r}")

    def truth(self, value: Value) -> Truth:
        """Return this condition's truth for one attribute value (None = unknown)."""
        if value is None:
            return UNKNOWN
        if value is ABSENT:
            return TRUE if self.op in _TRUE_WHEN_ABSENT else FALSE
        op, operand = self.op, self.operand
        if op in _NUMERIC:
            assert isinstance(value, int)
            assert isinstance(operand, int)
            return truth_of(_compare(op, value, operand))
        if op == "eq":
            return truth_of(value == operand)
        if op == "ne":
            return truth_of(value != operand)
        if op in ("in", "not_in"):
            assert isinstance(operand, frozenset)
            return truth_of((value in operand) == (op == "in"))
        if op == "true":
            return truth_of(value is True)
        if op == "within":
            assert isinstance(value, str)
            assert isinstance(operand, str)
            return truth_of(value.startswith(operand))
        assert isinstance(value, frozenset)
        if op in ("contains", "not_contains"):
            return truth_of((operand in value) == (op == "contains"))
        if op in ("empty", "not_empty"):
            return truth_of((not value) == (op == "empty"))
        if op == "subset":
            assert isinstance(operand, frozenset)
            return truth_of(value <= operand)
        return truth_of(value == operand)  # set_eq


@dataclass(frozen=True, slots=True)
class PredicateRef:
    """A derived predicate (``econ_hardship``) used in a rule: shown as one condition.

    ``leaves`` are the flat attributes its body reads, in order; its explanation line lists
    their values.
    """

    name: str
    label: str
    body: RuleNode
    leaves: tuple[str, ...]
    key: str = field(init=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", f"<{self.name}:{self.body.key}>")


@dataclass(frozen=True, slots=True)
class Setting:
    """A yes/no setting of the list version used as a condition (a county option).

    Its truth is fixed per list version; it is shown as its own explanation line.
    """

    name: str
    label: str
    value: bool
    key: str = field(init=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", f"settings.{self.name}={self.value}")

    @property
    def truth(self) -> Truth:
        """TRUE or FALSE."""
        return truth_of(self.value)


@dataclass(frozen=True, slots=True)
class AllOf:
    """Kleene conjunction."""

    items: tuple[RuleNode, ...]
    key: str = field(init=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", "(" + " & ".join(i.key for i in self.items) + ")")


@dataclass(frozen=True, slots=True)
class AnyOf:
    """Kleene disjunction."""

    items: tuple[RuleNode, ...]
    key: str = field(init=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", "(" + " | ".join(i.key for i in self.items) + ")")


@dataclass(frozen=True, slots=True)
class Negation:
    """Kleene negation."""

    item: RuleNode
    key: str = field(init=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", f"!{self.item.key}")


RuleNode = Atom | PredicateRef | Setting | AllOf | AnyOf | Negation

#: A condition shown on its own explanation line.
Condition = Atom | PredicateRef | Setting


def conditions_of(node: RuleNode) -> list[Condition]:
    """Return the conditions of a rule in order of first appearance, each once.

    Predicates count as one condition (their inner atoms are not listed separately).
    """
    found: dict[str, Condition] = {}

    def walk(n: RuleNode) -> None:
        if isinstance(n, Atom | PredicateRef | Setting):
            found.setdefault(n.key, n)
        elif isinstance(n, Negation):
            walk(n.item)
        else:
            for item in n.items:
                walk(item)

    walk(node)
    return list(found.values())


def leaves_of(node: RuleNode) -> tuple[str, ...]:
    """Return the flat attributes a rule reads (through predicates too), in order."""
    seen: dict[str, None] = {}

    def walk(n: RuleNode) -> None:
        if isinstance(n, Atom):
            seen.setdefault(n.attribute, None)
        elif isinstance(n, PredicateRef):
            walk(n.body)
        elif isinstance(n, Negation):
            walk(n.item)
        elif not isinstance(n, Setting):
            for item in n.items:
                walk(item)

    walk(node)
    return tuple(seen)


@dataclass(frozen=True, slots=True)
class Period:
    """An effective period; ``end`` None means open-ended. Both ends are inclusive."""

    start: dt.date | None
    end: dt.date | None

    def contains(self, day: dt.date) -> bool:
        """Whether ``day`` lies in the period."""
        return (self.start is None or self.start <= day) and (self.end is None or day <= self.end)
