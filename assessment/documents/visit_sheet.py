"""The printable visit sheet (探访关爱计划表): one section per village, landscape A4.

Each village starts on a new page with its title, the plan version and date, then one row
per elder due, overdue or never visited (those already visited this period are counted in
the heading), with blank columns the visitor fills in on paper. Drawn with reportlab's
platypus and the same CJK font as the certificates (embedded when one is installed).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from itertools import groupby
from pathlib import Path
from xml.sax.saxutils import escape

import pandas as pd
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from reportlab.platypus.flowables import Flowable

from assessment.documents.fonts import find_cjk_font
from assessment.visits.measure import PlanRow
from assessment.visits.plan import VisitPlan

SHEET_COLUMNS = ("序号", "姓名", "分级", "频次", "状态", "最近探访", "应于此日前", "建议即时评估",
                 "需核实", "探访日期", "方式", "发现情况及签名")
_WIDTHS = (12, 22, 16, 16, 22, 22, 22, 34, 30, 22, 14, 45)
_HEADER_FILL = PatternFill("solid", fgColor="DDE5F0")
_MIN_ROW = 10 * mm  # room to write by hand
_STRUT = _MIN_ROW - 6  # less reportlab's default cell padding (3 pt top and bottom)


def _styles(font: str) -> tuple[ParagraphStyle, ParagraphStyle, ParagraphStyle]:
    title = ParagraphStyle("title", fontName=font, fontSize=15, leading=20, spaceAfter=4)
    small = ParagraphStyle("small", fontName=font, fontSize=9, leading=12)
    cell = ParagraphStyle("cell", fontName=font, fontSize=8.5, leading=11)
    return title, small, cell


def _village_story(rows: Sequence[PlanRow], plan: VisitPlan, as_of: dt.date, font: str
                   ) -> list[Flowable]:
    title, small, cell = _styles(font)
    first = rows[0]
    to_visit = [r for r in rows if r.status != "done"]
    done = len(rows) - len(to_visit)
    story: list[Flowable] = [
        Paragraph(escape(f"探访关爱计划表　{first.township}　{first.village}"), title),
        Paragraph(f"日期 {as_of.isoformat()}　计划 {plan.title}（{plan.ref}）　"
                  f"应探访 {len(rows)} 人，本期已探访 {done} 人，"
                  f"待探访 {len(to_visit)} 人（其中逾期 "
                  f"{sum(r.status == 'overdue' for r in rows)} 人，从未探访 "
                  f"{sum(r.status == 'never' for r in rows)} 人）", small),
        Spacer(1, 3 * mm),
    ]
    data: list[list[object]] = [[Paragraph(h, cell) for h in SHEET_COLUMNS]]
    for n, row in enumerate(to_visit, start=1):
        values = (str(n), row.name, row.tier, row.frequency, row.status_label,
                  row.last_visit.isoformat() if row.last_visit else "—",
                  row.due_by.isoformat(), row.reassess, row.ask, "", "")
        # The last (handwriting) cell holds a strut: a row is at least _MIN_ROW tall for the
        # visitor's notes and grows with its longest cell (rowHeights left to reportlab).
        data.append([*(Paragraph(escape(v), cell) for v in values), Spacer(1, _STRUT)])
    if not to_visit:
        data.append([Paragraph("本期应探访的老人均已探访", cell)] + [""] * (len(SHEET_COLUMNS) - 1))
    table = Table(data, colWidths=[w * mm for w in _WIDTHS], repeatRows=1)
    table.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#DDE5F0")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]))
    story.append(table)
    story.append(Spacer(1, 3 * mm))
    story.append(Paragraph(f"探访方式：{'、'.join(plan.record.methods)}；探访内容："
                           + "；".join(plan.record.checklist.values()), small))
    return story


def write_visit_sheet_pdf(rows: Sequence[PlanRow], plan: VisitPlan, as_of: dt.date,
                          path: Path | str, font_path: str | None = None) -> Path:
    """Write the sheet of every village in ``rows`` (one page or more each) to ``path``."""
    path = Path(path)
    font = find_cjk_font(font_path).name
    story: list[Flowable] = []
    villages = [list(g) for _, g in groupby(rows, key=lambda r: (r.township, r.village))]
    if not villages:
        _, small, _ = _styles(font)
        story.append(Paragraph(f"{as_of.isoformat()}：探访计划中没有老人。", small))
    for n, village_rows in enumerate(villages):
        if n:
            story.append(PageBreak())
        story.extend(_village_story(village_rows, plan, as_of, font))
    document = SimpleDocTemplate(str(path), pagesize=landscape(A4), leftMargin=10 * mm,
                                 rightMargin=10 * mm, topMargin=10 * mm, bottomMargin=10 * mm,
                                 title="探访关爱计划表", author="银龄评估")
    document.build(story)
    return path


def write_tables_xlsx(tables: dict[str, pd.DataFrame], path: Path | str) -> Path:
    """Write titled tables to one workbook (one sheet each, bold headers, readable widths)."""
    path = Path(path)
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for title, table in tables.items():
            table.to_excel(writer, sheet_name=title[:31], index=False)
            sheet = writer.sheets[title[:31]]
            sheet.freeze_panes = "A2"
            for index, column in enumerate(table.columns, start=1):
                cell = sheet.cell(row=1, column=index)
                cell.font = Font(bold=True)
                cell.fill = _HEADER_FILL
                cell.alignment = Alignment(horizontal="center", wrap_text=True)
                longest = max([len(str(column)), *(len(str(v)) for v in table[column].head(300))])
                sheet.column_dimensions[get_column_letter(index)].width = min(40, 2 * longest + 2)
    return path
