"""A match plan: the items to evaluate on an as-of date, with everything date-dependent fixed.

Both engines work from the same plan: which list versions are in force, each item's scope
condition (city lists), whether the list and the item are in their effective periods, the
ordered conditions that make up its explanation, and the citation line. Building it does not
look at any person.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from assessment.eligibility.explain import period_line, source_line
from assessment.eligibility.listfiles import Item, ServiceList
from assessment.eligibility.registry import ListRegistry
from assessment.eligibility.rules import Atom, Condition, RuleNode, conditions_of
from assessment.eligibility.values import FALSE, TRUE, UNKNOWN, Truth
from assessment.eligibility.vocabulary import Vocabulary

RESULT_NAMES = {TRUE: "eligible", FALSE: "not_eligible", UNKNOWN: "undetermined"}
RESULT_LABELS = {"eligible": "符合", "not_eligible": "不符合", "undetermined": "待核实"}


@dataclass(frozen=True, slots=True)
class ItemPlan:
    """One item as evaluated on the plan's date.

    ``in_period`` is FALSE when the list or the item is outside its effective period (the
    item then cannot match); ``period_lines`` explain that. ``scope`` is the residence
    condition of a city list: where it is false the item does not apply and is left out.
    """

    service_list: ServiceList
    item: Item
    scope: Atom | None
    in_period: Truth
    period_lines: tuple[str, ...]
    rule: RuleNode
    conditions: tuple[Condition, ...]
    source_line: str

    @property
    def list_ref(self) -> str:
        """``<list>@<version>`` of the item's list."""
        return self.service_list.ref


@dataclass(frozen=True, slots=True)
class MatchPlan:
    """All items of all lists in force on ``as_of``."""

    as_of: dt.date
    vocabulary: Vocabulary
    lists: tuple[ServiceList, ...]
    items: tuple[ItemPlan, ...]
    missing_order: dict[str, int]

    @property
    def primary_ref(self) -> str:
        """The provincial (unscoped) list's ``<list>@<version>``, named as ``"list"``."""
        for version in self.lists:
            if version.scope is None:
                return version.ref
        return self.lists[0].ref if self.lists else ""


def _item_plan(version: ServiceList, item: Item, as_of: dt.date) -> ItemPlan:
    lines: list[str] = []
    in_period = TRUE
    if not version.period.contains(as_of):
        lines.append(period_line(version.period, as_of, list_title=version.title))
        in_period = FALSE
    if item.period is not None:
        lines.append(period_line(item.period, as_of))
        if not item.period.contains(as_of):
            in_period = FALSE
    return ItemPlan(
        version,
        item,
        version.scope.atom if version.scope else None,
        in_period,
        tuple(lines),
        item.rule,
        _conditions(item),
        source_line(item.source, item.quote, provisional=version.provisional),
    )


def _conditions(item: Item) -> tuple[Condition, ...]:
    """The rule's conditions, then those of its priority order (shown, never deciding)."""
    found = {c.key: c for c in conditions_of(item.rule)}
    if item.priority is not None:
        for condition in conditions_of(item.priority):
            found.setdefault(condition.key, condition)
    return tuple(found.values())


def make_plan(registry: ListRegistry, as_of: dt.date) -> MatchPlan:
    """Plan the match of every list version in force on ``as_of``."""
    lists = registry.in_force(as_of)
    items = tuple(_item_plan(v, item, as_of) for v in lists for item in v.items)
    vocabulary = registry.vocabulary
    order = {name: n for n, name in enumerate(vocabulary.profile_keys)}
    return MatchPlan(as_of, vocabulary, lists, items, order)
