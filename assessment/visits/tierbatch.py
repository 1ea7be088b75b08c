"""Every elder's tier in one pass: the plan's tier rules on the vectorised eligibility engine.

The same rule trees and the same three-valued semantics as :class:`~.tiers.TierCalculator`
(a property test checks row by row that both agree), evaluated by
:class:`assessment.eligibility.batch.BatchEnv` over a registry frame: each tier rule once for
all rows, the attributes to ask about as bit-packed row masks.

The frame is built column by column from the stored attributes: each distinct value of an
attribute is validated once, and the birth dates go in as one date column. As in the
per-person calculator, a stored value the vocabulary no longer accepts counts as unknown for
that elder instead of failing the whole plan. Nothing is cached: the tiers follow the attributes,
grades and registry status as they are when the plan is asked for.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from assessment.eligibility.batch import BatchEnv
from assessment.eligibility.explain import missing_labels
from assessment.eligibility.plan import MatchPlan
from assessment.eligibility.profile import parse_profile
from assessment.eligibility.rules import AllOf, AnyOf, Atom, Negation, PredicateRef, RuleNode
from assessment.eligibility.values import ABSENT, TRUE, UNKNOWN, Value
from assessment.eligibility.vocabulary import Vocabulary
from assessment.errors import InputRejected
from assessment.visits.plan import VisitPlan
from assessment.visits.tiers import TierResult

NO_TIER = -1


def _flat_values(key: str, value: Any, vocabulary: Vocabulary) -> dict[str, Value]:
    """The flat attribute values of one stored profile value (a record such as the
    disability certificate gives several); empty when the vocabulary refuses it, so a bad
    stored value counts as unknown for that elder, as in the per-person calculator."""
    try:
        values = parse_profile({key: value}, vocabulary).values
    except InputRejected:
        return {}
    return {name: (None if v is ABSENT else v) for name, v in values.items()}


def _token(value: Any) -> Any:
    """A hashable stand-in for a stored value (``True`` and ``1`` kept apart)."""
    kind = type(value)
    if kind is str or kind is int or kind is bool or kind is float:
        return (kind, value)
    if kind is list and all(type(v) is str for v in value):
        return (list, tuple(value))
    return (dict, json.dumps(value, sort_keys=True, ensure_ascii=False, default=str))


def read_keys(plan: VisitPlan) -> frozenset[str]:
    """The profile attributes the plan's tier rules read (the only columns built)."""
    attributes = plan.vocabulary.attributes
    found: set[str] = set()

    def walk(node: RuleNode) -> None:
        if isinstance(node, Atom):
            found.add(attributes[node.attribute].profile_name)
        elif isinstance(node, PredicateRef):
            walk(node.body)
        elif isinstance(node, Negation):
            walk(node.item)
        elif isinstance(node, AllOf | AnyOf):
            for item in node.items:
                walk(item)

    for tier in plan.tiers:
        walk(tier.rule)
    return frozenset(found)


def _birth_days(births: Sequence[Any], vocabulary: Vocabulary,
                as_of: dt.date) -> npt.NDArray[np.datetime64]:
    """Birth dates as ``datetime64[D]``, each distinct one checked as the profile checks it
    (NaT when unknown or refused). A date after ``as_of`` is taken as ``as_of`` (age 0):
    the per-person engine's negative age fails every age rule the same way, where the frame
    engine would refuse the whole frame."""
    checked: dict[Any, Any] = {}
    days: list[Any] = []
    for value in births:
        if value is None:
            days.append(None)
            continue
        token = _token(value)
        if token not in checked:
            checked[token] = _flat_values("birth_date", value, vocabulary).get("birth_date")
        days.append(checked[token])
    column = np.array([np.datetime64(d.isoformat(), "D") if isinstance(d, dt.date)
                       else np.datetime64("NaT", "D") for d in days], dtype="datetime64[D]")
    limit = np.datetime64(as_of.isoformat(), "D")
    column[~np.isnat(column) & (column > limit)] = limit
    return column


def tier_frame(profiles: Sequence[Mapping[str, Any]], vocabulary: Vocabulary,
               as_of: dt.date, keys: frozenset[str] | None = None) -> pd.DataFrame:
    """The registry frame of stored-form profiles (``birth_date`` as ``YYYY-MM-DD`` text),
    of the profile attributes in ``keys`` (all when None; see :func:`read_keys`).

    Built column by column: each distinct value of an attribute is validated once
    (:func:`parse_profile` checks every key on its own, so this is the per-person check)."""
    n = len(profiles)
    wanted = vocabulary.profile_keys if keys is None else keys
    names = [a.name for a in vocabulary.attributes.values()
             if a.kind != "age" and a.profile_name in wanted]
    columns: dict[str, list[Value]] = {}
    for key in vocabulary.profile_keys:
        if key == "birth_date" or key not in wanted:
            continue
        parsed: dict[Any, dict[str, Value]] = {}
        for row, value in enumerate([data.get(key) for data in profiles]):
            if value is None:
                continue
            token = _token(value)
            flat = parsed.get(token)
            if flat is None:
                flat = parsed[token] = _flat_values(key, value, vocabulary)
            for name, converted in flat.items():
                column = columns.get(name)
                if column is None:
                    column = columns[name] = [None] * n
                column[row] = converted
    frame = pd.DataFrame({name: columns.get(name, [None] * n) for name in names},
                         columns=names, dtype=object)
    if "birth_date" in wanted:
        births = [data.get("birth_date") for data in profiles]
        frame["birth_date"] = _birth_days(births, vocabulary, as_of).astype("datetime64[s]")
    return frame


@dataclass(frozen=True, slots=True)
class TierColumns:
    """Tiers of a whole frame: ``index`` the tier's position in the plan (-1 none), whether
    undetermined, and per row the code of its combination of attributes to ask about."""

    plan: VisitPlan
    index: npt.NDArray[np.intp]
    undetermined: npt.NDArray[np.bool_]
    ask_codes: npt.NDArray[np.intp]
    ask_labels: tuple[tuple[str, ...], ...]

    def __len__(self) -> int:
        return len(self.index)

    def result(self, row: int) -> TierResult:
        """Row ``row`` as the per-person calculator answers it."""
        number = int(self.index[row])
        tier = self.plan.tiers[number] if number != NO_TIER else None
        return TierResult(tier, bool(self.undetermined[row]),
                          self.ask_labels[int(self.ask_codes[row])])

    @property
    def in_plan(self) -> npt.NDArray[np.bool_]:
        """Rows to visit (a tier, or possibly one)."""
        in_plan: npt.NDArray[np.bool_] = (self.index != NO_TIER) | self.undetermined
        return in_plan


def batch_tiers(plan: VisitPlan, as_of: dt.date, frame: pd.DataFrame) -> TierColumns:
    """Every row's tier on ``as_of``: the first tier whose rule holds; the attributes that
    keep an earlier tier unknown are the ones to ask about; no tier true but one unknown
    → undetermined (待核实)."""
    vocabulary = plan.vocabulary
    order = {n: i for i, n in enumerate(vocabulary.profile_keys)}
    env = BatchEnv(MatchPlan(as_of, vocabulary, (), (), order), frame)
    n = len(frame)
    index = np.full(n, NO_TIER, dtype=np.intp)
    decided = np.zeros(n, dtype=np.bool_)
    found: dict[str, npt.NDArray[np.uint8]] = {}
    for number, tier in enumerate(plan.tiers):
        truth = env.truth(tier.rule)
        open_rows = (truth == UNKNOWN) & ~decided
        if open_rows.any():
            env.missing(tier.rule, np.packbits(open_rows), found)
        hit = (truth == TRUE) & ~decided
        index[hit] = number
        decided |= hit
    names = sorted(found, key=lambda name: order.get(name, len(order)))
    combination = np.zeros(n, dtype=np.int64)
    for bit, name in enumerate(names):
        rows = np.unpackbits(found[name], count=n).astype(bool)
        combination[rows] |= np.int64(1) << bit
    present, ask_codes = np.unique(combination, return_inverse=True)
    ask_labels = tuple(
        missing_labels(vocabulary, tuple(name for bit, name in enumerate(names)
                                         if int(value) >> bit & 1))
        for value in present)
    undetermined = (index == NO_TIER) & (combination != 0)
    return TierColumns(plan, index, undetermined, ask_codes.astype(np.intp).reshape(n),
                       ask_labels)
