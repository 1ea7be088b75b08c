"""The county's current-state tables: one row per elder (``elder_state``) and per finalized
or superseded assessment (``assessment_state``), kept in step with the record heads.

Ingest (:func:`server.ingest.ingest`) calls :func:`refresh` for the elders a batch touched,
inside the batch's transaction, and so do transfers; migration 0007 fills the tables from
existing heads with :func:`rebuild`. Statistics (:mod:`server.stats`,
:mod:`server.stats_frames`) then read a few typed columns, with SQL aggregates for the
dashboard, instead of parsing every payload of the county's history.

The rules are those of :mod:`server.stats_frames` before these tables existed: an
assessment's grade is the server's recomputation (the payload's claimed final grade only
where none was stored), its reference date and reason the payload's (A.1.2, A.1.3); an
elder's current assessment is its latest finalized (not superseded) one by reference date,
then finalization time, then id (:func:`assessment.registry.current.current_rows`); an
elder counts in the township the county holds it in; an elder whose lifecycle head is
deregistered or merged left the roll that day.

Each ``assessment_state`` row also keeps its elder's township (``elder_township``, NULL when
the county holds no such elder), so that the dashboard counts the period's assessments per
township in one scan, without joining the elders. The 探访关爱 columns of ``elder_state``
(latest visit, referrals, visit tier) are filled here too, from the elder's ``visit`` and
``referral`` heads and the plan in force today (:mod:`server.visit_state`).
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, delete, or_, select

from assessment.storedjson import stored_object
from assessment.visits.plan import VisitPlan
from assessment.wire.changes import canonical_json
from server import visit_state
from server.db.bulk import among, insert_rows
from server.db.tables import assessment_state, elder_state, record_heads
from server.stats_frames import SHOWN, _day, _grade, _text

#: The routine re-assessment interval (the laptops' default, decision D4).
INTERVAL_MONTHS = 12
BATCH = 2000
LEFT = ("deregistered", "merged")


def add_months(day: date, months: int) -> date:
    """``day`` plus ``months`` calendar months, the day clipped to the month's end (as
    ``pandas.DateOffset`` does)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def assessment_row(record_id: str, township_id: int, grade: Any, status: str,
                   text: str) -> dict[str, Any] | None:
    """The ``assessment_state`` row of an assessment head (None without an elder id)."""
    payload = stored_object(text)
    elder_id = _text(payload.get("elder_id"))
    if elder_id is None or len(elder_id) > 64:
        return None
    raw = payload.get("answers")
    answers = raw if isinstance(raw, dict) else {}
    claimed = _grade(payload.get("final_grade"))
    return {
        "assessment_id": record_id, "elder_id": elder_id, "township_id": int(township_id),
        "status": status,
        "grade": int(grade) if grade is not None else (None if claimed != claimed
                                                        else int(claimed)),
        "reference_date": _day(payload.get("reference_date")) or _day(answers.get("A.1.2")),
        "reason": _text(payload.get("reason")) or _text(answers.get("A.1.3")),
        "finalized_at": _text(payload.get("finalized_at")),
    }


def _order(row: dict[str, Any]) -> tuple[bool, str, bool, str, str]:
    """The order of :func:`assessment.registry.current.current_rows` (the last is current)."""
    reference: date | None = row["reference_date"]
    finalized: str | None = row["finalized_at"]
    return (reference is not None, reference.isoformat() if reference else "",
            finalized is not None, finalized or "", str(row["assessment_id"]))


def _left_on(text: str) -> date | None:
    """The day a deregistered or merged elder left the roll: the lifecycle's ``on``, else
    the day of its ``at``; unknown, it stays on the roll."""
    data = stored_object(text)
    return _day(data.get("on")) or _day(str(data.get("at") or "")[:10])


def elder_attributes(payload: dict[str, Any]) -> dict[str, Any]:
    """The service-list attributes of an elder payload (an empty dict when it has none)."""
    raw = payload.get("attributes")
    return raw if isinstance(raw, dict) else {}


def elder_row(record_id: str, township_id: int, payload: dict[str, Any], left_on: date | None,
              current: dict[str, Any] | None) -> dict[str, Any]:
    """The ``elder_state`` row of an elder head (its payload parsed), its lifecycle and
    current assessment."""
    last = current["reference_date"] if current else None
    return {
        "elder_id": record_id, "township_id": int(township_id),
        "name": _text(payload.get("name")), "village": _text(payload.get("village")),
        "sex": _text(payload.get("sex")), "birth_date": _day(payload.get("birth_date")),
        "attributes": canonical_json(elder_attributes(payload)).decode("utf-8"),
        "current_assessment": current["assessment_id"] if current else None,
        "current_grade": current["grade"] if current else None,
        "last_assessed": last,
        "due_on": add_months(last, INTERVAL_MONTHS) if last is not None else None,
        "left_on": left_on,
    }


def refresh(conn: Connection, elder_ids: Iterable[str],
            assessment_ids: Iterable[str] = ()) -> None:
    """Recompute the rows of ``elder_ids`` (and of the elders ``assessment_ids`` named
    before) from the record heads, in the caller's transaction."""
    ids = set(elder_ids)
    moved = sorted(set(assessment_ids))
    for start in range(0, len(moved), BATCH):
        part = moved[start:start + BATCH]
        ids.update(str(e) for (e,) in conn.execute(select(assessment_state.c.elder_id).where(
            among(conn, assessment_state.c.assessment_id, part))))
        conn.execute(delete(assessment_state).where(
            among(conn, assessment_state.c.assessment_id, part)))
    ordered = sorted(i for i in ids if len(i) <= 64)
    for start in range(0, len(ordered), BATCH):
        _refresh_part(conn, ordered[start:start + BATCH])


@dataclass(frozen=True, slots=True)
class PartHeads:
    """What the state of a part of the elders is computed from: their heads (type, id,
    township, grade, status, payload, elder id) and the lifecycle heads of those who left
    the roll (id, payload)."""

    heads: list[tuple[str, str, int, int | None, str | None, str, str | None]]
    lifecycles: list[tuple[str, str]]


@dataclass(frozen=True, slots=True)
class PartRows:
    """The ``assessment_state`` and ``elder_state`` rows of a part of the elders."""

    assessments: list[dict[str, Any]]
    elders: list[dict[str, Any]]


def read_part(conn: Connection, ids: Sequence[str]) -> PartHeads:
    """The heads the state of ``ids`` is computed from."""
    h = record_heads.c
    heads = conn.execute(select(h.record_type, h.record_id, h.township_id, h.grade, h.status,
                                h.payload, h.elder_id).where(
        among(conn, h.elder_id, ids),
        or_(h.record_type.in_(("elder", "visit", "referral")),
            (h.record_type == "assessment") & h.status.in_(SHOWN)))).all()
    lifecycles = conn.execute(select(h.record_id, h.payload).where(
        h.record_type == "elder_status", h.status.in_(LEFT),
        among(conn, h.record_id, ids))).all()
    return PartHeads(
        [(str(r), str(i), int(t), None if g is None else int(g), None if s is None else str(s),
          str(p), None if e is None else str(e)) for r, i, t, g, s, p, e in heads],
        [(str(r), str(p)) for r, p in lifecycles])


def part_rows(part: PartHeads, plan: VisitPlan, today: date) -> PartRows:
    """The state rows of a part of the elders from their heads, with the visit tiers of
    ``plan`` (the plan in force ``today``)."""
    left = {r: _left_on(p) for r, p in part.lifecycles}
    assessments: list[dict[str, Any]] = []
    elders: list[tuple[str, int, str]] = []
    visits = visit_state.visit_facts(
        (r, e or "", s, p) for r, _i, _t, _g, s, p, e in part.heads if r in ("visit", "referral"))
    for record_type, record_id, township_id, grade, status, payload, _elder in part.heads:
        if record_type in ("visit", "referral"):
            continue
        if record_type == "elder":
            elders.append((record_id, township_id, payload))
        else:
            row = assessment_row(record_id, township_id, grade, str(status), payload)
            if row is not None:
                assessments.append(row)
    current: dict[str, dict[str, Any]] = {}
    for row in assessments:
        if row["status"] == "finalized":
            held = current.get(row["elder_id"])
            if held is None or _order(row) > _order(held):
                current[row["elder_id"]] = row
    places = {e: t for e, t, _ in elders}
    for row in assessments:
        row["elder_township"] = places.get(row["elder_id"])
    payloads = [stored_object(p) for _e, _t, p in elders]  # each parsed once
    rows = [{**elder_row(e, t, payload, left.get(e), current.get(e)),
             **visits.get(e, visit_state.NO_VISITS)}
            for (e, t, _p), payload in zip(elders, payloads, strict=True)]
    visit_state.visit_columns(plan, today, rows, [elder_attributes(p) for p in payloads])
    return PartRows(assessments, rows)


def remove_part(conn: Connection, ids: Sequence[str]) -> None:
    """Remove the state rows of the elders ``ids`` (before their rows are written again)."""
    conn.execute(delete(elder_state).where(among(conn, elder_state.c.elder_id, ids)))
    conn.execute(delete(assessment_state).where(among(conn, assessment_state.c.elder_id, ids)))


def write_part(conn: Connection, rows: PartRows) -> None:
    """Insert a part's state rows (its elders' old rows removed)."""
    insert_rows(conn, assessment_state, rows.assessments)
    insert_rows(conn, elder_state, rows.elders)


def plan_today(conn: Connection) -> tuple[VisitPlan, date]:
    """The county's visit plan in force today, and today."""
    today = date.today()
    return visit_state.plans(conn).in_force(today), today


def _refresh_part(conn: Connection, ids: Sequence[str]) -> None:
    rows = part_rows(read_part(conn, ids), *plan_today(conn))
    remove_part(conn, ids)
    write_part(conn, rows)


def rebuild(conn: Connection) -> None:
    """Fill both tables from every head (migration 0007), :data:`BATCH` elders at a time."""
    conn.execute(delete(assessment_state))
    conn.execute(delete(elder_state))
    h = record_heads.c
    after = ""
    while True:
        ids = [str(e) for (e,) in conn.execute(
            select(h.elder_id).where(h.elder_id.is_not(None), h.elder_id > after)
            .group_by(h.elder_id).order_by(h.elder_id).limit(BATCH))]
        if not ids:
            return
        _refresh_part(conn, ids)
        after = ids[-1]
