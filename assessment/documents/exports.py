"""Excel export of the statistics: one sheet per table, Chinese headers, readable widths.

The workbook is streamed (openpyxl's write-only mode): rows go to the file as they are
written, so a county-wide due list of many thousand rows costs no more memory than its
table already does.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from assessment.documents.statistics import Statistics
from assessment.visits.measure import MEASURE_BASIS

_HEADER_FILL = PatternFill("solid", fgColor="DDE5F0")


def _width(values: pd.Series, header: str) -> float:
    def text_width(text: str) -> int:
        return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)

    # str() of each value: astype(str) keeps missing values as NaN floats (pandas 3).
    longest = max([text_width(header), *(text_width(str(v)) for v in values.head(500))],
                  default=4)
    return min(48.0, longest + 2.0)


def write_statistics_xlsx(stats: Statistics, path: Path | str) -> Path:
    """Write every table of ``stats`` to ``path`` (one sheet each) and return the path.

    The first sheet 说明 states the as-of date, the period the assessment counts cover and,
    with a visit-rate table, how its month was computed.
    """
    path = Path(path)
    start, end = stats.period
    items = ["统计日期", "期间评估起始日", "期间评估截止日"]
    values = [stats.as_of.isoformat(), start.isoformat() if start else "（不限）",
              end.isoformat() if end else "（不限）"]
    if stats.visit_rate is not None:
        items.append("月探访率口径")
        values.append(MEASURE_BASIS)
    about = pd.DataFrame({"项目": items, "内容": values})
    sheets = {"说明": about, **stats.tables()}
    with path.open("wb") as handle:  # refused here (OSError) before any sheet is begun
        try:
            book = Workbook(write_only=True)
            for title, table in sheets.items():
                _write_sheet(book.create_sheet(title), table)
            book.save(handle)
        except BaseException:
            handle.close()
            path.unlink(missing_ok=True)  # no half-written workbook
            raise
    return path


_HEADER_FONT = Font(bold=True)
_HEADER_ALIGN = Alignment(horizontal="center", vertical="center", wrap_text=True)
_DAY_FORMAT = "yyyy-mm-dd"


def _write_sheet(sheet: WriteOnlyWorksheet, table: pd.DataFrame) -> None:
    """Widths, a frozen bold header row, then the rows as they come."""
    sheet.freeze_panes = "A2"
    for index, column in enumerate(table.columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = _width(
            table[column], str(column))
    header = []
    for column in table.columns:
        cell = WriteOnlyCell(sheet, value=str(column))
        cell.font, cell.fill, cell.alignment = _HEADER_FONT, _HEADER_FILL, _HEADER_ALIGN
        header.append(cell)
    sheet.append(header)
    for row in _rows(table):
        sheet.append([_cell(sheet, value) for value in row])


def _rows(table: pd.DataFrame) -> Iterator[tuple[Any, ...]]:
    columns = [table[c].to_numpy(dtype=object) for c in table.columns]
    return zip(*columns, strict=True) if columns else iter(())


def _cell(sheet: WriteOnlyWorksheet, value: Any) -> Any:
    """A value as openpyxl writes it: missing as an empty cell, numpy numbers as Python
    ones, days formatted as days."""
    if value is None or value is pd.NaT or value is pd.NA or \
            (isinstance(value, float) and value != value):
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, date):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = _DAY_FORMAT if not isinstance(value, datetime) else \
            "yyyy-mm-dd hh:mm:ss"
        return cell
    return value


def read_statistics_xlsx(path: Path | str) -> dict[str, pd.DataFrame]:
    """Read an export back (every sheet but 说明), for checks and re-imports."""
    sheets = pd.read_excel(path, sheet_name=None, engine="openpyxl")
    sheets.pop("说明", None)
    return sheets
