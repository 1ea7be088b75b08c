"""When an elder is due a visit: calendar periods per frequency, and the status on a date.

A tier's frequency is a calendar period (ISO week Monday–Sunday, calendar month, calendar
quarter): the elder is to be visited at least once in every period. On a date the status is

* ``done`` 本期已探访 — visited in the current period;
* ``due`` 本期待探访 — not yet this period, but visited in the previous one (due by its end);
* ``overdue`` 逾期未探访 — no visit in the current or the previous period;
* ``never`` 从未探访 — no visit recorded at all.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

STATUS_LABELS = {"done": "本期已探访", "due": "本期待探访", "overdue": "逾期未探访",
                 "never": "从未探访"}


def period_of(frequency: str, day: dt.date) -> tuple[dt.date, dt.date]:
    """The calendar period (first, last day) of ``frequency`` that contains ``day``."""
    if frequency == "week":
        start = day - dt.timedelta(days=day.weekday())
        return start, start + dt.timedelta(days=6)
    if frequency == "month":
        first_month = day.month
    elif frequency == "quarter":
        first_month = (day.month - 1) // 3 * 3 + 1
    else:
        raise ValueError(f"unknown frequency {frequency!r}")
    start = dt.date(day.year, first_month, 1)
    months = 1 if frequency == "month" else 3
    index = start.year * 12 + start.month - 1 + months
    following = dt.date(index // 12, index % 12 + 1, 1)
    return start, following - dt.timedelta(days=1)


@dataclass(frozen=True, slots=True)
class VisitStatus:
    """An elder's status on a date: code, Chinese label, and by when the next visit is due."""

    code: str
    due_by: dt.date

    @property
    def label(self) -> str:
        """本期已探访 / 本期待探访 / 逾期未探访 / 从未探访."""
        return STATUS_LABELS[self.code]


def visit_status(frequency: str, last_visit: dt.date | None, as_of: dt.date) -> VisitStatus:
    """The status on ``as_of`` given the date of the latest visit (None: never visited)."""
    start, end = period_of(frequency, as_of)
    if last_visit is None:
        return VisitStatus("never", end)
    if last_visit >= start:
        _, next_end = period_of(frequency, end + dt.timedelta(days=1))
        return VisitStatus("done", next_end)
    previous_start, _ = period_of(frequency, start - dt.timedelta(days=1))
    if last_visit >= previous_start:
        return VisitStatus("due", end)
    return VisitStatus("overdue", end)


def month_bounds(month: str) -> tuple[dt.date, dt.date]:
    """``YYYY-MM`` → (first, last day); ``ValueError`` with a Chinese message when bad."""
    try:
        first = dt.date.fromisoformat(f"{month}-01")
    except ValueError as exc:
        raise ValueError(f"月份“{month}”无效（应为 YYYY-MM）") from exc
    if len(month) != 7:
        raise ValueError(f"月份“{month}”无效（应为 YYYY-MM）")
    return period_of("month", first)
