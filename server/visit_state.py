"""探访关爱 in the county's current state: what the monthly visit figures need per elder,
kept in ``elder_state`` so that the dashboard's visit figures are SQL aggregates.

Per elder (columns of ``elder_state``):

* ``last_visit`` — the latest visit date of its ``visit`` heads (any date);
* ``referrals_open`` / ``referrals_closed`` — its ``referral`` heads by status;
* ``visit_plan``, ``visit_tier``, ``visit_undetermined`` — its tier (position in the plan,
  -1 none; 待核实) under plan version ``visit_plan``, computed with the plan's own rules
  (:func:`assessment.visits.tierbatch.batch_tiers`) from the row's attributes, birth date,
  sex and current grade;
* ``tier_from`` / ``tier_until`` — the days the tier holds for: a tier depends on the date
  only through the elder's whole-year age (the list language's one date-dependent input,
  ``age`` from ``birth_date``; the plan in force is keyed by ``visit_plan``), so it is valid
  from the day it was computed to the day before the next birthday (29 February counts on
  1 March in common years, as :func:`assessment.eligibility.frames.age_column` does).

Ingest and transfers refresh these with the rest of the row (:mod:`server.current_state`,
same transaction: a visit, referral, profile, assessment or lifecycle head of the elder).
What dates or a new plan version make stale is recomputed when asked
(:func:`visit_counts`): the rows whose tier is not valid for the day counted under the plan
in force then are read and tiered in batches of :data:`BATCH`; on PostgreSQL they are written
back in their own short transaction (a new plan version or a birthday costs one pass, not
one per request); on SQLite (the pilot's single writer) they are computed for the request.
The pass after a new plan version is the whole county: 14 s at 200,000 elders (about a
minute at 1,000,000) for the first dashboard or workbook that asks, then a birthday's share
a day (about 0.3 % of the elders).

The figures are those of :func:`assessment.visits.measure.monthly_measure` over the elders on
the roll on the day counted, with the current grades: the state path serves a month whose day
counted is today or later (the dashboard's and the workbook's month). A past month needs the
grades current then and keeps the frame computation (:mod:`server.visit_stats`).

A visit dated after the day counted does not count as the latest visit on that day but does
count as a visit in the month; the few elders whose ``last_visit`` lies after the day counted
are therefore handled from their visit heads, in Python, like stale tiers.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import Connection, and_, case, func, literal, or_, select, update
from sqlalchemy.types import Date

from assessment.storedjson import stored_object
from assessment.visits.measure import RATE_COLUMNS, stored_profile
from assessment.visits.plan import VisitPlan
from assessment.visits.schedule import period_of, visit_status
from assessment.visits.synced import visit_day
from assessment.visits.tierbatch import NO_TIER, batch_tiers, read_keys, tier_frame
from server.db.engine import is_sqlite
from server.db.tables import elder_state, record_heads, visit_plan_versions

log = logging.getLogger("server.visit_state")
BATCH = 5000
FOREVER = dt.date(9999, 12, 31)
_PLANS: dict[tuple[object, ...], Any] = {}
NO_VISITS: dict[str, Any] = {"last_visit": None, "referrals_open": 0, "referrals_closed": 0}


def plans(conn: Connection) -> Any:
    """The county's plan registry (:func:`server.visit_plans.county_plans`), kept while no
    version is published."""
    from server.visit_plans import county_plans

    v = visit_plan_versions.c
    key = (conn.engine.url.render_as_string(hide_password=True),
           *conn.execute(select(func.count(), func.max(v.id))).one())
    held = _PLANS.get(key)
    if held is None:
        held = county_plans(conn)
        _PLANS.clear()
        _PLANS[key] = held
    return held


def _birthday(year: int, birth: dt.date) -> dt.date:
    """The day the age increases in ``year`` (29 February → 1 March in common years)."""
    try:
        return dt.date(year, birth.month, birth.day)
    except ValueError:
        return dt.date(year, 3, 1)


def tier_until(birth: dt.date | None, on: dt.date) -> dt.date:
    """The last day a tier computed on ``on`` holds: the day before the next birthday after
    ``on`` (may be early for a birth date after ``on``: recomputing early is harmless)."""
    if birth is None:
        return FOREVER
    following = _birthday(on.year, birth)
    if following <= on:
        following = _birthday(on.year + 1, birth)
    return following - dt.timedelta(days=1)


@dataclass(frozen=True, slots=True)
class _Profile:
    birth_date: dt.date | None
    sex: str | None
    current_grade: float | None


def tiers(plan: VisitPlan, on: dt.date,
          rows: Sequence[tuple[dt.date | None, str | None, Any, dict[str, Any]]]
          ) -> list[tuple[int, bool]]:
    """(tier position or -1, undetermined) of each (birth date, sex, grade, attributes) on
    ``on``: the plan's rules over the profile :func:`~assessment.visits.measure.plan_rows`
    builds."""
    if not rows:
        return []
    profiles = [stored_profile(_Profile(b, s, None if g is None else float(g)), a)
                for b, s, g, a in rows]
    frame = tier_frame(profiles, plan.vocabulary, on, read_keys(plan))
    found = batch_tiers(plan, on, frame)
    return [(int(i), bool(u)) for i, u in zip(found.index, found.undetermined, strict=True)]


def visit_columns(plan: VisitPlan, on: dt.date, rows: Sequence[dict[str, Any]],
                  attributes: Sequence[dict[str, Any]] | None = None) -> None:
    """Set the tier columns of new ``elder_state`` rows on ``on``, from their attributes
    (``attributes``, in row order, or else their ``attributes`` JSON)."""
    held = attributes if attributes is not None else [stored_object(r["attributes"]) for r in rows]
    found = tiers(plan, on, [(r["birth_date"], r["sex"], r["current_grade"], a)
                             for r, a in zip(rows, held, strict=True)])
    for row, (tier, undetermined) in zip(rows, found, strict=True):
        row.update(visit_plan=plan.ref, visit_tier=tier, visit_undetermined=undetermined,
                   tier_from=on, tier_until=tier_until(row["birth_date"], on))


def visit_facts(heads: Iterable[tuple[str, str, str | None, str]]
                ) -> dict[str, dict[str, Any]]:
    """Elder id → ``last_visit`` and referral counts, from (record type, elder id, status,
    payload) of its ``visit`` and ``referral`` heads (as :func:`server.visit_stats.
    read_visits` reads them)."""
    facts: dict[str, dict[str, Any]] = {}
    for record_type, elder_id, status, payload in heads:
        if not elder_id:
            continue
        held = facts.setdefault(elder_id, {"last_visit": None, "referrals_open": 0,
                                           "referrals_closed": 0})
        if record_type == "visit":
            day = visit_day(stored_object(payload))
            if day is not None and (held["last_visit"] is None or day > held["last_visit"]):
                held["last_visit"] = day
        elif status in ("open", "closed"):
            held[f"referrals_{status}"] += 1
    return facts


# --- the monthly figures ---------------------------------------------------------------------

COUNTS = RATE_COLUMNS[2:4] + RATE_COLUMNS[5:]  # the summed columns (not the rate)


def _on_roll(on: dt.date) -> Any:
    e = elder_state.c
    return or_(e.left_on.is_(None), e.left_on > on)


def _fresh(plan: VisitPlan, on: dt.date) -> Any:
    e = elder_state.c
    return and_(e.visit_plan == plan.ref, e.tier_from <= on, e.tier_until >= on,
                or_(e.last_visit.is_(None), e.last_visit <= on))


def _thresholds(plan: VisitPlan, on: dt.date) -> list[dt.date]:
    """Per tier: the first day of the previous period (a latest visit before it is
    overdue)."""
    found = []
    for tier in plan.tiers:
        start, _ = period_of(tier.frequency, on)
        found.append(period_of(tier.frequency, start - dt.timedelta(days=1))[0])
    return found


def visit_sums(plan: VisitPlan, month: tuple[dt.date, dt.date], on: dt.date) -> list[Any]:
    """The SQL sums of a grouped scan of ``elder_state`` on the roll on ``on``: the count
    columns of :data:`~assessment.visits.measure.RATE_COLUMNS` (labelled so) over the rows
    whose tier is fresh (:func:`_fresh`), and ``stale``, how many rows are not (for
    :func:`stale_rows`). The dashboard adds them to its grade counts (one scan)."""
    e = elder_state.c
    first, _last = month
    fresh = _fresh(plan, on)
    in_plan = and_(fresh, or_(e.visit_tier != NO_TIER, e.visit_undetermined.is_(True)))
    effective = case((e.visit_tier == NO_TIER, 0), else_=e.visit_tier)
    limits = _thresholds(plan, on)
    overdue_before = case(*((effective == i, literal(d, Date)) for i, d in enumerate(limits)),
                          else_=literal(limits[0], Date))

    def total(condition: Any, value: Any = 1) -> Any:
        return func.coalesce(func.sum(case((condition, value), else_=0)), 0)

    return [total(in_plan).label("应探访人数"),
            total(and_(in_plan, e.last_visit >= first)).label("本月已探访人数"),
            total(and_(in_plan, e.last_visit < overdue_before)).label("逾期未探访"),
            total(and_(in_plan, e.last_visit.is_(None))).label("从未探访"),
            total(fresh, e.referrals_open).label("转介未办结"),
            total(fresh, e.referrals_closed).label("转介已办结"),
            func.coalesce(func.sum(case((fresh, 0), else_=1)), 0).label("stale")]


def visit_counts(conn: Connection, plan: VisitPlan, month: tuple[dt.date, dt.date],
                 on: dt.date, *, by_village: bool) -> pd.DataFrame:
    """Per township id (and raw village with ``by_village``): the summed columns of
    :data:`~assessment.visits.measure.RATE_COLUMNS` over the elders on the roll on ``on``
    (``township_id``, ``village`` and the count columns)."""
    e = elder_state.c
    keys = [e.township_id, *([e.village] if by_village else [])]
    found = conn.execute(select(*keys, *visit_sums(plan, month, on))
                         .where(_on_roll(on)).group_by(*keys)).all()
    rows = [tuple(r)[:-1] for r in found]
    if any(r.stale for r in found):
        rows.extend(stale_rows(conn, plan, month, on, by_village=by_village))
    columns = ["township_id", *(["village"] if by_village else []), *COUNTS]
    return pd.DataFrame(rows, columns=columns)


def stale_rows(conn: Connection, plan: VisitPlan, month: tuple[dt.date, dt.date],
               on: dt.date, *, by_village: bool) -> list[tuple[Any, ...]]:
    """The rows (as :func:`visit_counts` gives them) the SQL sums leave out: stale tiers
    (recomputed, and written back on PostgreSQL) and latest visits after ``on`` (from the
    visit heads)."""
    e = elder_state.c
    found: list[tuple[Any, ...]] = []
    after = ""
    while True:
        part = conn.execute(
            select(e.elder_id, e.township_id, e.village, e.birth_date, e.sex,
                   e.current_grade, e.attributes, e.last_visit, e.referrals_open,
                   e.referrals_closed, e.visit_plan, e.visit_tier, e.visit_undetermined,
                   e.tier_from, e.tier_until)
            .where(_on_roll(on), ~_fresh(plan, on) | e.visit_plan.is_(None)
                   | e.tier_from.is_(None) | e.tier_until.is_(None), e.elder_id > after)
            .order_by(e.elder_id).limit(BATCH)).all()
        if not part:
            return found
        after = str(part[-1].elder_id)
        found.extend(_count_part(conn, plan, month, on, part, by_village))


def _count_part(conn: Connection, plan: VisitPlan, month: tuple[dt.date, dt.date],
                on: dt.date, part: Sequence[Any], by_village: bool) -> list[tuple[Any, ...]]:
    first, last = month
    valid = [r.visit_plan == plan.ref and (_day(r.tier_from) or FOREVER) <= on
             <= (_day(r.tier_until) or dt.date.min) for r in part]
    stale = [r for r, ok in zip(part, valid, strict=True) if not ok]
    parsed: dict[str, dict[str, Any]] = {}  # each distinct attribute content parsed once
    for r in stale:
        if r.attributes not in parsed:
            parsed[r.attributes] = stored_object(r.attributes)
    computed = dict(zip((str(r.elder_id) for r in stale), tiers(plan, on, [
        (_day(r.birth_date), r.sex, r.current_grade, parsed[r.attributes]) for r in stale]),
        strict=True))
    if stale:
        _write_back(conn, plan, on, stale, computed)
    future = [str(r.elder_id) for r in part if (_day(r.last_visit) or on) > on]
    visits = _visit_days(conn, future) if future else {}
    rows = []
    for row in part:
        elder = str(row.elder_id)
        tier, undetermined = computed.get(elder) or (int(row.visit_tier),
                                                     bool(row.visit_undetermined))
        planned = tier != NO_TIER or undetermined
        if elder in visits:
            days = visits[elder]
            before = [d for d in days if d <= on]
            latest = max(before) if before else None
            in_month = any(first <= d <= last for d in days)
        else:
            latest = _day(row.last_visit)
            in_month = latest is not None and first <= latest <= last
        status = visit_status(plan.tiers[max(tier, 0)].frequency, latest, on).code
        rows.append((int(row.township_id), *([row.village] if by_village else []),
                     int(planned), int(planned and in_month),
                     int(planned and status == "overdue"), int(planned and status == "never"),
                     int(row.referrals_open), int(row.referrals_closed)))
    return rows


def _day(value: Any) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _visit_days(conn: Connection, elders: list[str]) -> dict[str, list[dt.date]]:
    h = record_heads.c
    days: dict[str, list[dt.date]] = {e: [] for e in elders}
    for elder_id, payload in conn.execute(select(h.elder_id, h.payload).where(
            h.record_type == "visit", h.elder_id.in_(elders))):
        day = visit_day(stored_object(payload))
        if day is not None:
            days[str(elder_id)].append(day)
    return days


def _write_back(conn: Connection, plan: VisitPlan, on: dt.date, stale: Sequence[Any],
                computed: dict[str, tuple[int, bool]]) -> None:
    """Keep the recomputed tiers (PostgreSQL, own short transaction; skipped when rows are
    locked by an ingest in progress, and on SQLite)."""
    if is_sqlite(conn):
        return
    rows = [{"k": str(r.elder_id), "plan": plan.ref, "tier": computed[str(r.elder_id)][0],
             "und": computed[str(r.elder_id)][1], "from_": on,
             "until": tier_until(_day(r.birth_date), on)} for r in stale]
    from sqlalchemy import bindparam
    from sqlalchemy.exc import DBAPIError

    e = elder_state.c
    try:
        with conn.engine.begin() as writer:
            writer.exec_driver_sql("SET LOCAL lock_timeout = '500ms'")
            writer.execute(update(elder_state).where(e.elder_id == bindparam("k")).values(
                visit_plan=bindparam("plan"), visit_tier=bindparam("tier"),
                visit_undetermined=bindparam("und"), tier_from=bindparam("from_"),
                tier_until=bindparam("until")), rows)
    except DBAPIError as exc:  # busy: the next request tries again
        log.info("探访分级未回写（%s）", exc.__class__.__name__)
