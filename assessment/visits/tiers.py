"""Which tier of the visit plan an elder is in, from the current attributes and grade.

Nothing is stored: the tier is computed whenever the plan is asked for, from the elder's
attributes, latest finalized grade and registry status as they are then — so a change of
any of them changes the tier at once. Three-valued like the lists: the elder is in the first
tier whose rule holds; an unknown rule before it means the tier may be higher (the missing
attributes are named so the visitor can ask); no rule true but one unknown → 待核实.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from assessment.eligibility.evaluate import PersonEnv
from assessment.eligibility.explain import missing_labels
from assessment.eligibility.plan import MatchPlan
from assessment.eligibility.profile import parse_profile
from assessment.eligibility.values import TRUE, UNKNOWN
from assessment.errors import InputRejected
from assessment.visits.plan import Tier, VisitPlan

UNDETERMINED = "待核实"


@dataclass(frozen=True, slots=True)
class TierResult:
    """An elder's tier (None: in no tier, or undetermined) and what would settle it."""

    tier: Tier | None
    undetermined: bool
    missing: tuple[str, ...]  # Chinese labels of the attributes to ask about

    @property
    def in_plan(self) -> bool:
        """Whether the elder is to be visited (a tier, or possibly one)."""
        return self.tier is not None or self.undetermined

    @property
    def label(self) -> str:
        """高风险 / 重点 / 一般 / 待核实 / ''."""
        if self.tier is not None:
            return self.tier.name
        return UNDETERMINED if self.undetermined else ""


class TierCalculator:
    """Computes tiers for one plan on one date."""

    def __init__(self, plan: VisitPlan, as_of: dt.date) -> None:
        self.plan = plan
        self.as_of = as_of
        vocabulary = plan.vocabulary
        self._match = MatchPlan(as_of, vocabulary, (), (),
                                {n: i for i, n in enumerate(vocabulary.profile_keys)})

    def tier_of(self, attributes: Mapping[str, Any]) -> TierResult:
        """The tier of an elder with these attributes (stored form, derived ones included).

        Attributes the vocabulary does not accept (a value stored before a vocabulary change)
        count as unknown rather than failing the whole plan.
        """
        vocabulary = self._match.vocabulary
        data = {k: v for k, v in attributes.items()
                if v is not None and k in vocabulary.profile_keys}
        try:
            profile = parse_profile(data, vocabulary)
        except InputRejected as exc:
            bad = {p.field.split(".")[0] for p in exc.problems}
            profile = parse_profile({k: v for k, v in data.items() if k not in bad}, vocabulary)
        env = PersonEnv(self._match, dict(profile.values))
        open_names: set[str] = set()
        for tier in self.plan.tiers:
            truth = env.truth(tier.rule)
            if truth == TRUE:
                return TierResult(tier, False, self._labels(open_names))
            if truth == UNKNOWN:
                env.missing(tier.rule, open_names)
        if open_names:
            return TierResult(None, True, self._labels(open_names))
        return TierResult(None, False, ())

    def _labels(self, names: set[str]) -> tuple[str, ...]:
        order = self._match.missing_order
        ordered = tuple(sorted(names, key=lambda n: order.get(n, len(order))))
        return missing_labels(self._match.vocabulary, ordered)
