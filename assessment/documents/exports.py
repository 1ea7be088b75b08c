"""Excel export of the statistics: one sheet per table, Chinese headers, readable widths.

The workbook is written with XlsxWriter in its constant-memory mode: each row goes to the
sheet's file as soon as it is written, so a county-wide due list of hundreds of thousands of
rows costs no more memory than its table already does, and about a third of the time
openpyxl's write-only mode took (it built a cell object for every value).

Text is always written as text (``write_string``), never read as a formula: a name that
begins with ``=`` stays a name in the county's spreadsheet.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Callable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from assessment.documents.statistics import Statistics
from assessment.visits.measure import MEASURE_BASIS

_HEADER_STYLE = {"bold": True, "bg_color": "#DDE5F0", "align": "center", "valign": "vcenter",
                 "text_wrap": True, "border": 0}
_DAY_FORMAT = "yyyy-mm-dd"
_TIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
_EXCEL_EPOCH = date(1899, 12, 30)  # day 0 of Excel's 1900 date system (serials from 1900-03-01)
_NS_PER_DAY = 86_400 * 10**9
_EPOCH_SERIAL = (date(1970, 1, 1) - _EXCEL_EPOCH).days


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
    # XlsxWriter keeps each sheet's rows (names: personal data) in temporary files until
    # the workbook is closed: they go to a private folder of ours, removed whatever happens.
    with path.open("wb") as handle, \
            tempfile.TemporaryDirectory(prefix="yinling-xlsx-") as rows:
        # (the output is refused above, OSError, before any sheet is begun)
        book = xlsxwriter.Workbook(handle, {"constant_memory": True, "tmpdir": rows})
        try:
            formats = _Formats(book)
            for title, table in sheets.items():
                _write_sheet(book.add_worksheet(title), table, formats)
            book.close()
        except BaseException:
            with contextlib.suppress(Exception):
                book.close()  # closes the sheets' row files (what it writes is discarded)
            handle.close()
            path.unlink(missing_ok=True)  # no half-written workbook
            raise
    return path


class _Formats:
    """The workbook's three cell formats (a format belongs to one workbook)."""

    def __init__(self, book: xlsxwriter.Workbook) -> None:
        self.header: Format = book.add_format(_HEADER_STYLE)
        self.day: Format = book.add_format({"num_format": _DAY_FORMAT})
        self.time: Format = book.add_format({"num_format": _TIME_FORMAT})


def _write_sheet(sheet: Worksheet, table: pd.DataFrame, formats: _Formats) -> None:
    """Widths, a frozen bold header row, then the rows in order (constant memory writes a
    row out when the next begins)."""
    sheet.freeze_panes(1, 0)
    for index, column in enumerate(table.columns):
        sheet.set_column(index, index, _width(table[column], str(column)))
        sheet.write_string(0, index, str(column), formats.header)
    writers = [_column_writer(sheet, table[column], formats) for column in table.columns]
    for row in range(len(table)):
        for col, (put, values, style) in enumerate(writers):
            value = values[row]
            if value is not None:  # a missing value is an empty cell: nothing is written
                put(row + 1, col, value, style)


_Put = Callable[..., Any]


def _column_writer(sheet: Worksheet, values: pd.Series,
                   formats: _Formats) -> tuple[_Put, Sequence[Any], Format | None]:
    """How one column is written: the sheet's writer for its kind, its values as Python
    objects (None where missing) and the cell format (days and times as Excel serials)."""
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        return sheet.write_number, _serials(values), formats.time
    if pd.api.types.is_bool_dtype(values.dtype):
        return sheet.write_boolean, values.tolist(), None
    if pd.api.types.is_numeric_dtype(values.dtype):
        numbers = values.to_numpy(dtype=float, na_value=np.nan)
        return sheet.write_number, [None if v != v else v for v in numbers.tolist()], None
    objects = values.to_numpy(dtype=object)
    if all(type(v) is str for v in objects):
        return sheet.write_string, objects.tolist(), None
    if all(type(v) is date or _missing(v) for v in objects):  # days (``Series.dt.date``)
        return sheet.write_number, [None if _missing(v) else (v - _EXCEL_EPOCH).days
                                    for v in objects.tolist()], formats.day
    return _any_value(sheet, formats), objects.tolist(), None


def _missing(value: Any) -> bool:
    """Whether a value is one of pandas' or Python's markers of a missing value."""
    return value is None or value is pd.NaT or value is pd.NA or \
        (isinstance(value, float) and value != value)


def _serials(values: pd.Series) -> list[float | None]:
    """Excel day serials (with the time of day as a fraction) of a datetime column."""
    stamps = values.dt.tz_localize(None) if values.dt.tz is not None else values
    nanos = stamps.to_numpy(dtype="datetime64[ns]").astype(np.int64)
    missing = stamps.isna().to_numpy()
    serials = nanos / _NS_PER_DAY + _EPOCH_SERIAL
    return [None if gone else float(s) for s, gone in zip(serials.tolist(), missing.tolist(),
                                                          strict=True)]


def _any_value(sheet: Worksheet, formats: _Formats) -> _Put:
    """A writer for a column of mixed values, deciding per value (``style`` is unused)."""
    def put(row: int, col: int, value: Any, _style: Format | None) -> None:
        if _missing(value):
            return
        if isinstance(value, np.generic):
            value = value.item()
        if isinstance(value, pd.Timestamp):
            value = value.to_pydatetime()
        if isinstance(value, str):
            sheet.write_string(row, col, value)
        elif isinstance(value, bool):
            sheet.write_boolean(row, col, value)
        elif isinstance(value, (int, float)):
            sheet.write_number(row, col, value)
        elif isinstance(value, datetime):
            sheet.write_datetime(row, col, value.replace(tzinfo=None), formats.time)
        elif isinstance(value, date):
            sheet.write_number(row, col, (value - _EXCEL_EPOCH).days, formats.day)
        else:
            sheet.write_string(row, col, str(value))
    return put


def read_statistics_xlsx(path: Path | str) -> dict[str, pd.DataFrame]:
    """Read an export back (every sheet but 说明), for checks and re-imports."""
    sheets = pd.read_excel(path, sheet_name=None, engine="openpyxl")
    sheets.pop("说明", None)
    return sheets
