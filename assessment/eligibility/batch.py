"""Vectorized matching of a whole registry frame: the same rules, compiled to numpy.

The rule trees are the ones the per-person engine walks. Here an :class:`Atom` becomes a
lookup table over its column's distinct values (built by calling :meth:`Atom.truth` on each
value) gathered by the column's codes; ``and``/``or``/``not`` become element-wise
minimum/maximum/``2 - x`` on ``int8`` truth arrays. Every distinct condition is evaluated once
for all items. Explanation lines are built once per distinct value (atoms) or per distinct
combination of the attribute values a predicate reads, with the same functions as the
per-person engine; the missing attributes are tracked as bitmasks. The result is exactly the
per-person result, row by row (a property test checks it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import numpy as np
import numpy.typing as npt
import pandas as pd

from assessment.eligibility.batchresult import (
    NOT_APPLICABLE,
    BatchResult,
    ConditionCodes,
    ItemColumns,
    group_rows,
)
from assessment.eligibility.evaluate import PersonEnv
from assessment.eligibility.explain import atom_line, predicate_line, setting_line
from assessment.eligibility.frames import Column, check_columns, encode_column
from assessment.eligibility.plan import ItemPlan, MatchPlan, make_plan
from assessment.eligibility.registry import ListRegistry
from assessment.eligibility.rules import (
    AllOf,
    AnyOf,
    Atom,
    Condition,
    Negation,
    PredicateRef,
    RuleNode,
    Setting,
)
from assessment.eligibility.values import FALSE, TRUE, UNKNOWN, Value

Truths = npt.NDArray[np.int8]
Mask = npt.NDArray[np.bool_]
Packed = npt.NDArray[np.uint8]
#: Predicates reading fewer value combinations than this get a dense table of lines.
_DENSE_LIMIT = 1 << 16


class BatchEnv:
    """Columns and memoized truth arrays of one frame on the plan's date."""

    def __init__(self, plan: MatchPlan, frame: pd.DataFrame) -> None:
        self.plan = plan
        self.frame = frame
        self.n = len(frame)
        self.columns: dict[str, Column] = {}
        self.truths: dict[str, Truths] = {}
        self.unknowns: dict[str, Packed] = {}
        self.conditions: dict[str, ConditionCodes] = {}
        self.bits = {name: np.int64(1 << n) for n, name in enumerate(plan.vocabulary.profile_keys)}

    def column(self, name: str) -> Column:
        """The coded column of a flat attribute (encoded on first use)."""
        column = self.columns.get(name)
        if column is None:
            attr = self.plan.vocabulary.attributes[name]
            column = encode_column(self.frame, attr, self.plan.vocabulary, self.plan.as_of)
            self.columns[name] = column
        return column

    def truth(self, node: RuleNode) -> Truths:
        """Kleene truth of a node for every row (int8: 0 false, 1 unknown, 2 true)."""
        known = self.truths.get(node.key)
        if known is not None:
            return known
        if isinstance(node, Atom):
            column = self.column(node.attribute)
            table = np.array([node.truth(v) for v in column.domain], dtype=np.int8)
            result = table[column.codes]
        elif isinstance(node, PredicateRef):
            result = self.truth(node.body)
        elif isinstance(node, Setting):
            result = np.full(self.n, node.truth, dtype=np.int8)
        elif isinstance(node, Negation):
            result = (TRUE - self.truth(node.item)).astype(np.int8)
        else:
            combine = np.minimum if isinstance(node, AllOf) else np.maximum
            result = combine(self.truth(node.items[0]), self.truth(node.items[1]))
            for item in node.items[2:]:
                combine(result, self.truth(item), out=result)
        self.truths[node.key] = result
        return result

    def unknown(self, node: RuleNode) -> Packed:
        """Rows where the node is unknown, as a bit-packed mask (memoized)."""
        known = self.unknowns.get(node.key)
        if known is None:
            known = np.packbits(self.truth(node) == UNKNOWN)
            self.unknowns[node.key] = known
        return known

    def missing(self, node: RuleNode, relevant: Packed, out: dict[str, Packed]) -> None:
        """Mark in ``out`` the attributes that keep ``node`` unknown, where relevant.

        ``out`` maps profile attribute names to bit-packed row masks; ``relevant`` are the
        rows where ``node`` is unknown and its value decides the item. Packing the masks eight
        rows to a byte makes this walk cheap even over a million rows.
        """
        if isinstance(node, Atom):
            name = self.plan.vocabulary.attributes[node.attribute].profile_name
            found = out.get(name)
            out[name] = relevant if found is None else found | relevant
        elif isinstance(node, PredicateRef):
            self.missing(node.body, relevant, out)
        elif isinstance(node, Negation):
            self.missing(node.item, relevant, out)
        elif not isinstance(node, Setting):  # a setting is never unknown
            assert isinstance(node, AllOf | AnyOf)
            for item in node.items:
                child = relevant & self.unknown(item)
                if child.any():
                    self.missing(item, child, out)

    def condition(self, node: Condition) -> ConditionCodes:
        """Explanation line codes of one condition (memoized)."""
        found = self.conditions.get(node.key)
        if found is None:
            if isinstance(node, Atom):
                found = self._atom_lines(node)
            elif isinstance(node, Setting):
                found = ConditionCodes(np.zeros(self.n, dtype=np.intp), (setting_line(node),))
            else:
                found = self._predicate_lines(node)
            self.conditions[node.key] = found
        return found

    def _atom_lines(self, atom: Atom) -> ConditionCodes:
        column = self.column(atom.attribute)
        vocabulary = self.plan.vocabulary
        lines = tuple(atom_line(vocabulary, atom, v, atom.truth(v)) for v in column.domain)
        return ConditionCodes(column.codes, lines)

    def _predicate_lines(self, predicate: PredicateRef) -> ConditionCodes:
        """Lines of a predicate: one per distinct combination of the values it reads."""
        columns = [self.column(name) for name in predicate.leaves]
        sizes = [len(c.domain) for c in columns]
        span = int(np.prod(sizes))
        if len(columns) == 1 and span <= _DENSE_LIMIT:
            lines = [self._predicate_line(predicate, columns, [code]) for code in range(span)]
            return ConditionCodes(columns[0].codes, tuple(lines))
        if span <= _DENSE_LIMIT:
            key = columns[0].codes
            for column, size in zip(columns[1:], sizes[1:], strict=True):
                key = key * size + column.codes
            present = np.flatnonzero(np.bincount(key, minlength=span))
            lines = [""] * span
            for number in present:
                codes, rest = [], int(number)
                for size in reversed(sizes):
                    codes.append(rest % size)
                    rest //= size
                lines[number] = self._predicate_line(predicate, columns, codes[::-1])
            return ConditionCodes(key, tuple(lines))
        group, first = group_rows([c.codes for c in columns], sizes, self.n)
        rows = [[int(c.codes[row]) for c in columns] for row in first]
        return ConditionCodes(
            group, tuple(self._predicate_line(predicate, columns, r) for r in rows)
        )

    def _predicate_line(
        self, predicate: PredicateRef, columns: list[Column], codes: list[int]
    ) -> str:
        values: dict[str, Value] = {
            name: column.domain[code]
            for name, column, code in zip(predicate.leaves, columns, codes, strict=True)
        }
        env = PersonEnv(self.plan, values)
        value_of: Callable[[str], Value] = values.__getitem__
        return predicate_line(self.plan.vocabulary, predicate, value_of, env.truth(predicate))


def _item_columns(env: BatchEnv, plan: ItemPlan) -> ItemColumns:
    truth = env.truth(plan.rule)
    if plan.in_period != TRUE:
        truth = np.minimum(truth, np.int8(plan.in_period))
    scope = None
    applies: Mask | None = None
    if plan.scope is not None:
        scope_truth = env.truth(plan.scope)
        truth = np.minimum(truth, scope_truth)
        applies = scope_truth != FALSE
        scope = env.condition(plan.scope)
    found: dict[str, Packed] = {}
    relevant = np.packbits(truth == UNKNOWN)
    if relevant.any():
        if plan.scope is not None:
            env.missing(plan.scope, relevant & env.unknown(plan.scope), found)
        env.missing(plan.rule, relevant & env.unknown(plan.rule), found)
    order = env.plan.missing_order
    missing = tuple(sorted(found.items(), key=lambda pair: order[pair[0]]))
    conditions = tuple(env.condition(c) for c in plan.conditions)
    standard = plan.item.standard
    standard_codes = None
    texts: tuple[str, ...] = (standard.text(),)
    if standard.tiers:
        texts = (*(t.text() for t in standard.tiers), standard.text())
        standard_codes = np.full(env.n, len(standard.tiers), dtype=np.int8)
        eligible = truth == TRUE
        for n in range(len(standard.tiers) - 1, -1, -1):
            standard_codes[eligible & (env.truth(standard.tiers[n].when) == TRUE)] = n
    if applies is not None:
        truth = np.where(applies, truth, np.int8(NOT_APPLICABLE)).astype(np.int8, copy=False)
    return ItemColumns(plan, truth, missing, scope, conditions, standard_codes, texts)


def match_plan_frame(plan: MatchPlan, frame: pd.DataFrame) -> BatchResult:
    """Match every row of ``frame`` against a prepared plan."""
    check_columns(frame, plan.vocabulary)
    env = BatchEnv(plan, frame)
    items = tuple(_item_columns(env, item) for item in plan.items)
    return BatchResult(plan, frame.index, items)


def match_frame(frame: pd.DataFrame, as_of: dt.date, registry: ListRegistry) -> BatchResult:
    """Match a whole registry frame on ``as_of`` against the lists in force that day.

    Raises :class:`~assessment.errors.InputRejected` naming the column and row of the first
    invalid value found in a column that a rule reads.
    """
    return match_plan_frame(make_plan(registry, as_of), frame)
