"""The county's statistics as they were computed before the current-state tables: every
record head's payload parsed in Python (kept here, independent of the product, as the
reference the SQL dashboard and the state-table workbook must equal)."""


from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Select, select

from assessment.documents.frames import profiles_frame, registry_results
from assessment.documents.statistics import (
    DUE_NOW,
    DUE_SOON,
    NEVER,
    TOTAL,
    TOWNSHIP,
    Statistics,
    StatisticsInput,
    compute_statistics,
    default_period,
)
from assessment.eligibility.registry import ListRegistry
from assessment.forms import default_form
from assessment.registry.current import current_rows
from assessment.registry.status import is_active_on
from assessment.visits.measure import monthly_measure
from assessment.visits.schedule import month_bounds
from server.county_lists import county_lists
from server.db.tables import record_heads
from server.stats import INTERVAL_MONTHS
from server.stats_frames import Township, county_townships
from server.visit_plans import county_plans
from server.visit_stats import SUMMARY_KEYS, read_visits, township_figures

CHUNK = 5000
SHOWN = ("finalized", "superseded")  # assessment statuses the statistics count
ELDER_COLUMNS = ("elder_id", "name", "township", "township_code", "village", "sex",
                 "birth_date", "current_grade", "last_assessed")
_READ_COLUMNS = ELDER_COLUMNS[:-2]  # read from the heads; the last two come from assessments
ASSESSMENT_COLUMNS = ("assessment_id", "elder_id", "reference_date", "reason", "final_grade",
                      "status", "township_id", "finalized_at")


def _chunks(conn: Connection, query: Select[Any]) -> Iterator[pd.DataFrame]:
    """The rows of ``query`` as frames of :data:`CHUNK` rows (streamed where supported)."""
    yield from pd.read_sql(query.execution_options(stream_results=True), conn,
                           chunksize=CHUNK)


def _object(text: Any) -> dict[str, Any]:
    """A stored payload as a dict (anything else as an empty one)."""
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _day(value: Any) -> date | None:
    """An ISO date (the first ten characters of a date or date-time), else None."""
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def _grade(value: Any) -> float:
    return float(value) if isinstance(value, int) and not isinstance(value, bool) \
        and 0 <= value <= 4 else np.nan


def _assessment_rows(chunk: pd.DataFrame) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {name: [] for name in ASSESSMENT_COLUMNS}
    for record_id, township_id, grade, status, text in zip(
            *(chunk[c].tolist() for c in ("record_id", "township_id", "grade", "status",
                                          "payload")), strict=True):
        payload = _object(text)
        raw = payload.get("answers")
        answers: Mapping[str, Any] = raw if isinstance(raw, dict) else {}
        out["assessment_id"].append(str(record_id))
        out["elder_id"].append(_text(payload.get("elder_id")))
        out["reference_date"].append(_day(payload.get("reference_date"))
                                     or _day(answers.get("A.1.2")))
        out["reason"].append(_text(payload.get("reason")) or _text(answers.get("A.1.3")))
        out["final_grade"].append(float(grade) if grade is not None and grade == grade
                                  else _grade(payload.get("final_grade")))
        out["status"].append(str(status))
        out["township_id"].append(int(township_id))
        out["finalized_at"].append(_text(payload.get("finalized_at")))
    return out


def read_assessments(conn: Connection) -> pd.DataFrame:
    """One row per finalized or superseded assessment head (see the module docstring)."""
    h = record_heads.c
    query = (select(h.record_id, h.township_id, h.grade, h.status, h.payload)
             .where(h.record_type == "assessment", h.status.in_(SHOWN)))
    parts = [pd.DataFrame(_assessment_rows(chunk), columns=list(ASSESSMENT_COLUMNS))
             for chunk in _chunks(conn, query)]
    frame = (pd.concat(parts, ignore_index=True) if parts
             else pd.DataFrame(columns=list(ASSESSMENT_COLUMNS)))
    frame = frame.dropna(subset=["elder_id"]).reset_index(drop=True)
    frame["reference_date"] = pd.to_datetime(frame["reference_date"], errors="coerce")
    frame["final_grade"] = pd.to_numeric(frame["final_grade"], errors="coerce").astype(
        np.float64)
    return frame


def current_assessments(assessments: pd.DataFrame) -> pd.DataFrame:
    """Per elder id: ``current_grade`` and ``last_assessed`` of its latest finalized (not
    superseded) assessment by reference date, then finalization time."""
    latest = current_rows(assessments)
    return pd.DataFrame({"current_grade": latest["final_grade"].to_numpy(dtype=np.float64),
                         "last_assessed": latest["reference_date"].to_numpy()},
                        index=pd.Index(latest["elder_id"].to_numpy(dtype=object)))


def _elder_rows(chunk: pd.DataFrame, places: Mapping[int, Township],
                with_profiles: bool) -> tuple[dict[str, list[Any]], list[dict[str, Any]]]:
    out: dict[str, list[Any]] = {name: [] for name in _READ_COLUMNS}
    attributes: list[dict[str, Any]] = []
    texts: list[Any] = chunk["payload"].tolist() if with_profiles else [None] * len(chunk)
    for record_id, township_id, text in zip(chunk["record_id"].tolist(),
                                            chunk["township_id"].tolist(), texts, strict=True):
        place = places.get(int(township_id))
        payload = _object(text) if with_profiles else {}
        out["elder_id"].append(str(record_id))
        out["township"].append(place.label if place else None)
        out["township_code"].append(place.code if place else None)
        out["name"].append(_text(payload.get("name")))
        out["village"].append(_text(payload.get("village")))
        out["sex"].append(_text(payload.get("sex")))
        out["birth_date"].append(_day(payload.get("birth_date")))
        raw = payload.get("attributes")
        attributes.append(raw if isinstance(raw, dict) else {})
    return out, attributes


def _elder_frame(columns: dict[str, list[Any]], current: pd.DataFrame) -> pd.DataFrame:
    frame = pd.DataFrame(columns, columns=list(_READ_COLUMNS))
    mine = current.reindex(pd.Index(frame["elder_id"].to_numpy(dtype=object)))
    frame["current_grade"] = mine["current_grade"].to_numpy(dtype=np.float64)
    frame["last_assessed"] = mine["last_assessed"].to_numpy()
    frame["birth_date"] = frame["birth_date"].astype(object)
    return frame


@dataclass(frozen=True, slots=True)
class ElderRead:
    """The elders frame and, when matching was asked for, the registry frame."""

    elders: pd.DataFrame
    registry: pd.DataFrame | None


def left_dates(conn: Connection) -> dict[str, date]:
    """Elder id → the day it left the roll, for every deregistered or merged elder (its
    lifecycle head, :mod:`assessment.registry.status`); current statistics leave them out
    from that day."""
    h = record_heads.c
    found: dict[str, date] = {}
    for record_id, payload in conn.execute(select(h.record_id, h.payload).where(
            h.record_type == "elder_status", h.status.in_(("deregistered", "merged")))):
        data = _object(payload)
        day = _day(data.get("on")) or _day(str(data.get("at") or "")[:10]) or date.min
        found[str(record_id)] = day
    return found


def read_elders(conn: Connection, current: pd.DataFrame, *, with_profiles: bool = True,
                lists: ListRegistry | None = None) -> ElderRead:
    """Every elder head (see the module docstring), ``current`` from
    :func:`current_assessments`. Without ``with_profiles`` only ids and townships are read
    (enough for per-township counts). With ``lists`` the registry frame the eligibility
    engine reads is built chunk by chunk (:func:`assessment.documents.frames.profiles_frame`).
    """
    places = {t.id: t for t in county_townships(conn)}
    profiles = with_profiles or lists is not None
    h = record_heads.c
    query = (select(h.record_id, h.township_id, *([h.payload] if profiles else []))
             .where(h.record_type == "elder").order_by(h.record_id))
    elders: list[pd.DataFrame] = []
    registry: list[pd.DataFrame] = []
    for chunk in _chunks(conn, query):
        columns, attributes = _elder_rows(chunk, places, profiles)
        frame = _elder_frame(columns, current)
        elders.append(frame)
        if lists is not None:
            registry.append(profiles_frame(frame, attributes, lists.vocabulary))
    all_elders = (pd.concat(elders, ignore_index=True) if elders
                  else _elder_frame({c: [] for c in _READ_COLUMNS}, current))
    left = left_dates(conn)
    all_elders["left_on"] = [left.get(e) for e in all_elders["elder_id"].tolist()]
    if lists is None:
        return ElderRead(all_elders, None)
    return ElderRead(all_elders, pd.concat(registry, ignore_index=True) if registry
                     else pd.DataFrame())


def county_statistics_input(conn: Connection, as_of: date, *, with_profiles: bool = True,
                            lists: ListRegistry | None = None) -> StatisticsInput:
    """Everything :func:`~assessment.documents.statistics.compute_statistics` needs, over the
    whole county; eligibility (as of ``as_of``) only when ``lists`` are given."""
    assessments = read_assessments(conn)
    read = read_elders(conn, current_assessments(assessments), with_profiles=with_profiles,
                       lists=lists)
    eligibility: pd.DataFrame | None = None
    names: dict[str, str] = {}
    if lists is not None and read.registry is not None:
        eligibility, names = registry_results(read.registry, as_of, lists)
    return StatisticsInput(read.elders, assessments, eligibility, names)


def read_registry(conn: Connection, on: date, *, by_code: bool = False
                  ) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """Every elder on the roll on ``on`` with its profile attributes (township by name, or
    by code with ``by_code``)."""
    places = {t.id: t for t in county_townships(conn)}
    current = current_assessments(read_assessments(conn))
    h = record_heads.c
    query = (select(h.record_id, h.township_id, h.payload).where(h.record_type == "elder")
             .order_by(h.record_id))
    frames: list[pd.DataFrame] = []
    attributes: list[dict[str, Any]] = []
    left = left_dates(conn)
    for chunk in _chunks(conn, query):
        columns, attrs = _elder_rows(chunk, places, True)
        frame = _elder_frame(columns, current)
        keep = [i for i, e in enumerate(frame["elder_id"].tolist())
                if is_active_on(left.get(e), on)]
        frames.append(frame.iloc[keep])
        attributes.extend(attrs[i] for i in keep)
    elders = (pd.concat(frames, ignore_index=True) if frames else
              pd.DataFrame(columns=["elder_id", "name", "township", "township_code", "village",
                                    "sex", "birth_date", "current_grade"]))
    if by_code:
        elders = elders.assign(township=elders["township_code"])
    grades = pd.to_numeric(elders["current_grade"], errors="coerce")
    elders = elders.assign(current_grade=grades.astype(object).where(grades.notna(), None))
    return elders.reset_index(drop=True), attributes


def reference_visit_measure(conn: Connection, month: str, today: date | None = None, *,
                         by_code: bool = False) -> pd.DataFrame:
    """The monthly visit rate table of ``month`` over the whole county."""
    today = today or date.today()
    _, last = month_bounds(month)
    elders, attributes = read_registry(conn, min(last, today), by_code=by_code)
    visits, referrals = read_visits(conn)
    plan = county_plans(conn).in_force(today)
    return monthly_measure(elders, attributes, visits, referrals, plan, month, today=today)



def _per_township(table: pd.DataFrame) -> pd.DataFrame:
    """A per-village table summed per township (the 合计 row dropped), indexed by code."""
    rows = table[table[TOWNSHIP] != TOTAL]
    numbers = rows.drop(columns=[c for c in rows.columns if not pd.api.types.is_numeric_dtype(
        rows[c])])
    return numbers.groupby(rows[TOWNSHIP].astype(str)).sum()


def _value(table: pd.DataFrame, code: str, column: str) -> int:
    if code not in table.index or column not in table.columns:
        return 0
    value: Any = table.at[code, column]
    return int(value)


def _finalized_heads(source: StatisticsInput, places: list[Township]) -> dict[str, int]:
    """Finalized assessments (current versions, superseded ones not) per township code."""
    frame = source.assessments
    counts: dict[Any, Any] = (frame.loc[frame["status"] == "finalized", "township_id"]
                              .value_counts().to_dict())
    codes = {t.id: t.code for t in places}
    return {codes[int(tid)]: int(n) for tid, n in counts.items() if int(tid) in codes}


def _rows(stats: Statistics, source: StatisticsInput, places: list[Township],
          visits: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    bands = [band.name for band in default_form().grades]
    grades = _per_township(stats.grades)
    period = _per_township(stats.assessments)
    due = _per_township(stats.due)
    finalized = _finalized_heads(source, places)
    rows = []
    for place in places:
        elders = _value(grades, place.code, TOTAL)
        never = _value(grades, place.code, NEVER)
        rows.append({
            "township": place.code, "name": place.name, "elders": elders,
            "assessed": elders - never, "never": never,
            "grades": {str(g): _value(grades, place.code, name) for g, name in enumerate(bands)},
            "assessments": finalized.get(place.code, 0),
            "period_assessments": _value(period, place.code, TOTAL),
            "due": _value(due, place.code, DUE_NOW),
            "due_soon": _value(due, place.code, DUE_SOON),
            **visits.get(place.code, {key: (None if key == "visit_rate" else 0)
                                      for key in SUMMARY_KEYS.values()}),
        })
    return rows



def reference_summary(conn: Connection, as_of: date) -> dict[str, Any]:
    start, end = default_period(as_of)
    places = county_townships(conn)
    source = county_statistics_input(conn, as_of, with_profiles=False)
    by_code = StatisticsInput(source.elders.assign(township=source.elders["township_code"]),
                              source.assessments)
    stats = compute_statistics(by_code, as_of=as_of, start=start, end=end,
                               interval_months=INTERVAL_MONTHS)
    month = as_of.strftime("%Y-%m")
    visits = township_figures(reference_visit_measure(conn, month, as_of, by_code=True))
    return {"as_of": as_of.isoformat(), "period": [start.isoformat(), end.isoformat()],
            "visit_month": month, "townships": _rows(stats, source, places, visits)}



def reference_workbook(conn: Connection, *, as_of: date, start: date | None = None,
                       end: date | None = None, with_eligibility: bool = True) -> Statistics:
    """The workbook's tables as the county computed them from the payloads."""
    lists = county_lists(conn) if with_eligibility else None
    source = county_statistics_input(conn, as_of, lists=lists)
    visits = reference_visit_measure(conn, as_of.strftime("%Y-%m"), as_of)
    return compute_statistics(dataclasses.replace(source, visit_rate=visits), as_of=as_of,
                              start=start, end=end, interval_months=INTERVAL_MONTHS)
