"""探访关爱 jobs: the plan per village (due, overdue, never visited), its sheets, the measure.

Both the app and ``yinling visits`` call these; nothing here knows about Qt or the terminal.
The registry is read once per call from the open workspace: elders transferred to another
township are not this township's to visit and are left out, and so are elders not on the
roll on the day in question (deregistered or merged: the registry's one predicate). The tier
of every elder is computed from the plan in force and the elder's current attributes and
grade, so any change of those shows in the next plan.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import select

from assessment.documents.visit_sheet import write_tables_xlsx, write_visit_sheet_pdf
from assessment.registry.status import active_on
from assessment.visits.measure import PlanRow, due_frame, monthly_measure, plan_rows
from assessment.visits.plan import VisitPlan
from assessment.visits.schedule import month_bounds

Step = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class VisitPlanResult:
    """The plan on a date: the plan version used and one row per elder in it."""

    plan: VisitPlan
    as_of: dt.date
    rows: tuple[PlanRow, ...]

    def counts(self) -> dict[str, int]:
        """Status code → number of elders."""
        found = {"done": 0, "due": 0, "overdue": 0, "never": 0}
        for row in self.rows:
            found[row.status] += 1
        return found


def registry_frame(workspace: Any, as_of: dt.date) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """The elders this township visits on ``as_of`` — on the roll that day (not deregistered
    or merged: the registry's one predicate), not transferred away — and their attributes."""
    from assessment.records.schema import Elder

    with workspace.engine.connect() as conn:
        rows = conn.execute(select(
            Elder.id, Elder.name, Elder.township, Elder.village, Elder.sex, Elder.birth_date,
            Elder.current_grade, Elder.attributes,
        ).where(Elder.transferred_to.is_(None), active_on(Elder.left_on, as_of))).all()
    elders = pd.DataFrame([r[:7] for r in rows], columns=[
        "elder_id", "name", "township", "village", "sex", "birth_date", "current_grade"])
    return elders, [dict(r[7] or {}) for r in rows]


def visit_plan(workspace: Any, as_of: dt.date | None = None, *,
               village: str | None = None) -> VisitPlanResult:
    """Every elder in the plan on ``as_of`` (default today), of one village when given."""
    as_of = as_of or dt.date.today()
    book = workspace.visits
    plan = book.plan(as_of)
    elders, attributes = registry_frame(workspace, as_of)
    rows = plan_rows(elders, attributes, book.visit_frame(), plan, as_of,
                     reassess=book.reassessment_proposals(), village=village)
    return VisitPlanResult(plan, as_of, tuple(rows))


def visit_measure(workspace: Any, month: str, *, today: dt.date | None = None) -> pd.DataFrame:
    """The monthly visit rate per village/township/county with overdue and referral counts."""
    today = today or dt.date.today()
    book = workspace.visits
    plan = book.plan(today)
    _, last = month_bounds(month)
    elders, attributes = registry_frame(workspace, min(last, today))
    return monthly_measure(elders, attributes, book.visit_frame(), book.referral_frame(), plan,
                           month, today=today)


def export_visit_plan(result: VisitPlanResult, path: Path, *,
                      font_path: str | None = None) -> Path:
    """Write the plan as a PDF visit sheet (``.pdf``) or a workbook (``.xlsx``)."""
    if path.suffix.lower() == ".pdf":
        return write_visit_sheet_pdf(result.rows, result.plan, result.as_of, path, font_path)
    if path.suffix.lower() == ".xlsx":
        return write_tables_xlsx({"探访计划": due_frame(result.rows)}, path)
    raise ValueError(f"不支持的文件类型“{path.suffix}”（应为 .pdf 或 .xlsx）")


def export_visit_measure(table: pd.DataFrame, path: Path) -> Path:
    """Write the monthly measure to a workbook (``.xlsx``)."""
    if path.suffix.lower() != ".xlsx":
        raise ValueError(f"不支持的文件类型“{path.suffix}”（应为 .xlsx）")
    return write_tables_xlsx({f"月探访率 {table.attrs.get('month', '')}".strip(): table}, path)
