"""Reading many profiles from a file: JSON (as for ``yinling match``) or CSV (from Excel).

CSV has one header row of attribute names and one row per elder; an empty cell is unknown.
Cells are text and are read by attribute type: booleans ``是``/``否`` (or ``true``/``false``,
``1``/``0``), integers, sets separated by ``、`` (``无`` = empty set), enum codes or labels,
and the disability certificate as ``无`` / ``none`` or ``类别/等级`` (e.g. ``肢体/2``). The file
may be UTF-8 with or without BOM (as Excel saves it). Every problem names row and column.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

from assessment.eligibility.profile import AS_OF_KEY, Profile, parse_profile
from assessment.eligibility.vocabulary import Vocabulary
from assessment.errors import InputRejected, Problem
from assessment.inputreader import DEFAULT_LIMITS, read_bytes, read_json

# A county's roster of some 20,000 elders is about 20 MB as JSON.
PROFILE_FILE_LIMITS = DEFAULT_LIMITS.with_max_bytes(64 * 1024 * 1024)
# ASCII digits only ("²".isdigit() is true), and few enough for int().
_INTEGER = re.compile(r"-?[0-9]{1,18}\Z")
_TRUE = frozenset({"是", "true", "True", "TRUE", "1", "有"})
_FALSE = frozenset({"否", "false", "False", "FALSE", "0", "无"})


def _cell(vocabulary: Vocabulary, key: str, text: str) -> Any:
    """Turn one CSV cell into the JSON-like value the profile parser expects."""
    if key in vocabulary.records:
        record = vocabulary.records[key]
        if text in (record.none_code, record.none_label, "无"):
            return record.none_code
        category, _, grade = text.partition("/")
        fields = [name.split(".", 1)[1] for name in record.fields]
        return {
            fields[0]: category.strip() or None,
            fields[1]: int(grade) if _INTEGER.match(grade.strip()) else (grade.strip() or None),
        }
    attr = vocabulary.attributes.get(key)
    if attr is None:
        return text
    if attr.kind == "bool":
        return True if text in _TRUE else False if text in _FALSE else text
    if attr.kind == "int":
        return int(text) if _INTEGER.match(text) else text
    if attr.kind == "set":
        return [] if text == "无" else [part.strip() for part in text.split("、") if part.strip()]
    return text


def read_csv_profiles(path: Path, vocabulary: Vocabulary) -> list[Profile]:
    """Read and validate every row of a CSV file of profiles."""
    raw = read_bytes(path, PROFILE_FILE_LIMITS.max_bytes)
    try:
        rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    except (UnicodeDecodeError, csv.Error) as exc:
        raise InputRejected(
            [Problem("", "unreadable", f"无法读取 CSV 文件 {path}：{exc}")]
        ) from exc
    problems: list[Problem] = []
    profiles: list[Profile] = []
    for number, row in enumerate(rows, start=2):
        data = {
            str(key): _cell(vocabulary, str(key), value.strip())
            for key, value in row.items()
            if key is not None and value is not None and value.strip()
        }
        try:
            profiles.append(
                parse_profile(data, vocabulary, where=f"第{number}行", allow=frozenset({AS_OF_KEY}))
            )
        except InputRejected as exc:
            problems.extend(exc.problems)
    if problems:
        raise InputRejected(problems)
    return profiles


def read_profiles(path: Path, vocabulary: Vocabulary) -> list[Profile]:
    """Read profiles from a ``.csv`` file, or JSON (one object or an array) otherwise."""
    if path.suffix.lower() == ".csv":
        return read_csv_profiles(path, vocabulary)
    payload = read_json(path, PROFILE_FILE_LIMITS)
    many = isinstance(payload, list)
    problems: list[Problem] = []
    profiles: list[Profile] = []
    for index, case in enumerate(payload if many else [payload]):
        try:
            where = f"[{index}]" if many else ""
            profiles.append(
                parse_profile(case, vocabulary, where=where, allow=frozenset({AS_OF_KEY}))
            )
        except InputRejected as exc:
            problems.extend(exc.problems)
    if problems:
        raise InputRejected(problems)
    return profiles
