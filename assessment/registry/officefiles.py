"""Reading an office file (a civil-affairs, disability or health office's list of residents)
into checked rows: the one reader for registry imports.

Accepted: CSV in UTF-8 (with or without a byte-order mark) or GBK, and XLSX (the first sheet).
The first row is the header: 公民身份号码 (required), 姓名 (optional, compared with the
registry) and the columns the kind needs (:mod:`assessment.registry.kinds`). Limits: the file
size, the number of rows and columns and the length of a cell; a file beyond them, without the
required columns, or not a table at all is refused whole (:class:`InputRejected`). A bad row
is refused on its own, with its row number (as a spreadsheet shows it: the header is row 1)
and the column, and never applied.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assessment.errors import InputRejected, Problem
from assessment.identity import parse_resident_id
from assessment.registry.kinds import ID_COLUMN, NAME_COLUMN, ImportKind, kind_value

MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 200_000
MAX_COLUMNS = 60
MAX_CELL = 200


@dataclass(frozen=True, slots=True)
class RegisterRow:
    """One accepted row: the ID number (18 digits), the name if given, the stated value."""

    row: int
    id_number: str
    name: str | None
    value: Any


@dataclass(frozen=True, slots=True)
class Refusal:
    """A refused row: its number, the column and why (``id_number`` when it was readable)."""

    row: int
    field: str
    reason: str
    id_number: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The summary's form."""
        return {"row": self.row, "field": self.field, "reason": self.reason}


@dataclass(slots=True)
class OfficeFile:
    """A roster read and checked: accepted rows, refused rows, the number of data rows."""

    rows: list[RegisterRow] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)
    count: int = 0


def _refuse(message: str, code: str = "file") -> InputRejected:
    return InputRejected([Problem("file", code, message)])


def _decode(data: bytes) -> str:
    """UTF-8 (a BOM is dropped), else GBK; refused when neither reads."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    for encoding in ("utf-8", "gbk"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise _refuse("无法识别文件编码：CSV 应为 UTF-8 或 GBK 编码", "encoding")


def _csv_rows(data: bytes) -> Iterator[list[str]]:
    import csv

    text = _decode(data)
    if "\x00" in text:
        raise _refuse("文件不是 CSV 文本（含二进制内容）", "format")
    try:
        yield from csv.reader(io.StringIO(text, newline=""))
    except csv.Error as exc:
        raise _refuse(f"CSV 格式错误：{exc}", "format") from exc


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _xlsx_rows(data: bytes) -> Iterator[list[str]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise _refuse("无法读取 Excel 文件（不是有效的 .xlsx 文件）", "format") from exc
    try:
        sheet = book.worksheets[0] if book.worksheets else None
        if sheet is None:
            raise _refuse("Excel 文件中没有工作表", "format")
        for values in sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS + 1):
            cells = [_cell(v) for v in values]
            while cells and not cells[-1]:
                cells.pop()  # read-only rows are padded to the requested width
            yield cells
    finally:
        book.close()


def read_table(path: Path) -> Iterator[list[str]]:
    """The rows of a CSV or XLSX file as lists of text (limits on the size checked here)."""
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise _refuse("名单文件应为 .csv 或 .xlsx", "format")
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            limit = MAX_BYTES // 1024 // 1024
            raise _refuse(f"文件过大（{size // 1024 // 1024} MB），最多 {limit} MB", "size")
        data = path.read_bytes()
    except OSError as exc:
        raise _refuse(f"无法读取文件 {path.name}：{exc.strerror}", "unreadable") from exc
    return _csv_rows(data) if suffix == ".csv" else _xlsx_rows(data)


def _header(cells: Sequence[str], kind: ImportKind) -> dict[str, int]:
    names = [c.strip().lstrip("\ufeff") for c in cells]
    if len(names) > MAX_COLUMNS:
        raise _refuse(f"列数过多（最多 {MAX_COLUMNS} 列）", "columns")
    index: dict[str, int] = {}
    for position, name in enumerate(names):
        if name and name not in index:
            index[name] = position
    missing = [c for c in (ID_COLUMN, *kind.columns) if c not in index]
    if missing:
        raise InputRejected([Problem(c, "missing", f"表头缺少“{c}”列（第 1 行）")
                             for c in missing])
    return index


def read_office_file(path: Path, kind: ImportKind) -> OfficeFile:
    """Read and check a roster file of ``kind`` (see the module docstring)."""
    rows = read_table(Path(path))
    result = OfficeFile()
    header: dict[str, int] | None = None
    seen: dict[str, int] = {}
    for number, cells in enumerate(rows, start=1):
        if header is None:
            if not any(c.strip() for c in cells):
                continue  # blank lines above the header
            header = _header(cells, kind)
            continue
        if not any(c.strip() for c in cells):
            continue
        result.count += 1
        if result.count > MAX_ROWS:
            raise _refuse(f"行数过多（最多 {MAX_ROWS} 行）", "rows")
        _check_row(number, cells, header, kind, seen, result)
    if header is None:
        raise InputRejected([Problem(ID_COLUMN, "missing", "文件为空：第 1 行应为表头")])
    return result


def _check_row(number: int, cells: Sequence[str], header: dict[str, int], kind: ImportKind,
               seen: dict[str, int], result: OfficeFile) -> None:
    values = {name: (cells[i].strip() if i < len(cells) else "") for name, i in header.items()}
    long = [name for name, value in values.items() if len(value) > MAX_CELL]
    if long:
        result.refused.append(Refusal(number, long[0], f"内容过长（最多 {MAX_CELL} 个字）"))
        return
    raw_id = values[ID_COLUMN]
    if not raw_id:
        result.refused.append(Refusal(number, ID_COLUMN, "公民身份号码为空"))
        return
    parsed = parse_resident_id(raw_id)
    if isinstance(parsed, Problem):
        result.refused.append(Refusal(number, ID_COLUMN, parsed.message))
        return
    id_number = parsed.number
    value, problems = kind_value(kind, values)
    if problems:
        column, reason = problems[0]
        result.refused.append(Refusal(number, column, reason, id_number))
        return
    if id_number in seen:
        result.refused.append(Refusal(number, ID_COLUMN,
                                      f"与第 {seen[id_number]} 行的公民身份号码重复", id_number))
        return
    seen[id_number] = number
    name = values.get(NAME_COLUMN) or None
    result.rows.append(RegisterRow(number, id_number, name, value))
