"""Per-person matching: three-valued evaluation of every item, with reasons and missing data.

An item is ``eligible`` when every condition holds, ``not_eligible`` when one required
condition is false, and ``undetermined`` otherwise; then ``missing`` names the profile
attributes whose absence keeps it open — only those that matter: in ``A or B`` with A true,
an unknown B is not missing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from assessment.eligibility.explain import atom_line, predicate_line, setting_line
from assessment.eligibility.plan import RESULT_NAMES, ItemPlan, MatchPlan
from assessment.eligibility.profile import Profile
from assessment.eligibility.rules import AllOf, Atom, Negation, PredicateRef, RuleNode, Setting
from assessment.eligibility.values import FALSE, TRUE, UNKNOWN, Truth, Value, age_on


@dataclass(frozen=True, slots=True)
class ItemResult:
    """The outcome of one item for one person, with its explanation."""

    id: str
    name: str
    list: str
    type: str
    result: str
    reasons: tuple[str, ...]
    missing: tuple[str, ...]
    standard: str
    provisional: bool

    def to_json(self) -> dict[str, Any]:
        """The item object of the ``yinling match`` output."""
        return {
            "id": self.id,
            "name": self.name,
            "result": self.result,
            "reasons": list(self.reasons),
            "missing": list(self.missing),
            "type": self.type,
            "standard": self.standard,
            "list": self.list,
            "provisional": self.provisional,
        }


@dataclass(frozen=True, slots=True)
class MatchResult:
    """Every applicable item of every list in force, for one person on one date."""

    as_of: dt.date
    list: str
    lists: tuple[str, ...]
    items: tuple[ItemResult, ...]

    def item(self, item_id: str) -> ItemResult:
        """The result of one item by id (``KeyError`` if it does not apply)."""
        for result in self.items:
            if result.id == item_id:
                return result
        raise KeyError(item_id)

    def to_json(self) -> dict[str, Any]:
        """The object printed by ``yinling match`` for one profile."""
        return {
            "as_of": self.as_of.isoformat(),
            "list": self.list,
            "lists": list(self.lists),
            "items": [item.to_json() for item in self.items],
        }


class PersonEnv:
    """One person's attribute values on the plan's date, with memoized truth per node."""

    def __init__(self, plan: MatchPlan, values: dict[str, Value]) -> None:
        self.plan = plan
        self.values = values
        self.truths: dict[str, Truth] = {}

    def value(self, name: str) -> Value:
        """The value of a flat attribute (ages computed on the as-of date)."""
        if name in self.values:
            return self.values[name]
        attr = self.plan.vocabulary.attributes[name]
        if attr.kind == "age":
            born = self.values.get(attr.profile_name)
            return age_on(born, self.plan.as_of) if isinstance(born, dt.date) else None
        return self.values.get(name)

    def truth(self, node: RuleNode) -> Truth:
        """Kleene truth of a rule node."""
        known = self.truths.get(node.key)
        if known is not None:
            return known
        if isinstance(node, Atom):
            result = node.truth(self.value(node.attribute))
        elif isinstance(node, PredicateRef):
            result = self.truth(node.body)
        elif isinstance(node, Setting):
            result = node.truth
        elif isinstance(node, Negation):
            result = TRUE - self.truth(node.item)
        elif isinstance(node, AllOf):
            result = min(self.truth(i) for i in node.items)
        else:
            result = max(self.truth(i) for i in node.items)
        self.truths[node.key] = result
        return result

    def missing(self, node: RuleNode, out: set[str]) -> None:
        """Add the profile attributes that keep an unknown ``node`` unknown."""
        if self.truth(node) != UNKNOWN:
            return
        if isinstance(node, Atom):
            out.add(self.plan.vocabulary.attributes[node.attribute].profile_name)
        elif isinstance(node, PredicateRef):
            self.missing(node.body, out)
        elif isinstance(node, Negation):
            self.missing(node.item, out)
        elif not isinstance(node, Setting):
            for item in node.items:
                self.missing(item, out)


def evaluate_item(env: PersonEnv, plan: ItemPlan) -> ItemResult | None:
    """Evaluate one item; ``None`` when its list does not apply to the person (scope false)."""
    vocabulary = env.plan.vocabulary
    lines: list[str] = []
    truth = plan.in_period
    if plan.scope is not None:
        scope = env.truth(plan.scope)
        if scope == FALSE:
            return None
        lines.append(atom_line(vocabulary, plan.scope, env.value(plan.scope.attribute), scope))
        truth = min(truth, scope)
    lines.extend(plan.period_lines)
    truth = min(truth, env.truth(plan.rule))
    for condition in plan.conditions:
        outcome = env.truth(condition)
        if isinstance(condition, Atom):
            lines.append(atom_line(vocabulary, condition, env.value(condition.attribute), outcome))
        elif isinstance(condition, Setting):
            lines.append(setting_line(condition))
        else:
            lines.append(predicate_line(vocabulary, condition, env.value, outcome))
    lines.append(plan.source_line)
    missing: set[str] = set()
    if truth == UNKNOWN:
        if plan.scope is not None:
            env.missing(plan.scope, missing)
        env.missing(plan.rule, missing)
    order = env.plan.missing_order
    item = plan.item
    standard = item.standard.text()
    if truth == TRUE and item.standard.tiers:
        standard = next(
            (t.text() for t in item.standard.tiers if env.truth(t.when) == TRUE), standard
        )
    return ItemResult(
        item.id,
        item.name,
        plan.list_ref,
        item.type,
        RESULT_NAMES[truth],
        tuple(lines),
        tuple(sorted(missing, key=order.__getitem__)),
        standard,
        plan.service_list.provisional,
    )


def evaluate_profile(plan: MatchPlan, profile: Profile) -> MatchResult:
    """Match one validated profile against a plan."""
    env = PersonEnv(plan, dict(profile.values))
    items = tuple(r for p in plan.items if (r := evaluate_item(env, p)) is not None)
    applied = tuple(dict.fromkeys(r.list for r in items))
    return MatchResult(plan.as_of, plan.primary_ref, applied, items)
