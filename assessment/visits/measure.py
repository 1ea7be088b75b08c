"""The plan and the measure over plain frames, for the laptop and the county alike.

``elders`` — one row per elder of the registry: ``elder_id``, ``name``, ``township``,
``village``, ``birth_date``, ``sex``, ``current_grade`` and, in ``attributes``, the stored
service-list attributes (a list of dicts in row order). Elders that left the registry
(deregistered, transferred away) are left out by the caller.

``visits`` — one row per visit record: ``visit_id``, ``elder_id``, ``visit_date`` (date).
``referrals`` — one row per referral, latest version: ``referral_id``, ``elder_id``,
``status`` (``open`` / ``closed``).

The monthly visit rate of a month is, among the elders in the plan (a tier, or 待核实), the
share with at least one visit dated in that month: the national figure (target 100 %).

Who is in the plan in a past month is computed from what the records keep as of that month:
registry status (the day an elder left the roll), capability grade (the assessment current
then) and the plan version in force. The service-list attributes (居住情况, 救助类别 …) are
stored as they are now, without history, so a past month uses today's values; every table
says so (:data:`MEASURE_BASIS`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from assessment.visits.plan import VisitPlan
from assessment.visits.schedule import STATUS_LABELS, month_bounds, visit_status
from assessment.visits.tierbatch import batch_tiers, read_keys, tier_frame

TOWNSHIP = "乡镇（街道）"
VILLAGE = "村（社区）"
UNKNOWN_AREA = "（未登记）"
SUBTOTAL = "小计"
TOTAL = "合计"
DUE_COLUMNS = (TOWNSHIP, VILLAGE, "姓名", "分级", "探访频次", "探访方式", "状态", "最近探访",
               "应于此日前探访", "建议即时评估", "需核实")
MEASURE_BASIS = ("应探访人数按该月末（当月为统计当日）的在册状态、能力等级和施行中的探访计划分级；"
                 "居住情况、救助类别、计划生育特殊家庭等属性未保存历史，按当前记录计算，"
                 "过去月份的分级可能与当时不同。")
"""How a month's figures are computed, shown with every rate table (screen and workbooks)."""
RATE_COLUMNS = (TOWNSHIP, VILLAGE, "应探访人数", "本月已探访人数", "月探访率（%）",
                "逾期未探访", "从未探访", "转介未办结", "转介已办结")


@dataclass(frozen=True, slots=True)
class PlanRow:
    """One elder in the plan on a date."""

    elder_id: str
    name: str
    township: str
    village: str
    tier: str
    frequency: str
    methods: str
    status: str
    status_label: str
    last_visit: dt.date | None
    due_by: dt.date
    reassess: str
    ask: str

    def cells(self) -> tuple[Any, ...]:
        """The row as :data:`DUE_COLUMNS`."""
        return (self.township, self.village, self.name, self.tier, self.frequency, self.methods,
                self.status_label, self.last_visit.isoformat() if self.last_visit else "",
                self.due_by.isoformat(), self.reassess, self.ask)


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) and value.strip() else UNKNOWN_AREA


def stored_profile(row: Any, attributes: dict[str, Any]) -> dict[str, Any]:
    """An elder's profile as the tier rules read it: the stored attributes with the birth
    date, sex and current grade of the elder's row (a registry frame row)."""
    data = {k: v for k, v in attributes.items() if v is not None}
    birth, sex, grade = row.birth_date, row.sex, row.current_grade
    if isinstance(birth, dt.date):
        data["birth_date"] = birth.isoformat()[:10]
    if isinstance(sex, str):
        data["sex"] = sex
    if grade is not None and grade == grade:
        data["capability_grade"] = int(grade)
    return data


def last_visits(visits: pd.DataFrame, as_of: dt.date) -> dict[str, dt.date]:
    """Each elder's latest visit date on or before ``as_of``."""
    if visits.empty:
        return {}
    days = pd.to_datetime(visits["visit_date"]).dt.date
    kept = visits.assign(day=days)[days <= as_of]
    return {str(k): v for k, v in kept.groupby("elder_id")["day"].max().items()}


def plan_rows(elders: pd.DataFrame, attributes: Sequence[dict[str, Any]], visits: pd.DataFrame,
              plan: VisitPlan, as_of: dt.date, *, reassess: dict[str, str] | None = None,
              village: str | None = None) -> list[PlanRow]:
    """Every elder in the plan on ``as_of`` (of one village when given), with the status.

    Undetermined elders are listed with the highest frequency of the plan's tiers (ask
    first, visit as if high risk). ``reassess`` maps elder ids to a pending proposal text.
    The tiers are computed for all elders in one pass (:mod:`assessment.visits.tierbatch`).
    """
    latest = last_visits(visits, as_of)
    strictest = plan.tiers[0]
    records = list(elders.itertuples(index=False))
    chosen = [n for n, row in enumerate(records)
              if village is None or _text(row.village) == village]
    profiles = [stored_profile(records[n], attributes[n]) for n in chosen]
    frame = tier_frame(profiles, plan.vocabulary, as_of, read_keys(plan))
    tiers = batch_tiers(plan, as_of, frame)
    in_plan = tiers.in_plan
    rows: list[PlanRow] = []
    for position, index in enumerate(chosen):
        if not in_plan[position]:
            continue
        row = records[index]
        place = _text(row.village)
        tiered = tiers.result(position)
        tier = tiered.tier or strictest
        last = latest.get(str(row.elder_id))
        status = visit_status(tier.frequency, last, as_of)
        rows.append(PlanRow(
            str(row.elder_id), str(row.name or ""), _text(row.township), place, tiered.label,
            tier.frequency_label, "、".join(tier.methods), status.code, status.label, last,
            status.due_by, (reassess or {}).get(str(row.elder_id), ""),
            "、".join(tiered.missing)))
    order = {"overdue": 0, "never": 1, "due": 2, "done": 3}
    rows.sort(key=lambda r: (r.township, r.village, order[r.status], r.due_by, r.name))
    return rows


def due_frame(rows: Sequence[PlanRow]) -> pd.DataFrame:
    """The plan as a table with Chinese headers."""
    return pd.DataFrame([r.cells() for r in rows], columns=list(DUE_COLUMNS))


def _counts(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    sums = frame.groupby(keys, sort=True)[list(RATE_COLUMNS[2:])].sum()
    return sums.reset_index()


def monthly_measure(elders: pd.DataFrame, attributes: Sequence[dict[str, Any]],
                    visits: pd.DataFrame, referrals: pd.DataFrame, plan: VisitPlan,
                    month: str, *, today: dt.date | None = None) -> pd.DataFrame:
    """Per village, with township subtotals and the county total: the elders to visit, those
    visited in ``month``, the monthly visit rate, overdue and never-visited counts (on the
    month's last day, or today within the current month) and open/closed referrals."""
    first, last = month_bounds(month)
    today = today or dt.date.today()
    as_of = min(last, today) if first <= today else last
    rows = plan_rows(elders, attributes, visits, plan, as_of)
    in_month: set[str] = set()
    if not visits.empty:
        days = pd.to_datetime(visits["visit_date"]).dt.date
        in_month = {str(e) for e in visits.loc[(days >= first) & (days <= last), "elder_id"]}
    places = {str(e): (_text(t), _text(v)) for e, t, v in
              zip(elders["elder_id"], elders["township"], elders["village"], strict=True)}
    open_refs = closed_refs = pd.Series(dtype="int64")
    if not referrals.empty:
        status = referrals["status"].astype(str)
        open_refs = referrals.loc[status == "open", "elder_id"].astype(str).value_counts()
        closed_refs = referrals.loc[status == "closed", "elder_id"].astype(str).value_counts()
    planned = pd.DataFrame({
        TOWNSHIP: [r.township for r in rows], VILLAGE: [r.village for r in rows],
        "应探访人数": 1, "本月已探访人数": [int(r.elder_id in in_month) for r in rows],
        "逾期未探访": [int(r.status == "overdue") for r in rows],
        "从未探访": [int(r.status == "never") for r in rows],
        "转介未办结": 0, "转介已办结": 0, "月探访率（%）": 0.0,
    }, columns=list(RATE_COLUMNS))
    referral_rows = [
        {TOWNSHIP: places.get(e, (UNKNOWN_AREA, UNKNOWN_AREA))[0],
         VILLAGE: places.get(e, (UNKNOWN_AREA, UNKNOWN_AREA))[1], "应探访人数": 0,
         "本月已探访人数": 0, "逾期未探访": 0, "从未探访": 0,
         "转介未办结": int(open_refs.get(e, 0)), "转介已办结": int(closed_refs.get(e, 0)),
         "月探访率（%）": 0.0}
        for e in sorted(set(open_refs.index) | set(closed_refs.index))]
    frame = pd.concat([planned, pd.DataFrame(referral_rows, columns=list(RATE_COLUMNS))],
                      ignore_index=True) if referral_rows else planned
    return measure_table(frame, month, as_of, plan)


def measure_table(frame: pd.DataFrame, month: str, as_of: dt.date,
                  plan: VisitPlan) -> pd.DataFrame:
    """The rate table of :func:`monthly_measure` from ``frame``: rows of
    :data:`RATE_COLUMNS` whose counts are summed per village (one row per elder, or counts
    already summed per village, as the county reads them from its current state)."""
    villages = _counts(frame, [TOWNSHIP, VILLAGE])
    parts: list[pd.DataFrame] = []
    for township, group in villages.groupby(TOWNSHIP, sort=True):
        parts.append(group)
        subtotal = group[list(RATE_COLUMNS[2:])].sum().to_frame().T
        subtotal.insert(0, VILLAGE, SUBTOTAL)
        subtotal.insert(0, TOWNSHIP, township)
        parts.append(subtotal)
    total = frame[list(RATE_COLUMNS[2:])].sum().to_frame().T
    total.insert(0, VILLAGE, "")
    total.insert(0, TOWNSHIP, TOTAL)
    parts.append(total)
    table = pd.concat(parts, ignore_index=True)[list(RATE_COLUMNS)]
    counts = list(RATE_COLUMNS[2:4]) + list(RATE_COLUMNS[5:])
    table[counts] = table[counts].astype("int64")
    planned_n = table["应探访人数"].to_numpy()
    visited_n = table["本月已探访人数"].to_numpy()
    rate = [round(100.0 * v / p, 1) if p else None for v, p in zip(visited_n, planned_n,
                                                                    strict=True)]
    table["月探访率（%）"] = pd.Series(rate, dtype="Float64")
    table.attrs["month"] = month
    table.attrs["as_of"] = as_of.isoformat()
    table.attrs["target_rate"] = plan.target_rate
    table.attrs["basis"] = MEASURE_BASIS
    return table


__all__ = ["DUE_COLUMNS", "MEASURE_BASIS", "RATE_COLUMNS", "STATUS_LABELS", "PlanRow",
           "due_frame", "last_visits", "measure_table", "monthly_measure", "plan_rows"]
