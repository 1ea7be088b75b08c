"""探访关爱 at the county: the monthly visit rate over the synced records.

The laptops' own code (:func:`assessment.visits.measure.monthly_measure`) over the county's
copies: the elders are those of the current-state table (:mod:`server.current_state`) in the
township the county holds them in, on the roll on the day counted, with their attributes and
current grades (for a past month, the grades of the assessments current then); visits are the
``visit`` heads, referrals the latest ``referral`` versions; the plan is the version in force
on the day counted (:mod:`server.visit_plans`). The attributes are the elders' current ones:
no history of them is kept (:data:`~assessment.visits.measure.MEASURE_BASIS`).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy import Connection, func, select

from assessment.registry.current import current_rows
from assessment.registry.status import is_active_on
from assessment.storedjson import stored_object
from assessment.visits.measure import (
    RATE_COLUMNS,
    SUBTOTAL,
    TOTAL,
    TOWNSHIP,
    UNKNOWN_AREA,
    VILLAGE,
    measure_table,
    monthly_measure,
)
from assessment.visits.schedule import month_bounds
from assessment.visits.synced import visit_day
from server import visit_state
from server.db.tables import elder_state, record_heads
from server.stats_frames import (
    _chunks,
    county_townships,
    elder_chunks,
    read_assessments,
)
from server.visit_plans import county_plans
from server.visit_state import COUNTS

#: The per-township figures the dashboard and ``GET /admin/stats`` show.
SUMMARY_KEYS = {"应探访人数": "visits_planned", "本月已探访人数": "visited",
                "月探访率（%）": "visit_rate", "逾期未探访": "visits_overdue",
                "从未探访": "never_visited", "转介未办结": "referrals_open",
                "转介已办结": "referrals_closed"}


def read_visits(conn: Connection) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(visits, referrals) frames from the county's heads."""
    h = record_heads.c
    visits: list[tuple[str, str, date]] = []
    for chunk in _chunks(conn, select(h.record_id, h.elder_id, h.payload)
                         .where(h.record_type == "visit").order_by(h.record_id)):
        for record_id, elder_id, text in zip(chunk["record_id"], chunk["elder_id"],
                                             chunk["payload"], strict=True):
            day = visit_day(stored_object(text))
            if day is not None and elder_id:
                visits.append((str(record_id), str(elder_id), day))
    referrals = [(str(r), str(e), str(s)) for r, e, s in conn.execute(
        select(h.record_id, h.elder_id, h.status).where(h.record_type == "referral"))
        if e and s in ("open", "closed")]
    return (pd.DataFrame(visits, columns=["visit_id", "elder_id", "visit_date"]),
            pd.DataFrame(referrals, columns=["referral_id", "elder_id", "status"]))


def read_registry(conn: Connection, on: date, *, by_code: bool = False
                  ) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """Every elder on the roll on ``on`` with its profile attributes (township by name, or
    by code with ``by_code``), from the current-state table."""
    frames: list[pd.DataFrame] = []
    attributes: list[dict[str, Any]] = []
    for frame, attrs in elder_chunks(conn, with_attributes=True):
        keep = [i for i, left in enumerate(frame["left_on"].tolist())
                if is_active_on(left, on)]
        frames.append(frame.drop(columns=["left_on"]).iloc[keep])
        attributes.extend(attrs[i] for i in keep)
    elders = (pd.concat(frames, ignore_index=True) if frames else
              pd.DataFrame(columns=["elder_id", "name", "township", "township_code", "village",
                                    "sex", "birth_date", "current_grade"]))
    if by_code:
        elders = elders.assign(township=elders["township_code"])
    if on < date.today() and len(elders):  # the grade of the assessment current that day
        then = grades_on(conn, on)
        grade_then = pd.Series([then.get(str(e)) for e in elders["elder_id"]],
                               index=elders.index, dtype=object)
        elders = elders.assign(current_grade=grade_then)
    grades = pd.to_numeric(elders["current_grade"], errors="coerce")
    elders = elders.assign(current_grade=grades.astype(object).where(grades.notna(), None))
    return elders.reset_index(drop=True), attributes


def grades_on(conn: Connection, day: date) -> dict[str, float]:
    """Elder id → the grade of the assessment current on ``day`` (the current-assessment
    rule over the assessments with a reference date on or before it)."""
    assessments = read_assessments(conn)
    reference = assessments["reference_date"]
    latest = current_rows(assessments[reference.isna() | (reference <= pd.Timestamp(day))])
    return {str(e): float(g) for e, g in zip(latest["elder_id"], latest["final_grade"],
                                             strict=True) if g == g}


def county_visit_measure(conn: Connection, month: str, today: date | None = None, *,
                         by_code: bool = False, villages: bool = True) -> pd.DataFrame:
    """The monthly visit rate table of ``month`` over the whole county: from the current
    state (:mod:`server.visit_state`) when the day counted is today or later, else from the
    frames (the grades current then). ``villages=False`` (state path only) sums each
    township under one village row: enough for :func:`township_figures`."""
    today = today or date.today()
    first, last = month_bounds(month)
    on = min(last, today) if first <= today else last
    if on >= date.today():
        return state_measure(conn, month, on, by_code=by_code, villages=villages)
    elders, attributes = read_registry(conn, on, by_code=by_code)
    visits, referrals = read_visits(conn)
    plan = county_plans(conn).in_force(on)
    return monthly_measure(elders, attributes, visits, referrals, plan, month, today=today)


def township_figures(table: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """Township code → its subtotal figures (a measure computed ``by_code``)."""
    rows = table[(table[VILLAGE] == SUBTOTAL) & (table[TOWNSHIP] != TOTAL)]
    found: dict[str, dict[str, Any]] = {}
    for row in rows.to_dict("records"):
        figures: dict[str, Any] = {}
        for column, key in SUMMARY_KEYS.items():
            value = row[column]
            figures[key] = None if value is None or value != value else (
                float(value) if key == "visit_rate" else int(value))
        found[str(row[TOWNSHIP])] = figures
    return found


def state_measure(conn: Connection, month: str, on: date, *, by_code: bool = False,
                  villages: bool = True, counts: pd.DataFrame | None = None) -> pd.DataFrame:
    """:func:`~assessment.visits.measure.monthly_measure`'s table from the current state:
    per-village sums in SQL (:func:`server.visit_state.visit_counts`) put through the same
    :func:`~assessment.visits.measure.measure_table`. Referrals of elders off the roll on
    ``on`` or unknown to the county count under （未登记）, as in the frame computation."""
    plan = visit_state.plans(conn).in_force(on)
    first, last = month_bounds(month)
    if counts is None:  # else already summed (the dashboard's one scan)
        counts = visit_state.visit_counts(conn, plan, (first, last), on, by_village=villages)
    places = {t.id: (t.code if by_code else t.label) for t in county_townships(conn)}
    frame = pd.DataFrame({
        TOWNSHIP: [_place(places.get(int(t))) for t in counts["township_id"]],
        VILLAGE: ([_place(v) for v in counts["village"]] if villages
                  else [SUBTOTAL] * len(counts)),
        **{c: counts[c].astype("int64") for c in COUNTS}}, columns=[TOWNSHIP, VILLAGE, *COUNTS])
    # By code, （未登记） is no township's row (:func:`township_figures`): not read.
    away = (0, 0) if by_code else _referrals_away(conn, on)
    if any(away):
        frame = pd.concat([frame, pd.DataFrame(
            [[UNKNOWN_AREA, UNKNOWN_AREA, 0, 0, 0, 0, *away]], columns=frame.columns)],
            ignore_index=True)
    shown = (frame["应探访人数"] > 0) | (frame["转介未办结"] > 0) | (frame["转介已办结"] > 0)
    frame = frame[shown].assign(**{"月探访率（%）": 0.0})[list(RATE_COLUMNS)]
    return measure_table(frame.reset_index(drop=True), month, on, plan)


def _place(value: Any) -> str:
    return value.strip() if isinstance(value, str) and value.strip() else UNKNOWN_AREA


def _referrals_away(conn: Connection, on: date) -> tuple[int, int]:
    """(open, closed) referrals of elders off the roll on ``on`` or without a state row."""
    e, h = elder_state.c, record_heads.c
    off = conn.execute(select(func.coalesce(func.sum(e.referrals_open), 0),
                              func.coalesce(func.sum(e.referrals_closed), 0))
                       .where(e.left_on.is_not(None), e.left_on <= on)).one()
    known = select(e.elder_id).where(e.elder_id == h.elder_id).exists()
    unknown: dict[str, int] = dict(conn.execute(
        select(h.status, func.count()).where(h.record_type == "referral",
                                             h.status.in_(("open", "closed")),
                                             h.elder_id.is_not(None), h.elder_id != "", ~known)
        .group_by(h.status)).all())
    return (int(off[0]) + int(unknown.get("open", 0)),
            int(off[1]) + int(unknown.get("closed", 0)))
