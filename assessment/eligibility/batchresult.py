"""The result of a batch match, held as coded arrays and small tables of Chinese lines.

For 1,000,000 elders and ~20 items, materializing every explanation as Python strings would
cost more than the matching itself. Instead each item keeps: a result code per row, a bitmask
of missing profile attributes per row, and per condition a code per row into that condition's
table of explanation lines (one line per distinct value, built once). The methods below turn
that into per-person :class:`~assessment.eligibility.evaluate.MatchResult` objects or per-item
tables of strings, identical to what the per-person engine gives.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from assessment.eligibility.evaluate import ItemResult, MatchResult
from assessment.eligibility.plan import RESULT_NAMES, ItemPlan, MatchPlan
from assessment.eligibility.values import TRUE

NOT_APPLICABLE = -1
_LIMIT = 1 << 62


@dataclass(frozen=True, slots=True)
class ConditionCodes:
    """One condition's explanation line per row: ``lines[codes[i]]``."""

    codes: npt.NDArray[np.intp]
    lines: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ItemColumns:
    """One item over all rows. ``result`` holds -1 (not applicable), 0, 1 or 2 (truth).

    ``missing`` pairs each profile attribute that some row lacks with the rows that lack it
    (where the item is undetermined because of it) as a bit-packed mask (``np.packbits``),
    in vocabulary order.
    """

    plan: ItemPlan
    result: npt.NDArray[np.int8]
    missing: tuple[tuple[str, npt.NDArray[np.uint8]], ...]
    scope: ConditionCodes | None
    conditions: tuple[ConditionCodes, ...]
    standard_codes: npt.NDArray[np.int8] | None
    standard_texts: tuple[str, ...]


def group_rows(
    codes: Sequence[npt.NDArray[np.intp]], sizes: Sequence[int], n: int
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Group rows by the combination of several code arrays.

    Returns ``(group, first)``: the group number of each row and the first row of each
    group, so that anything depending only on the combination is built once per group.
    """
    key = np.zeros(n, dtype=np.int64)
    span = 1
    for column, size in zip(codes, sizes, strict=True):
        if span * max(size, 1) >= _LIMIT:
            compact, uniques = pd.factorize(key)
            key, span = compact.astype(np.int64), max(len(uniques), 1)
        key = key * max(size, 1) + column if span > 1 else column.astype(np.int64)
        span *= max(size, 1)
    if span <= max(4 * n, 1 << 16):
        # Few possible combinations: count them instead of hashing every row.
        present = np.flatnonzero(np.bincount(key, minlength=span))
        remap = np.zeros(span, dtype=np.intp)
        remap[present] = np.arange(len(present), dtype=np.intp)
        group = remap[key]
    else:
        factorized, uniques = pd.factorize(key)
        group, present = factorized.astype(np.intp), np.arange(len(uniques))
    first = np.zeros(len(present), dtype=np.intp)
    # Assigning in reverse row order leaves each group's smallest row (last write wins).
    first[group[::-1]] = np.arange(n - 1, -1, -1, dtype=np.intp)
    return group, first


class BatchResult:
    """Matching results for every row of a registry frame (see the module docstring)."""

    def __init__(
        self, plan: MatchPlan, index: pd.Index[Any], items: tuple[ItemColumns, ...]
    ) -> None:
        self.plan = plan
        self.index = index
        self.items = items

    def __len__(self) -> int:
        return len(self.index)

    def item(self, item_id: str) -> ItemColumns:
        """The columns of one item (``KeyError`` if no list in force has it)."""
        for columns in self.items:
            if columns.plan.item.id == item_id:
                return columns
        raise KeyError(item_id)

    @staticmethod
    def missing_at(columns: ItemColumns, row: int) -> tuple[str, ...]:
        """The missing profile attributes of one item in one row."""
        byte, bit = divmod(row, 8)
        return tuple(name for name, rows in columns.missing if rows[byte] >> (7 - bit) & 1)

    def results_frame(self) -> pd.DataFrame:
        """One categorical column per item id: eligible / not_eligible / undetermined / NA."""
        categories = [RESULT_NAMES[k] for k in sorted(RESULT_NAMES)]
        data = {
            c.plan.item.id: pd.Categorical.from_codes(
                c.result.astype(np.int64), categories=pd.Index(categories)
            )
            for c in self.items
        }
        return pd.DataFrame(data, index=self.index)

    def _reasons(self, columns: ItemColumns, row: int) -> tuple[str, ...]:
        lines: list[str] = []
        if columns.scope is not None:
            lines.append(columns.scope.lines[columns.scope.codes[row]])
        lines.extend(columns.plan.period_lines)
        lines.extend(c.lines[c.codes[row]] for c in columns.conditions)
        lines.append(columns.plan.source_line)
        return tuple(lines)

    def _item_result(self, columns: ItemColumns, row: int) -> ItemResult:
        truth = int(columns.result[row])
        missing = self.missing_at(columns, row)
        if columns.standard_codes is not None:
            standard = columns.standard_texts[columns.standard_codes[row]]
        else:
            standard = columns.standard_texts[0]
        item, plan = columns.plan.item, columns.plan
        return ItemResult(
            item.id,
            item.name,
            plan.list_ref,
            item.type,
            RESULT_NAMES[truth],
            self._reasons(columns, row),
            missing if truth != TRUE else (),
            standard,
            plan.service_list.provisional,
        )

    def person(self, row: int) -> MatchResult:
        """The full result of one row (by position), as the per-person engine gives it."""
        items = tuple(
            self._item_result(c, row) for c in self.items if c.result[row] != NOT_APPLICABLE
        )
        applied = tuple(dict.fromkeys(r.list for r in items))
        return MatchResult(self.plan.as_of, self.plan.primary_ref, applied, items)

    def item_frame(self, item_id: str) -> pd.DataFrame:
        """One item for every row: result, reasons (tuple), missing (tuple) and standard.

        Rows where the item does not apply have result ``NA``. Strings are built once per
        distinct combination of condition values and shared between rows.
        """
        columns = self.item(item_id)
        n = len(self)
        parts = [c.codes for c in columns.conditions]
        sizes = [len(c.lines) for c in columns.conditions]
        if columns.scope is not None:
            parts.insert(0, columns.scope.codes)
            sizes.insert(0, len(columns.scope.lines))
        parts.append(columns.result.astype(np.intp) + 1)
        sizes.append(4)
        for _, rows in columns.missing:
            parts.append(np.unpackbits(rows, count=n).astype(np.intp))
            sizes.append(2)
        if columns.standard_codes is not None:
            parts.append(columns.standard_codes.astype(np.intp))
            sizes.append(len(columns.standard_texts))
        group, first = group_rows(parts, sizes, n)
        built = [
            self._item_result(columns, int(r)) if columns.result[r] >= 0 else None for r in first
        ]
        objects = np.empty(len(built), dtype=object)
        objects[:] = built
        per_row = objects[group]
        return pd.DataFrame(
            {
                "result": [r.result if r else None for r in per_row],
                "reasons": [r.reasons if r else () for r in per_row],
                "missing": [r.missing if r else () for r in per_row],
                "standard": [r.standard if r else None for r in per_row],
            },
            index=self.index,
        )

    def to_match_results(self) -> list[MatchResult]:
        """Every row's :class:`MatchResult` (for small frames: tests, CLI, UI pages)."""
        return [self.person(row) for row in range(len(self))]
