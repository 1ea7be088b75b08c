"""Which assessment is an elder's *current* one: the one rule, for the store, the bulk loader
and the county's statistics.

The current assessment is the elder's latest **finalized** assessment (a correction finalizes a
new version that supersedes the old one, which is then no longer current): the one with the
latest reference date (A.1.2), then the latest finalization time, then the greatest id (so
that a tie still picks one); missing dates count as earliest. It gives the elder's current
grade, last assessment date and re-assessment due date.

Three forms of the same order: :func:`current_key` for Python rows, :func:`newest_first` for SQL
``ORDER BY``, :func:`current_rows` for a pandas frame of many elders at once.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pandas as pd
from sqlalchemy import ColumnElement, nulls_last
from sqlalchemy.orm import QueryableAttribute

COUNTED_STATUS = "finalized"
"""Only assessments of this status can be current (drafts and discarded ones never are)."""

ORDER = ("reference_date", "finalized_at", "assessment_id")
"""The columns of the order, most significant first (ascending: the last row is current)."""


def current_key(reference_date: date | None, finalized_at: datetime | str | None,
             assessment_id: str) -> tuple[bool, date, bool, str, str]:
    """Sort key of one finalized assessment: the greatest key is the current one."""
    return (reference_date is not None, reference_date or date.min,
            finalized_at is not None, _finalized_text(finalized_at), assessment_id)


Column = ColumnElement[Any] | QueryableAttribute[Any]


def newest_first(reference_date: Column, finalized_at: Column,
                 assessment_id: Column) -> tuple[ColumnElement[Any], ...]:
    """``ORDER BY`` clauses putting the current assessment first (filter the status too)."""
    return (nulls_last(reference_date.desc()), nulls_last(finalized_at.desc()),
            assessment_id.desc())


def current_rows(assessments: pd.DataFrame, elder: str = "elder_id",
                 status: str = "status") -> pd.DataFrame:
    """The current assessment's row of every elder in ``assessments`` (columns named as in
    :data:`ORDER`), indexed as given; elders with no finalized assessment have none."""
    finalized = assessments[assessments[status] == COUNTED_STATUS]
    reference = pd.to_datetime(finalized["reference_date"], errors="coerce")
    finalized_at = finalized["finalized_at"]
    keys = pd.DataFrame({
        "elder": finalized[elder].to_numpy(dtype=object),
        "has_reference": reference.notna().to_numpy(),
        "reference": reference.dt.strftime("%Y-%m-%d").fillna("").to_numpy(dtype=object),
        "has_finalized": finalized_at.notna().to_numpy(),
        "finalized": finalized_at.map(_finalized_text).to_numpy(dtype=object),
        "id": finalized["assessment_id"].astype(str).to_numpy(dtype=object),
    })
    order = keys.sort_values(list(keys.columns), kind="stable").index.to_numpy()
    ordered = finalized.iloc[order]
    return ordered.drop_duplicates(elder, keep="last")


def _finalized_text(value: Any) -> str:
    """A finalization time as comparable text (ISO); missing is the earliest."""
    if value is None or value is pd.NaT or (isinstance(value, float) and value != value):
        return ""
    return value.isoformat() if isinstance(value, datetime) else str(value)
