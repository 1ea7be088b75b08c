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
from typing import TYPE_CHECKING

import pandas as pd

from assessment.documents.visit_sheet import write_tables_xlsx, write_visit_sheet_pdf
from assessment.visits.measure import MEASURE_BASIS, PlanRow, due_frame, plan_rows
from assessment.visits.plan import VisitPlan

if TYPE_CHECKING:
    from assessment.records.workspace import Workspace

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


def visit_plan(workspace: Workspace, as_of: dt.date | None = None, *,
               village: str | None = None) -> VisitPlanResult:
    """Every elder in the plan on ``as_of`` (default today), of one village when given."""
    as_of = as_of or dt.date.today()
    book = workspace.visits
    plan = book.plan(as_of)
    elders, attributes = book.registry(as_of)
    rows = plan_rows(elders, attributes, book.visit_frame(), plan, as_of,
                     reassess=book.reassessment_proposals(), village=village)
    return VisitPlanResult(plan, as_of, tuple(rows))


def visit_measure(workspace: Workspace, month: str, *,
                  today: dt.date | None = None) -> pd.DataFrame:
    """The monthly visit rate per village/township/county with overdue and referral counts."""
    table: pd.DataFrame = workspace.visits.measure(month, today)
    return table


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
    about = pd.DataFrame({
        "项目": ["月份", "统计日期", "月探访率目标（%）", "计算口径"],
        "内容": [str(table.attrs.get("month", "")), str(table.attrs.get("as_of", "")),
               str(table.attrs.get("target_rate", "")), MEASURE_BASIS],
    })
    title = f"月探访率 {table.attrs.get('month', '')}".strip()
    return write_tables_xlsx({title: table, "说明": about}, path)
