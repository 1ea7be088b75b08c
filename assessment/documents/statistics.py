"""Statistics for supervisors: per township and village, vectorized with pandas.

The input is plain DataFrames, so the same code serves the laptop's store
(:mod:`assessment.documents.frames`) and the county server's database.

``elders`` — one row per elder:

=================  =====================================================================
column             content
=================  =====================================================================
``elder_id``       record id (str)
``name``           姓名 (optional; only the due list shows it)
``township``       乡镇（街道） (str or missing)
``village``        村（社区） (str or missing)
``sex``            ``男`` / ``女`` (or missing)
``birth_date``     date (datetime64 or ``date`` objects; missing = unknown age)
``current_grade``  final grade 0–4 of the current assessment (missing = never assessed)
``last_assessed``  评估基准日期 of the current assessment (optional)
``due_on``         next routine re-assessment date (optional; else last_assessed + interval)
=================  =====================================================================

``assessments`` — one row per finalized (or superseded) assessment: ``assessment_id``,
``elder_id``, ``reference_date`` (A.1.2), ``reason`` (A.1.3 text), ``final_grade``.

``eligibility`` (optional) — one row per elder indexed like ``elders`` (or with an
``elder_id`` column), one column per service item id holding ``eligible`` /
``not_eligible`` / ``undetermined`` (missing = not applicable): exactly the eligibility
engine's ``BatchResult.results_frame()``. ``item_names`` maps item ids to names.

Every table has Chinese column labels, ready for the screen and the Excel export, and ends with
a 合计 row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from assessment.forms import Form, default_form

TOWNSHIP = "乡镇（街道）"
VILLAGE = "村（社区）"
TOTAL = "合计"
UNKNOWN_AREA = "（未登记）"
NEVER = "未评估"
AGE_BANDS = ("60–69岁", "70–79岁", "80–89岁", "90岁及以上")
SEXES = ("男", "女")
OTHER_AGE_SEX = "其他（未满60岁或年龄、性别不详）"
RESULT_LABELS = {"eligible": "符合", "undetermined": "待核实", "not_eligible": "不符合"}
REASONS = ("首次评估", "常规评估", "即时评估", "因对评估结果有疑问进行的复评", "其他")
DUE_NOW = "已到期"
DUE_SOON = "30天内到期"
VISIT_RATE_TITLE = "月探访率"


@dataclass(frozen=True, slots=True)
class StatisticsInput:
    """The frames statistics are computed from (see the module docstring)."""

    elders: pd.DataFrame
    assessments: pd.DataFrame
    eligibility: pd.DataFrame | None = None
    item_names: Mapping[str, str] = field(default_factory=dict)
    # 探访关爱: the monthly visit rate table of the as-of month
    # (:func:`assessment.visits.measure.monthly_measure`), when the caller has visits.
    visit_rate: pd.DataFrame | None = None


@dataclass(frozen=True, slots=True)
class Statistics:
    """All tables, each with Chinese labels; ``tables()`` names them for sheets and tabs."""

    as_of: date
    period: tuple[date | None, date | None]
    grades: pd.DataFrame
    age_sex: pd.DataFrame
    eligibility: pd.DataFrame
    eligibility_summary: pd.DataFrame
    assessments: pd.DataFrame
    due: pd.DataFrame
    due_list: pd.DataFrame
    visit_rate: pd.DataFrame | None = None

    def tables(self) -> dict[str, pd.DataFrame]:
        """Title → table, in display order (titles are valid Excel sheet names)."""
        visits = {} if self.visit_rate is None else {VISIT_RATE_TITLE: self.visit_rate}
        return {
            "能力等级": self.grades,
            "年龄与性别": self.age_sex,
            "服务项目符合人数": self.eligibility,
            "服务项目汇总": self.eligibility_summary,
            "期间评估": self.assessments,
            "复评到期": self.due,
            "复评到期名单": self.due_list,
            **visits,
        }


@dataclass(frozen=True, slots=True)
class _Areas:
    """Each elder's (township, village) as one integer code, and the sorted pairs."""

    codes: np.ndarray
    labels: pd.DataFrame  # TOWNSHIP, VILLAGE columns, one row per code

    @property
    def count(self) -> int:
        return len(self.labels)


def _text_column(frame: pd.DataFrame, name: str) -> np.ndarray:
    if name not in frame.columns:
        return np.full(len(frame), UNKNOWN_AREA, dtype=object)
    return frame[name].astype("string").fillna(UNKNOWN_AREA).to_numpy(dtype=object)


def _areas(elders: pd.DataFrame) -> _Areas:
    township_codes, townships = pd.factorize(_text_column(elders, "township"), sort=True)
    village_codes, villages = pd.factorize(_text_column(elders, "village"), sort=True)
    pair = township_codes.astype(np.int64) * max(1, len(villages)) + village_codes
    unique_pairs, codes = np.unique(pair, return_inverse=True)
    width = max(1, len(villages))
    labels = pd.DataFrame({
        TOWNSHIP: np.asarray(townships, dtype=object)[unique_pairs // width],
        VILLAGE: np.asarray(villages, dtype=object)[unique_pairs % width],
    })
    return _Areas(codes.astype(np.int64), labels)


def _counts(areas: _Areas, area_codes: np.ndarray, category: np.ndarray,
            labels: list[str]) -> pd.DataFrame:
    """Counts of ``category`` (codes 0..len(labels)-1; -1 is not counted) per area, with a
    合计 column and a 合计 row."""
    width = len(labels)
    keep = category >= 0
    flat = np.bincount(area_codes[keep] * width + category[keep],
                       minlength=areas.count * width)
    table = pd.DataFrame(flat.reshape(areas.count, width), columns=pd.Index(labels))
    return _with_totals(areas.labels, table)


def _with_totals(labels: pd.DataFrame, table: pd.DataFrame, *, total_column: bool = True,
                 ) -> pd.DataFrame:
    """Area columns + counts (+ 合计 column), then the 合计 row."""
    table = table.astype(np.int64)
    if total_column:
        table[TOTAL] = table.sum(axis=1)
    flat = pd.concat([labels.reset_index(drop=True), table.reset_index(drop=True)], axis=1)
    row = {TOWNSHIP: TOTAL, VILLAGE: "", **{k: int(v) for k, v in table.sum().items()}}
    return pd.concat([flat, pd.DataFrame([row])], ignore_index=True)


def _days(values: pd.Series) -> np.ndarray:
    """Dates as int64 days since 1970-01-01 (unknown → the smallest int64)."""
    converted = pd.to_datetime(values, errors="coerce")
    return converted.to_numpy(dtype="datetime64[D]").astype(np.int64)


def ages_on(birth: pd.Series, as_of: date) -> np.ndarray:
    """Whole years (周岁) on ``as_of``; -1 where the birth date is unknown."""
    converted = pd.to_datetime(birth, errors="coerce")
    known = converted.notna().to_numpy()
    years = converted.dt.year.to_numpy(dtype=np.float64, na_value=np.nan)
    month_day = (converted.dt.month * 100 + converted.dt.day).to_numpy(dtype=np.float64,
                                                                       na_value=np.nan)
    age = as_of.year - years - (month_day > as_of.month * 100 + as_of.day)
    return np.where(known, np.nan_to_num(age, nan=-1), -1).astype(np.int64)


def age_band_codes(ages: np.ndarray) -> np.ndarray:
    """0–3 for 60–69 … 90+; -1 under 60 or unknown."""
    return np.where(ages >= 60, np.minimum((ages - 60) // 10, 3), -1)


def _grades(elders: pd.DataFrame) -> pd.Series:
    if "current_grade" not in elders.columns:
        return pd.Series(np.nan, index=elders.index)
    return pd.to_numeric(elders["current_grade"], errors="coerce")


def _grade_table(elders: pd.DataFrame, areas: _Areas, form: Form) -> pd.DataFrame:
    names = [band.name for band in form.grades] + [NEVER]
    codes = _grades(elders).fillna(len(names) - 1).to_numpy(dtype=np.int64)
    return _counts(areas, areas.codes, codes, names)


def _age_sex_table(elders: pd.DataFrame, areas: _Areas, as_of: date) -> pd.DataFrame:
    labels = [f"{band} {sex}" for band in AGE_BANDS for sex in SEXES] + [OTHER_AGE_SEX]
    n = len(elders)
    bands = (age_band_codes(ages_on(elders["birth_date"], as_of)) if "birth_date" in elders
             else np.full(n, -1))
    sex = elders["sex"].to_numpy(dtype=object) if "sex" in elders else np.full(n, None)
    sex_code = np.where(sex == SEXES[0], 0, np.where(sex == SEXES[1], 1, -1))
    codes = np.where((bands >= 0) & (sex_code >= 0), bands * 2 + sex_code, len(labels) - 1)
    return _counts(areas, areas.codes, codes.astype(np.int64), labels)


def _result_codes(column: pd.Series) -> np.ndarray:
    """0 eligible, 1 undetermined, 2 not eligible, -1 not applicable / unknown."""
    order = list(RESULT_LABELS)
    if isinstance(column.dtype, pd.CategoricalDtype):
        lookup = np.array([order.index(c) if c in order else -1
                           for c in column.cat.categories] + [-1], dtype=np.int64)
        return lookup[column.cat.codes.to_numpy()]
    codes, uniques = pd.factorize(column.astype("string"))
    lookup = np.array([order.index(u) if u in order else -1 for u in uniques] + [-1],
                      dtype=np.int64)
    return lookup[codes]


def _eligibility_tables(elders: pd.DataFrame, areas: _Areas,
                        source: StatisticsInput) -> tuple[pd.DataFrame, pd.DataFrame]:
    frame = source.eligibility
    summary_columns = ["项目编号", "服务项目", *RESULT_LABELS.values()]
    if frame is None or frame.empty:
        return _with_totals(areas.labels, pd.DataFrame(index=areas.labels.index),
                            total_column=False), pd.DataFrame(columns=summary_columns)
    if "elder_id" in frame.columns:
        frame = frame.set_index("elder_id")
    ids = elders["elder_id"].astype(str) if "elder_id" in elders else elders.index.astype(str)
    frame = frame.reindex(pd.Index(ids))
    names = source.item_names
    counts: dict[str, np.ndarray] = {}
    summary = []
    for item in frame.columns:
        codes = _result_codes(frame[item])
        eligible = codes == 0
        counts[f"{item} {names.get(str(item), '')}".strip()] = np.bincount(
            areas.codes[eligible], minlength=areas.count)
        per_result = np.bincount(codes[codes >= 0], minlength=3)
        summary.append([item, names.get(str(item), ""), *map(int, per_result)])
    table = pd.DataFrame(counts)
    return (_with_totals(areas.labels, table, total_column=False),
            pd.DataFrame(summary, columns=summary_columns))


def _assessment_table(elders: pd.DataFrame, areas: _Areas, assessments: pd.DataFrame,
                      start: date | None, end: date | None) -> pd.DataFrame:
    labels = list(REASONS)
    if assessments.empty:
        return _counts(areas, np.zeros(0, np.int64), np.zeros(0, np.int64), labels)
    day = _days(assessments["reference_date"])
    keep = day > np.iinfo(np.int64).min
    if start is not None:
        keep &= day >= (start - date(1970, 1, 1)).days
    if end is not None:
        keep &= day <= (end - date(1970, 1, 1)).days
    position = pd.Index(elders["elder_id"].astype(str)).get_indexer(
        pd.Index(assessments["elder_id"].astype(str)))
    keep &= position >= 0
    reason = assessments["reason"] if "reason" in assessments else pd.Series("其他")
    mapping = {text: i for i, text in enumerate(REASONS)}
    codes = reason.map(mapping).fillna(len(REASONS) - 1).to_numpy(dtype=np.int64)
    return _counts(areas, areas.codes[position[keep]], codes[keep], labels)


def _due_dates(elders: pd.DataFrame, interval_months: int) -> pd.Series:
    if "due_on" in elders:
        return pd.to_datetime(elders["due_on"], errors="coerce")
    if "last_assessed" in elders:
        last = pd.to_datetime(elders["last_assessed"], errors="coerce")
        return last + pd.DateOffset(months=interval_months)
    return pd.Series(pd.NaT, index=elders.index, dtype="datetime64[ns]")


def _due_tables(elders: pd.DataFrame, areas: _Areas, as_of: date,
                interval_months: int, form: Form) -> tuple[pd.DataFrame, pd.DataFrame]:
    due = _due_dates(elders, interval_months)
    due_days = _days(due)
    known = due_days > np.iinfo(np.int64).min
    today = (as_of - date(1970, 1, 1)).days
    grade = _grades(elders)
    never = grade.isna().to_numpy()
    codes = np.where(known & (due_days <= today), 0,
                     np.where(known & (due_days <= today + 30), 1, np.where(never, 2, -1)))
    table = _counts(areas, areas.codes, codes.astype(np.int64), [DUE_NOW, DUE_SOON, NEVER])
    pick = np.flatnonzero(codes == 0)
    names = {band.grade: band.name for band in form.grades}
    last = (pd.to_datetime(elders["last_assessed"], errors="coerce") if "last_assessed" in elders
            else pd.Series(pd.NaT, index=elders.index, dtype="datetime64[ns]"))
    listing = pd.DataFrame({
        TOWNSHIP: areas.labels[TOWNSHIP].to_numpy()[areas.codes[pick]],
        VILLAGE: areas.labels[VILLAGE].to_numpy()[areas.codes[pick]],
        "姓名": (elders["name"].to_numpy(dtype=object)[pick] if "name" in elders
               else np.full(len(pick), "", dtype=object)),
        "当前能力等级": grade.iloc[pick].map(names).to_numpy(dtype=object),
        "上次评估基准日期": last.iloc[pick].dt.date.to_numpy(),
        "复评到期日": due.iloc[pick].dt.date.to_numpy(),
    })
    listing = listing.sort_values([TOWNSHIP, VILLAGE, "复评到期日"], kind="stable")
    return table, listing.reset_index(drop=True)


def _on_roll(elders: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """The elders on the roll on ``as_of`` (all when the frame has no ``left_on``)."""
    if "left_on" not in elders:
        return elders
    left = pd.to_datetime(elders["left_on"], errors="coerce")
    keep = (left.isna() | (left > pd.Timestamp(as_of))).to_numpy()
    return elders if keep.all() else elders[keep].reset_index(drop=True)


def compute_statistics(source: StatisticsInput, *, as_of: date | None = None,
                       start: date | None = None, end: date | None = None,
                       interval_months: int = 12, form: Form | None = None) -> Statistics:
    """Every statistics table on ``as_of`` (default today); the assessment counts cover
    ``start``–``end`` (inclusive, open when None)."""
    as_of = as_of or date.today()
    form = form or default_form()
    everyone = source.elders.reset_index(drop=True)
    # Current figures count the elders on the roll on ``as_of``; the period's assessments
    # count everyone assessed then (assessment.registry.status.is_active_on).
    elders = _on_roll(everyone, as_of)
    areas = _areas(elders)
    eligibility, summary = _eligibility_tables(elders, areas, source)
    due, due_list = _due_tables(elders, areas, as_of, interval_months, form)
    return Statistics(
        as_of=as_of,
        period=(start, end),
        grades=_grade_table(elders, areas, form),
        age_sex=_age_sex_table(elders, areas, as_of),
        eligibility=eligibility,
        eligibility_summary=summary,
        assessments=_assessment_table(everyone, _areas(everyone), source.assessments,
                                      start, end),
        due=due,
        due_list=due_list,
        visit_rate=source.visit_rate,
    )


def default_period(as_of: date) -> tuple[date, date]:
    """The calendar year to ``as_of``: the usual reporting period."""
    return date(as_of.year, 1, 1), as_of


def _summed(tables: Sequence[pd.DataFrame], *, total_column: bool) -> pd.DataFrame:
    """Count tables of disjoint sets of elders (each with its 合计 row, and 合计 column when
    ``total_column``) as one: the counts summed per area, areas in the order
    :func:`_areas` gives them, the totals computed again."""
    bodies = [t.iloc[:-1] for t in tables]
    areas = {TOWNSHIP, VILLAGE, *([TOTAL] if total_column else [])}
    counts: list[str] = []
    for body in bodies:
        counts.extend(c for c in body.columns if c not in areas and c not in counts)
    joined = pd.concat([b.reindex(columns=[TOWNSHIP, VILLAGE, *counts], fill_value=0)
                        for b in bodies], ignore_index=True)
    sums = joined.groupby([TOWNSHIP, VILLAGE], sort=True)[counts].sum()
    labels = sums.index.to_frame(index=False)
    return _with_totals(labels, sums.reset_index(drop=True), total_column=total_column)


def combine_statistics(parts: Sequence[Statistics]) -> Statistics:
    """The statistics of the union of disjoint sets of elders (each with its own
    assessments), from those of each set, computed with the same options: every count
    summed per area (or per item), the due list merged in the order one computation over
    all elders gives when the parts come in the elders' order. This is how the county
    computes its workbook in bounded memory, a part of its elders at a time."""
    if not parts:
        raise ValueError("no statistics to combine")
    first = parts[0]
    if len(parts) == 1:
        return first
    summaries = [p.eligibility_summary for p in parts if len(p.eligibility_summary)]
    summary = first.eligibility_summary
    if summaries:
        keys = ["项目编号", "服务项目"]
        results = list(RESULT_LABELS.values())
        summary = (pd.concat(summaries, ignore_index=True)
                   .groupby(keys, sort=False)[results].sum().reset_index())
        summary[results] = summary[results].astype(np.int64)
    due_list = pd.concat([p.due_list for p in parts], ignore_index=True).sort_values(
        [TOWNSHIP, VILLAGE, "复评到期日"], kind="stable").reset_index(drop=True)
    return Statistics(
        as_of=first.as_of, period=first.period,
        grades=_summed([p.grades for p in parts], total_column=True),
        age_sex=_summed([p.age_sex for p in parts], total_column=True),
        eligibility=_summed([p.eligibility for p in parts], total_column=False),
        eligibility_summary=summary,
        assessments=_summed([p.assessments for p in parts], total_column=True),
        due=_summed([p.due for p in parts], total_column=True),
        due_list=due_list, visit_rate=first.visit_rate)
