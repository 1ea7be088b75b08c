"""County-wide statistics over the synced records, computed by the laptops' own code.

:mod:`server.stats_frames` reads the records into the frames
:func:`assessment.documents.statistics.compute_statistics` takes, so the county's numbers
are the laptops' numbers over more records: grades are counted per *elder* (the grade of its
current assessment, as the server recomputed it), not per assessment, and an elder counts in
the township the county holds it in.

* :func:`county_summary` — one row per township for ``GET /admin/stats``, the dashboard and
  ``yinling county stats``: elders, elders per current grade and never assessed,
  assessments in the reporting period (the calendar year to the as-of date, as in
  :func:`~assessment.documents.statistics.default_period`), re-assessments due — SQL
  aggregates over the current-state tables (:mod:`server.current_state`) that count what
  :func:`~assessment.documents.statistics.compute_statistics` counts.
  The 探访关爱 figures of the as-of month are SQL aggregates too, over the visit columns
  of the state (:mod:`server.visit_state`); a past month is computed from frames.
* :func:`county_workbook` — every statistics table per township and village (the workbook
  ``yinling stats`` writes on a laptop), with service-list eligibility against the bundled
  and published lists. It is computed a part of the elders at a time
  (:func:`server.stats_frames.county_statistics_parts`, each part with its own assessments
  and eligibility) and the parts' tables summed
  (:func:`~assessment.documents.statistics.combine_statistics`): memory is bounded by a part.
"""

from __future__ import annotations

import copy
import dataclasses
import tempfile
import threading
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import ColumnElement, Connection, and_, case, func, or_, select

from assessment.documents.exports import write_statistics_xlsx
from assessment.documents.statistics import (
    Statistics,
    combine_statistics,
    compute_statistics,
    default_period,
)
from assessment.errors import InputRejected, Problem
from assessment.forms import default_form
from assessment.settings import ROUTINE_INTERVAL_MONTHS
from assessment.visits.schedule import month_bounds
from server import visit_state
from server.county_lists import county_lists
from server.db.engine import is_sqlite
from server.db.tables import (
    assessment_state,
    elder_state,
    list_versions,
    received_changes,
    townships,
    visit_plan_versions,
)
from server.stats_frames import (
    Township,
    county_statistics_parts,
    county_townships,
    part_bounds,
)
from server.stats_workers import parallel_statistics
from server.visit_state import COUNTS
from server.visit_stats import (
    SUMMARY_KEYS,
    county_visit_measure,
    state_measure,
    township_figures,
)
from server.worker_pool import default_workers

#: The laptops' default routine re-assessment interval (decision D4); the county keeps no
#: setting of its own.
INTERVAL_MONTHS = ROUTINE_INTERVAL_MONTHS.default


def _sum_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _township_counts(conn: Connection, as_of: date, start: date, end: date,
                     extra: Sequence[Any] = ()) -> tuple[dict[int, dict[str, Any]], list[Any]]:
    """Township id → its assessment figures, by SQL aggregates over the current-state
    tables: one grouped scan of ``elder_state`` (elders on the roll on ``as_of``, with the
    ``extra`` sums: the rows of that scan are returned too) and one of ``assessment_state``
    (finalized heads by their township, assessments dated in the period by their elder's)."""
    e, a = elder_state.c, assessment_state.c
    bands = range(len(default_form().grades))
    soon = as_of + timedelta(days=DUE_SOON_DAYS)
    rows = conn.execute(
        select(e.township_id, func.count().label("elders"),
               _sum_if(e.current_grade.is_(None)).label("never"),
               *(_sum_if(e.current_grade == g).label(f"g{g}") for g in bands),
               _sum_if(e.due_on <= as_of).label("due"),
               _sum_if(and_(e.due_on > as_of, e.due_on <= soon)).label("due_soon"), *extra)
        .where(or_(e.left_on.is_(None), e.left_on > as_of)).group_by(e.township_id)).all()
    figures: dict[int, dict[str, Any]] = {
        int(r.township_id): {
            "elders": int(r.elders), "assessed": int(r.elders) - int(r.never),
            "never": int(r.never),
            "grades": {str(g): int(getattr(r, f"g{g}")) for g in bands},
            "due": int(r.due), "due_soon": int(r.due_soon),
        } for r in rows}
    finalized: dict[int, int] = {}
    period: dict[int, int] = {}
    for township, elder_township, held, dated in conn.execute(
            select(a.township_id, a.elder_township,
                   _sum_if(a.status == "finalized"),
                   _sum_if(and_(a.reference_date >= start, a.reference_date <= end)))
            .group_by(a.township_id, a.elder_township)):
        finalized[int(township)] = finalized.get(int(township), 0) + int(held)
        if elder_township is not None:
            period[int(elder_township)] = period.get(int(elder_township), 0) + int(dated)
    for township_id in {*figures, *finalized, *period}:
        row = figures.setdefault(int(township_id), _empty(bands))
        row["assessments"] = int(finalized.get(township_id, 0))
        row["period_assessments"] = int(period.get(township_id, 0))
    return figures, list(rows)


DUE_SOON_DAYS = 30  # as assessment.documents.statistics counts 30天内到期


def _empty(bands: range) -> dict[str, Any]:
    return {"elders": 0, "assessed": 0, "never": 0, "grades": {str(g): 0 for g in bands},
            "due": 0, "due_soon": 0, "assessments": 0, "period_assessments": 0}


def _rows(places: list[Township], counts: dict[int, dict[str, Any]],
          visits: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    bands = range(len(default_form().grades))
    rows = []
    for place in places:
        figures = counts.get(place.id) or _empty(bands)
        rows.append({
            "township": place.code, "name": place.name, "elders": figures["elders"],
            "assessed": figures["assessed"], "never": figures["never"],
            "grades": figures["grades"], "assessments": figures["assessments"],
            "period_assessments": figures["period_assessments"],
            "due": figures["due"], "due_soon": figures["due_soon"],
            **visits.get(place.code, {key: (None if key == "visit_rate" else 0)
                                      for key in SUMMARY_KEYS.values()}),
        })
    return rows


_SUMMARIES: dict[tuple[object, ...], dict[str, Any]] = {}
_SUMMARIES_LOCK = threading.Lock()
_SUMMARIES_KEPT = 8


def _data_version(conn: Connection) -> tuple[object, ...]:
    """What a summary depends on, read cheaply: the newest received change (every push,
    bundle, decision and transfer adds one), the published lists and visit plans (the
    visit figures follow the plan in force) and the townships."""
    newest = conn.execute(select(func.max(received_changes.c.id))).scalar()
    lists = conn.execute(select(func.count(), func.max(list_versions.c.id))).one()
    plans = conn.execute(select(func.count(), func.max(visit_plan_versions.c.id))).one()
    places = tuple(tuple(row) for row in conn.execute(
        select(townships.c.id, townships.c.code, townships.c.name).order_by(townships.c.id)))
    return newest, tuple(lists), tuple(plans), places


def county_summary(conn: Connection, as_of: date | None = None) -> dict[str, Any]:
    """The as-of date, the reporting period and one row per township (by code): ``elders``,
    ``assessed`` / ``never`` (with / without a current grade), ``grades`` (elders per current
    grade "0"–"4"), ``assessments`` (finalized assessments held, superseded ones not),
    ``period_assessments`` (finalized or superseded assessments dated in the period),
    ``due`` / ``due_soon`` (routine re-assessment overdue / due within 30 days), and 探访关爱
    for the as-of month (``visit_month``): ``visits_planned``, ``visited``, ``visit_rate``
    (%, None when nobody is to be visited), ``visits_overdue``, ``never_visited``,
    ``referrals_open``, ``referrals_closed``.

    Reading every record takes seconds in a large county, and the dashboard asks on every
    visit: a summary is kept per database, date and data version and computed again only
    when something arrived since."""
    as_of = as_of or date.today()
    key = (conn.engine.url.render_as_string(hide_password=True), as_of, _data_version(conn))
    with _SUMMARIES_LOCK:
        kept = _SUMMARIES.get(key)
    if kept is not None:
        return copy.deepcopy(kept)
    summary = _compute_summary(conn, as_of)
    with _SUMMARIES_LOCK:
        while len(_SUMMARIES) >= _SUMMARIES_KEPT:
            _SUMMARIES.pop(next(iter(_SUMMARIES)))
        _SUMMARIES[key] = copy.deepcopy(summary)
    return summary


def _compute_summary(conn: Connection, as_of: date) -> dict[str, Any]:
    start, end = default_period(as_of)
    places = county_townships(conn)
    month = as_of.strftime("%Y-%m")
    if as_of < date.today():  # a past month: the grades current then (server.visit_stats)
        counts, _ = _township_counts(conn, as_of, start, end)
        table = county_visit_measure(conn, month, as_of, by_code=True)
    else:  # the visit sums in the same scan (server.visit_state)
        plan = visit_state.plans(conn).in_force(as_of)
        bounds = month_bounds(month)
        counts, rows = _township_counts(conn, as_of, start, end,
                                        visit_state.visit_sums(plan, bounds, as_of))
        sums = [(r.township_id, *(getattr(r, c) for c in COUNTS)) for r in rows]
        if any(r.stale for r in rows):
            sums.extend(visit_state.stale_rows(conn, plan, bounds, as_of, by_village=False))
        table = state_measure(conn, month, as_of, by_code=True, villages=False,
                              counts=pd.DataFrame(sums, columns=["township_id", *COUNTS]))
    visits = township_figures(table)
    return {"as_of": as_of.isoformat(), "period": [start.isoformat(), end.isoformat()],
            "visit_month": month, "townships": _rows(places, counts, visits)}


def county_statistics(conn: Connection, as_of: date | None = None) -> list[dict[str, Any]]:
    """One row per township, by code (see :func:`county_summary`)."""
    rows: list[dict[str, Any]] = county_summary(conn, as_of)["townships"]
    return rows


def county_workbook(conn: Connection, *, as_of: date, start: date | None = None,
                    end: date | None = None, with_eligibility: bool = True,
                    workers: int | None = None) -> Statistics:
    """Every statistics table per township (by name) and village, over the whole county.

    On PostgreSQL a county of several parts is computed by ``workers`` processes (default:
    :func:`server.worker_pool.default_workers`) under one snapshot
    (:mod:`server.stats_workers`); otherwise part after part in this process."""
    month = as_of.strftime("%Y-%m")
    workers = default_workers() if workers is None else workers
    bounds = part_bounds(conn) if workers > 1 and not is_sqlite(conn) else []
    if len(bounds) > 1:
        parts, visits = parallel_statistics(
            conn, bounds, as_of=as_of, start=start, end=end, interval_months=INTERVAL_MONTHS,
            with_eligibility=with_eligibility, workers=workers,
            meanwhile=lambda: county_visit_measure(conn, month, as_of))
    else:
        visits = county_visit_measure(conn, month, as_of)
        lists = county_lists(conn) if with_eligibility else None
        parts = [compute_statistics(source, as_of=as_of, start=start, end=end,
                                    interval_months=INTERVAL_MONTHS)
                 for source in county_statistics_parts(conn, as_of, lists=lists,
                                                       start=start, end=end)]
    return dataclasses.replace(combine_statistics(parts), visit_rate=visits)


def workbook_bytes(stats: Statistics) -> bytes:
    """The Excel workbook of ``stats`` (as ``yinling stats`` writes it), in memory."""
    with tempfile.TemporaryDirectory(prefix="yinling-stats-") as folder:
        path = write_statistics_xlsx(stats, Path(folder) / "stats.xlsx")
        return path.read_bytes()


def parse_day(value: str | None, name: str) -> date | None:
    """A ``YYYY-MM-DD`` option (None when not given); refused with a Chinese message."""
    if value is None or not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError as exc:
        raise InputRejected([Problem(name, "date", f"{name} 应为 YYYY-MM-DD 格式的日期："
                                                   f"{value}")]) from exc


def check_period(start: date | None, end: date | None) -> None:
    """Refuse a period that ends before it starts."""
    if start is not None and end is not None and start > end:
        raise InputRejected([Problem("--from", "period", "期间起始日晚于截止日")])
