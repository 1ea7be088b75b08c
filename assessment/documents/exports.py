"""Excel export of the statistics: one sheet per table, Chinese headers, readable widths."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from assessment.documents.statistics import Statistics

_HEADER_FILL = PatternFill("solid", fgColor="DDE5F0")


def _width(values: pd.Series, header: str) -> float:
    def text_width(text: str) -> int:
        return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)

    sample = values.head(500).astype(str)
    longest = max([text_width(header), *(text_width(v) for v in sample)], default=4)
    return min(48.0, longest + 2.0)


def write_statistics_xlsx(stats: Statistics, path: Path | str) -> Path:
    """Write every table of ``stats`` to ``path`` (one sheet each) and return the path.

    The first sheet 说明 states the as-of date and the period the assessment counts cover.
    """
    path = Path(path)
    start, end = stats.period
    about = pd.DataFrame({
        "项目": ["统计日期", "期间评估起始日", "期间评估截止日"],
        "内容": [stats.as_of.isoformat(), start.isoformat() if start else "（不限）",
               end.isoformat() if end else "（不限）"],
    })
    sheets = {"说明": about, **stats.tables()}
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for title, table in sheets.items():
            table.to_excel(writer, sheet_name=title, index=False)
            sheet = writer.sheets[title]
            sheet.freeze_panes = "A2"
            for index, column in enumerate(table.columns, start=1):
                cell = sheet.cell(row=1, column=index)
                cell.font = Font(bold=True)
                cell.fill = _HEADER_FILL
                cell.alignment = Alignment(horizontal="center", vertical="center",
                                           wrap_text=True)
                sheet.column_dimensions[get_column_letter(index)].width = _width(
                    table[column], str(column))
    return path


def read_statistics_xlsx(path: Path | str) -> dict[str, pd.DataFrame]:
    """Read an export back (every sheet but 说明), for checks and re-imports."""
    sheets = pd.read_excel(path, sheet_name=None, engine="openpyxl")
    sheets.pop("说明", None)
    return sheets
