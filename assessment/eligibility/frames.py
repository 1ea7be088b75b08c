"""Registry DataFrames: one row per elder, one column per flat attribute, encoded as codes.

The batch engine never looks at cells one by one. Each column is turned into integer codes
into a small *domain* of distinct values (categorical codes, factorized values, or the value
itself for ages and integers); the last domain entry is ``None`` (unknown). Each distinct value
is validated and converted once, so a county registry of 1,000,000 rows costs a handful of
vectorized passes.

Frame columns use the flat attribute names: ``birth_date`` (datetime64, ``date`` objects or
``YYYY-MM-DD`` strings), enums (codes or labels, categorical dtype recommended), sets (Python
sets/lists, or text such as ``与配偶居住、与子女居住``; ``无`` is the empty set), bools,
integers, and the certificate as ``disability_cert.held`` / ``.category`` / ``.grade``. A
missing column means "unknown for everybody". Columns no rule reads are not validated.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from assessment.eligibility.profile import Profile, convert
from assessment.eligibility.values import ABSENT, Value
from assessment.eligibility.vocabulary import Attribute, Vocabulary
from assessment.errors import InputRejected, Problem

Codes = npt.NDArray[np.intp]
SET_SEPARATOR = "、"
EMPTY_SET = "无"


@dataclass(frozen=True, slots=True)
class Column:
    """A coded column: ``domain[codes[i]]`` is row i's value; ``domain[-1]`` is None."""

    codes: Codes
    domain: tuple[Value, ...]


def _reject(column: str, label: str, row: int, message: str) -> InputRejected:
    return InputRejected(
        [Problem(column, "value", f"{label}（{column}）第 {row + 1} 行：{message}")]
    )


def coerce_cell(attr: Attribute, raw: Any) -> Value:
    """Convert one distinct cell value (native or text) to a canonical value."""
    if isinstance(raw, np.generic):
        raw = raw.item()
    if attr.kind == "set":
        if isinstance(raw, str):
            raw = [] if raw.strip() in (EMPTY_SET, "") else raw.split(SET_SEPARATOR)
        elif isinstance(raw, set | frozenset | tuple):
            raw = sorted(raw)
    elif attr.kind == "date" and isinstance(raw, dt.datetime | pd.Timestamp):
        raw = raw.date().isoformat()
    elif attr.kind == "date" and isinstance(raw, dt.date):
        raw = raw.isoformat()
    elif attr.kind == "int" and isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    return convert(attr, raw)


def _factorized(series: pd.Series[Any], attr: Attribute) -> Column:
    """Encode any column by distinct values (categorical codes when available)."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        codes = series.cat.codes.to_numpy().astype(np.intp)
        uniques: Sequence[Any] = list(series.cat.categories)
    else:
        values = series.to_numpy(dtype=object)
        if attr.kind == "set":
            values = np.array([_hashable(v) for v in values], dtype=object)
        raw_codes, raw_uniques = pd.factorize(values, use_na_sentinel=True)
        codes, uniques = raw_codes.astype(np.intp), list(raw_uniques)
    domain: list[Value] = []
    for n, raw in enumerate(uniques):
        try:
            domain.append(coerce_cell(attr, raw))
        except ValueError as exc:
            raise _reject(
                str(series.name), attr.label, int(np.argmax(codes == n)), str(exc)
            ) from exc
    codes[codes < 0] = len(domain)
    return _dedupe(Column(codes, (*domain, None)))


def _hashable(value: Any) -> Any:
    if isinstance(value, list | set):
        return frozenset(value)
    return value


def _dedupe(column: Column) -> Column:
    """Merge domain entries that converted to the same value (code and label spellings)."""
    index: dict[Any, int] = {}
    remap = np.array([index.setdefault(v, len(index)) for v in column.domain], dtype=np.intp)
    if len(index) == len(column.domain):
        return column
    return Column(remap[column.codes], tuple(index))


def _integers(series: pd.Series[Any], attr: Attribute) -> Column:
    """Encode an integer column by value (code = value - minimum), validating the range."""
    assert attr.minimum is not None
    assert attr.maximum is not None
    missing = series.isna().to_numpy()
    if pd.api.types.is_float_dtype(series):
        floats = series.to_numpy(dtype=np.float64, na_value=attr.minimum)
        fractional = floats != np.floor(floats)
        values = floats.astype(np.intp)
    else:
        fractional = None
        values = series.to_numpy(dtype=np.intp, na_value=attr.minimum)
    if (
        values.min() < attr.minimum
        or values.max() > attr.maximum
        or (fractional is not None and fractional.any())
    ):
        bad = (values < attr.minimum) | (values > attr.maximum)
        if fractional is not None:
            bad |= fractional
        message = f"应为 {attr.minimum}–{attr.maximum} 的整数"
        raise _reject(str(series.name), attr.label, int(np.argmax(bad)), message)
    size = attr.maximum - attr.minimum + 1
    if attr.minimum:
        values -= attr.minimum
    values[missing] = size
    return Column(values, (*range(attr.minimum, attr.maximum + 1), None))


def _booleans(series: pd.Series[Any]) -> Column:
    """Encode a boolean column (numpy bool or pandas nullable ``boolean``) without hashing."""
    codes = series.to_numpy(dtype=np.intp, na_value=2)
    return Column(codes, (False, True, None))


def encode_series(series: pd.Series[Any], attr: Attribute) -> Column:
    """Encode one column of a non-computed flat attribute, by the fastest exact route."""
    if attr.kind == "bool" and pd.api.types.is_bool_dtype(series):
        return _booleans(series)
    if (
        attr.kind == "int"
        and pd.api.types.is_numeric_dtype(series)
        and not pd.api.types.is_bool_dtype(series)
    ):
        return _integers(series, attr)
    return _factorized(series, attr)


def _ages_of_days(first: int, last: int, as_of: dt.date) -> npt.NDArray[np.int64]:
    """Age on ``as_of`` of someone born on each day from ``first`` to ``last`` (epoch days).

    The same rule as :func:`assessment.eligibility.values.age_on`: compare (month, day), so
    a 29 February birthday is reached on 1 March in common years.
    """
    days = np.arange(first, last + 1, dtype=np.int64).astype("datetime64[D]")
    years = days.astype("datetime64[Y]")
    months = days.astype("datetime64[M]")
    month_day = (months - years).astype(np.int64) * 100 + (days - months).astype(np.int64)
    as_of_md = (as_of.month - 1) * 100 + as_of.day - 1
    birth_years = years.astype(np.int64) + 1970
    ages: npt.NDArray[np.int64] = as_of.year - birth_years - (as_of_md < month_day)
    return ages


def age_column(series: pd.Series[Any], label: str, as_of: dt.date) -> Column:
    """Ages in whole years on ``as_of`` from a birth-date column (29 Feb → 1 March).

    Ages are computed once per calendar day between the earliest and the latest birth date
    and gathered, so the cost is one pass over the rows.
    """
    if pd.api.types.is_datetime64_any_dtype(series):
        days = series.to_numpy(dtype="datetime64[D]")
    else:
        stamps = pd.to_datetime(series, format="%Y-%m-%d", errors="coerce")
        bad = stamps.isna().to_numpy() & series.notna().to_numpy()
        if bad.any():
            row = int(np.argmax(bad))
            raise _reject(str(series.name), label, row, f"日期“{series.iloc[row]}”无效")
        days = stamps.to_numpy(dtype="datetime64[D]")
    missing = np.isnat(days)
    numbers = days.view(np.int64)
    if missing.all():
        return Column(np.zeros(len(series), dtype=np.intp), (None,))
    known = numbers[~missing] if missing.any() else numbers
    first, last = int(known.min()), int(known.max())
    table = _ages_of_days(first, last, as_of)
    if table[-1] < 0:
        row = int(np.argmax(~missing & (numbers == last)))
        raise _reject(str(series.name), label, row, f"晚于评估日期 {as_of.isoformat()}")
    top = int(table[0]) + 1
    table = np.append(table, top).astype(np.intp)
    offsets = np.where(missing, last + 1, numbers) - first
    return Column(table[offsets], (*range(top), None))


def encode_column(
    frame: pd.DataFrame, attr: Attribute, vocabulary: Vocabulary, as_of: dt.date
) -> Column:
    """Encode the frame column of one flat attribute (all unknown when the column is absent)."""
    name = attr.profile_name if attr.kind == "age" else attr.name
    if name not in frame.columns:
        return Column(np.zeros(len(frame), dtype=np.intp), (None,))
    series = frame[name]
    if attr.kind == "age":
        return age_column(series, vocabulary.profile_label(name), as_of)
    column = encode_series(series, attr)
    record = vocabulary.records.get(attr.profile_name)
    if record is not None and attr.name != record.held:
        if record.held in frame.columns:
            held = encode_series(frame[record.held], vocabulary.attributes[record.held])
        else:
            held = Column(np.zeros(len(frame), dtype=np.intp), (None,))
        column = _certificate_field(attr, vocabulary, column, held)
    return column


def _certificate_field(
    attr: Attribute, vocabulary: Vocabulary, column: Column, held: Column
) -> Column:
    """Mark a certificate field ABSENT where the elder is known to hold no certificate."""
    record = vocabulary.records[attr.profile_name]
    has_cert = np.array([v is True for v in held.domain], dtype=bool)[held.codes]
    unknown = len(column.domain) - 1
    field_known = column.codes != unknown
    conflict = field_known & ~has_cert
    if conflict.any():
        row = int(np.argmax(conflict))
        message = f"未登记持有{record.label}（或登记为{record.none_label}），却填写了此项"
        raise _reject(attr.name, attr.label, row, message)
    codes = column.codes.copy()
    codes[~field_known] = unknown + 1
    for code, value in enumerate(held.domain):
        if value is False:
            codes[held.codes == code] = unknown
    return Column(codes, (*column.domain[:-1], ABSENT, None))


def check_columns(frame: pd.DataFrame, vocabulary: Vocabulary) -> None:
    """Refuse columns that are not attributes of the vocabulary."""
    known = {a.name for a in vocabulary.attributes.values() if a.kind != "age"}
    unknown = [str(c) for c in frame.columns if c not in known]
    if unknown:
        raise InputRejected([Problem(c, "unknown_attribute", f"未知属性“{c}”") for c in unknown])


def profiles_to_frame(profiles: Iterable[Profile], vocabulary: Vocabulary) -> pd.DataFrame:
    """Build a registry frame (object columns) from validated profiles."""
    names = [a.name for a in vocabulary.attributes.values() if a.kind != "age"]
    rows = [
        {name: (None if (v := p.get(name)) is ABSENT else v) for name in names} for p in profiles
    ]
    return pd.DataFrame(rows, columns=names, dtype=object)
