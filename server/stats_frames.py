"""Statistics input frames read from the county database (read-only).

The county computes its statistics with the laptops' own code
(:func:`assessment.documents.statistics.compute_statistics`); this module builds the frames
that code reads (:class:`~assessment.documents.statistics.StatisticsInput`) from the
current-state tables ingest keeps (:mod:`server.current_state`), a few typed columns per
elder and assessment rather than every payload:

* **assessments**: every finalized or superseded assessment (``assessment_state``); the
  grade is the server's recomputation (the laptop's claimed final grade only where the
  server stored none); the reference date and reason are the payload's (A.1.2, A.1.3).
* **elders**: every elder (``elder_state``), in the township the *county* holds it in (an
  elder may have been transferred: :mod:`server.transfers`), with name, sex, birth date and
  village from the merged profile, the grade and reference date of its current assessment
  (its latest finalized, not superseded, one: the laptops' rule,
  :func:`assessment.records.incoming.refresh_current`) and the day it left the roll.
* **eligibility** (optional): every elder's stored attributes matched with the laptops'
  vectorized engine against the bundled and published lists (:mod:`server.county_lists`).
  It is computed when asked for, not kept, because it depends on the as-of date (ages) and
  on the lists published since.

Rows are read in chunks (``pandas.read_sql``, a server-side cursor on PostgreSQL). The
workbook takes them as parts of :data:`PART` elders (:func:`county_statistics_parts`): each
part's frames, its elders' assessments and its eligibility, so no frame holds the county.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Select, func, select

from assessment.documents.frames import profiles_frame, registry_results
from assessment.documents.statistics import StatisticsInput
from assessment.eligibility.registry import ListRegistry
from assessment.storedjson import stored_object
from server.db.tables import assessment_state, elder_state, townships

CHUNK = 5000
SHOWN = ("finalized", "superseded")  # assessment statuses the statistics count
ELDER_COLUMNS = ("elder_id", "name", "township", "township_code", "village", "sex",
                 "birth_date", "current_grade", "last_assessed")
ASSESSMENT_COLUMNS = ("assessment_id", "elder_id", "reference_date", "reason", "final_grade",
                      "status", "township_id", "finalized_at")


@dataclass(frozen=True, slots=True)
class Township:
    """A township of the county; ``label`` is its name, with the code when names repeat."""

    id: int
    code: str
    name: str
    label: str


def county_townships(conn: Connection) -> list[Township]:
    """Every township, by code."""
    rows = conn.execute(select(townships.c.id, townships.c.code, townships.c.name)
                        .order_by(townships.c.code)).all()
    names = [str(r.name) for r in rows]
    return [Township(int(r.id), str(r.code), str(r.name),
                     str(r.name) if names.count(str(r.name)) == 1 else f"{r.name}（{r.code}）")
            for r in rows]


def _chunks(conn: Connection, query: Select[Any]) -> Iterator[pd.DataFrame]:
    """The rows of ``query`` as frames of :data:`CHUNK` rows (streamed where supported)."""
    yield from pd.read_sql(query.execution_options(stream_results=True), conn,
                           chunksize=CHUNK)


class _CopyStream(io.RawIOBase):
    """The data of a PostgreSQL ``COPY … TO STDOUT`` as a readable binary stream."""

    def __init__(self, blocks: Iterator[Any]) -> None:
        self._blocks = blocks
        self._held = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._held:
            block = next(self._blocks, None)
            if block is None:
                return 0
            self._held = bytes(block)
        size = min(len(buffer), len(self._held))
        buffer[:size] = self._held[:size]
        self._held = self._held[size:]
        return size


def _state_chunks(conn: Connection, query: Select[Any]) -> Iterator[pd.DataFrame]:
    """Like :func:`_chunks` for the state tables' typed columns. On PostgreSQL every value
    comes as text (None for NULL; the readers convert them as they convert SQLite's): the
    rows come as ``COPY`` CSV parsed by pandas' C reader (at a million elders the row-by-row
    fetch through the driver was most of the workbook's reading time), and the ``COPY``
    holds the connection until it is read to the end. The state's text columns are never
    empty strings (NULL instead), so an empty CSV field is NULL either way."""
    if conn.dialect.name != "postgresql":
        yield from _chunks(conn, query)
        return
    names = [c.name for c in query.selected_columns]
    sql = str(query.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    driver = conn.connection.driver_connection
    assert driver is not None
    with driver.cursor() as cursor, \
            cursor.copy(f"COPY ({sql}) TO STDOUT (FORMAT csv)") as copy:
        stream = io.BufferedReader(_CopyStream(iter(copy)), buffer_size=1 << 20)
        if not stream.peek(1):  # no rows (pandas refuses an empty file)
            return
        for chunk in pd.read_csv(stream, header=None, names=names, dtype=str,
                                 keep_default_na=False, na_values=[""], chunksize=CHUNK,
                                 encoding="utf-8"):
            if len(chunk):
                yield chunk.astype(object).where(chunk.notna(), None)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _day(value: Any) -> date | None:
    """An ISO date (the first ten characters of a date or date-time), else None."""
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def _grade(value: Any) -> float:
    return float(value) if isinstance(value, int) and not isinstance(value, bool) \
        and 0 <= value <= 4 else np.nan


def read_assessments(conn: Connection) -> pd.DataFrame:
    """One row per finalized or superseded assessment (see the module docstring)."""
    a = assessment_state.c
    query = select(a.assessment_id, a.elder_id, a.reference_date, a.reason,
                   a.grade.label("final_grade"), a.status, a.township_id, a.finalized_at)
    return _assessment_frame(list(_state_chunks(conn, query)))


def _assessment_frame(parts: list[pd.DataFrame]) -> pd.DataFrame:
    frame = (pd.concat(parts, ignore_index=True) if parts
             else pd.DataFrame(columns=list(ASSESSMENT_COLUMNS)))
    frame = frame[list(ASSESSMENT_COLUMNS)]
    frame["reference_date"] = pd.to_datetime(frame["reference_date"], errors="coerce")
    frame["final_grade"] = pd.to_numeric(frame["final_grade"], errors="coerce").astype(
        np.float64)
    frame["township_id"] = frame["township_id"].astype(np.int64)
    return frame


def _dates(values: pd.Series) -> list[date | None]:
    """A column of stored dates as ``date`` objects or None (SQLite hands back text)."""
    return [v if isinstance(v, date) else _day(v) for v in values.tolist()]


def _pages(conn: Connection, query: Select[Any], key: Any,
           after: str | None = None) -> Iterator[pd.DataFrame]:
    """The rows of ``query`` (ordered by ``key``, beyond ``after`` when given) as
    :func:`_state_chunks` gives them, read :data:`PART` rows at a time (keyset paging): each
    page is read whole before its chunks are handed out, so the caller may query the
    connection between chunks (a ``COPY`` in progress holds the connection)."""
    while True:
        page = query.where(key > after) if after is not None else query
        chunks = list(_state_chunks(conn, page.limit(PART)))
        yield from chunks
        if sum(len(c) for c in chunks) < PART:
            return
        after = str(chunks[-1][key.name].iloc[-1])


def elder_chunks(conn: Connection, *, with_attributes: bool = False, texts: bool = False,
                 after: str | None = None, last: str | None = None,
                 ) -> Iterator[tuple[pd.DataFrame, list[Any]]]:
    """Every elder of ``elder_state`` (or those with ids in (``after``, ``last``]) as frames
    of :data:`CHUNK` rows (columns :data:`ELDER_COLUMNS` and ``left_on``), by id, with the
    attributes when asked for (as dicts, or with ``texts`` as the stored JSON text)."""
    places = {t.id: t for t in county_townships(conn)}
    e = elder_state.c
    query = (select(e.elder_id, e.township_id, e.name, e.village, e.sex, e.birth_date,
                    e.current_grade, e.last_assessed, e.left_on,
                    *([e.attributes] if with_attributes else []))
             .where(*([e.elder_id <= last] if last is not None else []))
             .order_by(e.elder_id))
    for chunk in _pages(conn, query, e.elder_id, after):
        townships = [places.get(int(t)) for t in chunk["township_id"].tolist()]
        frame = pd.DataFrame({
            "elder_id": chunk["elder_id"].astype(str).to_numpy(dtype=object),
            "name": chunk["name"].to_numpy(dtype=object),
            "township": [p.label if p else None for p in townships],
            "township_code": [p.code if p else None for p in townships],
            "village": chunk["village"].to_numpy(dtype=object),
            "sex": chunk["sex"].to_numpy(dtype=object),
            "birth_date": pd.Series(_dates(chunk["birth_date"]), dtype=object),
            "current_grade": pd.to_numeric(chunk["current_grade"], errors="coerce")
            .astype(np.float64).to_numpy(),
            "last_assessed": pd.to_datetime(chunk["last_assessed"], errors="coerce")
            .to_numpy(),
            "left_on": pd.Series(_dates(chunk["left_on"]), dtype=object),
        })
        attributes: list[Any] = []
        if with_attributes:
            stored = chunk["attributes"].tolist()
            attributes = [str(t) for t in stored] if texts else [stored_object(t) for t in stored]
        yield frame, attributes


@dataclass(frozen=True, slots=True)
class ElderRead:
    """The elders frame and, when matching was asked for, the registry frame."""

    elders: pd.DataFrame
    registry: pd.DataFrame | None


_EMPTY_ELDERS = [*ELDER_COLUMNS, "left_on"]


def read_elders(conn: Connection, *, lists: ListRegistry | None = None) -> ElderRead:
    """Every elder (see the module docstring). With ``lists`` the registry frame the
    eligibility engine reads is built chunk by chunk
    (:func:`assessment.documents.frames.profiles_frame`)."""
    elders: list[pd.DataFrame] = []
    registry: list[pd.DataFrame] = []
    for frame, attributes in elder_chunks(conn, with_attributes=lists is not None):
        elders.append(frame)
        if lists is not None:
            registry.append(profiles_frame(frame.drop(columns=["left_on"]), attributes,
                                           lists.vocabulary))
    all_elders = (pd.concat(elders, ignore_index=True) if elders
                  else pd.DataFrame(columns=_EMPTY_ELDERS))
    if lists is None:
        return ElderRead(all_elders, None)
    return ElderRead(all_elders, pd.concat(registry, ignore_index=True) if registry
                     else pd.DataFrame())


def county_statistics_input(conn: Connection, as_of: date, *,
                            lists: ListRegistry | None = None) -> StatisticsInput:
    """Everything :func:`~assessment.documents.statistics.compute_statistics` needs, over the
    whole county; eligibility (as of ``as_of``) only when ``lists`` are given."""
    assessments = read_assessments(conn)
    read = read_elders(conn, lists=lists)
    eligibility: pd.DataFrame | None = None
    names: dict[str, str] = {}
    if lists is not None and read.registry is not None:
        eligibility, names = registry_results(read.registry, as_of, lists)
    return StatisticsInput(read.elders, assessments, eligibility, names)


#: Elders per part of the county workbook (:func:`county_statistics_parts`): memory is
#: bounded by a part, not by the county.
PART = 50_000


#: The assessment columns :func:`~assessment.documents.statistics.compute_statistics` reads
#: (its period table), all a part of the workbook reads.
COUNTED_COLUMNS = ("elder_id", "reference_date", "reason")


def _assessments_between(conn: Connection, after: str | None, last: str,
                         start: date | None = None, end: date | None = None) -> pd.DataFrame:
    """The assessments :func:`~assessment.documents.statistics.compute_statistics` counts
    of elders with ids in (``after``, ``last``] (the id order of :func:`elder_chunks`): those
    dated within ``start``–``end`` (open when None), with the columns it reads
    (:data:`COUNTED_COLUMNS`; an undated assessment is never counted)."""
    a = assessment_state.c
    query = select(a.elder_id, a.reference_date, a.reason).where(
        a.elder_id <= last, a.reference_date.is_not(None),
        *([a.elder_id > after] if after is not None else []),
        *([a.reference_date >= start] if start is not None else []),
        *([a.reference_date <= end] if end is not None else []))
    parts = list(_state_chunks(conn, query))
    frame = (pd.concat(parts, ignore_index=True) if parts
             else pd.DataFrame(columns=list(COUNTED_COLUMNS)))
    frame["reference_date"] = pd.to_datetime(frame["reference_date"], errors="coerce")
    return frame


def part_bounds(conn: Connection, size: int | None = None) -> list[tuple[str | None, str]]:
    """The county's elders in parts of ``size`` (default :data:`PART`) by id: each part's
    ids are those in (``after``, ``last``], in order (an empty list when the county holds
    no elder). Each part's last id is found by skipping ``size`` entries of the id index
    beyond the one before (a few milliseconds a part)."""
    size = size or PART
    e = elder_state.c
    bounds: list[tuple[str | None, str]] = []
    after: str | None = None
    while True:
        beyond = [e.elder_id > after] if after is not None else []
        last = conn.execute(select(e.elder_id).where(*beyond).order_by(e.elder_id)
                            .offset(size - 1).limit(1)).scalar()
        if last is None:  # fewer than ``size`` left: the last part, if any
            tail = conn.execute(select(func.max(e.elder_id)).where(*beyond)).scalar()
            if tail is not None:
                bounds.append((after, str(tail)))
            return bounds
        bounds.append((after, str(last)))
        after = str(last)


def part_input(conn: Connection, as_of: date, lists: ListRegistry | None,
               after: str | None, last: str, start: date | None = None,
               end: date | None = None) -> StatisticsInput:
    """What :func:`county_statistics_input` gives for the elders with ids in (``after``,
    ``last``] (a part of :func:`part_bounds`) and their assessments counted in the period
    ``start``–``end`` (:func:`_assessments_between`)."""
    frames: list[pd.DataFrame] = []
    texts: list[str] = []
    for frame, attributes in elder_chunks(conn, with_attributes=lists is not None,
                                          texts=True, after=after, last=last):
        frames.append(frame)
        texts.extend(attributes)
    elders = (pd.concat(frames, ignore_index=True) if frames
              else pd.DataFrame(columns=_EMPTY_ELDERS))
    assessments = _assessments_between(conn, after, last, start, end)
    eligibility: pd.DataFrame | None = None
    names: dict[str, str] = {}
    if lists is not None and len(elders):  # the part's registry frame, each value parsed once
        registry = profiles_frame(elders.drop(columns=["left_on"]), texts, lists.vocabulary)
        eligibility, names = registry_results(registry, as_of, lists)
    return StatisticsInput(elders, assessments, eligibility, names)


def county_statistics_parts(conn: Connection, as_of: date, *,
                            lists: ListRegistry | None = None, start: date | None = None,
                            end: date | None = None,
                            size: int | None = None) -> Iterator[StatisticsInput]:
    """What :func:`county_statistics_input` gives, as inputs of the disjoint parts of
    :func:`part_bounds` each with the assessments of its elders counted in the period
    ``start``–``end``, for
    :func:`assessment.documents.statistics.combine_statistics`; one empty input when the
    county holds no elder."""
    bounds = part_bounds(conn, size)
    if not bounds:
        yield county_statistics_input(conn, as_of, lists=lists)
    for after, last in bounds:
        yield part_input(conn, as_of, lists, after, last, start, end)
