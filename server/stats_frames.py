"""Statistics input frames read from the county database (read-only).

The county computes its statistics with the laptops' own code
(:func:`assessment.documents.statistics.compute_statistics`); this module builds the frames
that code reads (:class:`~assessment.documents.statistics.StatisticsInput`) from the synced
records, ``record_heads``:

* **assessments**: every finalized or superseded assessment head; the grade is the server's
  recomputation (``record_heads.grade``; the laptop's claimed final grade only where the
  server stored none); the reference date and reason are the payload's (A.1.2, A.1.3).
* **elders**: every elder head, in the township the *county* holds it in (an elder may have
  been transferred: :mod:`server.transfers`), with name, sex, birth date and village from
  the merged profile. The current grade is that of the elder's latest finalized (not
  superseded) assessment by reference date, then finalization time: the laptops' rule
  (:func:`assessment.records.incoming.refresh_current`).
* **eligibility** (optional): every elder's profile matched with the laptops' vectorized
  engine against the bundled and published lists (:mod:`server.county_lists`).

Payloads are read in chunks (``pandas.read_sql``, a server-side cursor on PostgreSQL) and
reduced to a few columns at once, so 100,000 elders cost a few small frames, never one object
per row of history.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Select, select

from assessment.documents.frames import profiles_frame, registry_results
from assessment.documents.statistics import StatisticsInput
from assessment.eligibility.registry import ListRegistry
from assessment.registry.current import current_rows
from server.db.tables import record_heads, townships

CHUNK = 5000
SHOWN = ("finalized", "superseded")  # assessment statuses the statistics count
ELDER_COLUMNS = ("elder_id", "name", "township", "township_code", "village", "sex",
                 "birth_date", "current_grade", "last_assessed")
_READ_COLUMNS = ELDER_COLUMNS[:-2]  # read from the heads; the last two come from assessments
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


def _object(text: Any) -> dict[str, Any]:
    """A stored payload as a dict (anything else as an empty one)."""
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


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


def _assessment_rows(chunk: pd.DataFrame) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {name: [] for name in ASSESSMENT_COLUMNS}
    for record_id, township_id, grade, status, text in zip(
            *(chunk[c].tolist() for c in ("record_id", "township_id", "grade", "status",
                                          "payload")), strict=True):
        payload = _object(text)
        raw = payload.get("answers")
        answers: Mapping[str, Any] = raw if isinstance(raw, dict) else {}
        out["assessment_id"].append(str(record_id))
        out["elder_id"].append(_text(payload.get("elder_id")))
        out["reference_date"].append(_day(payload.get("reference_date"))
                                     or _day(answers.get("A.1.2")))
        out["reason"].append(_text(payload.get("reason")) or _text(answers.get("A.1.3")))
        out["final_grade"].append(float(grade) if grade is not None and grade == grade
                                  else _grade(payload.get("final_grade")))
        out["status"].append(str(status))
        out["township_id"].append(int(township_id))
        out["finalized_at"].append(_text(payload.get("finalized_at")))
    return out


def read_assessments(conn: Connection) -> pd.DataFrame:
    """One row per finalized or superseded assessment head (see the module docstring)."""
    h = record_heads.c
    query = (select(h.record_id, h.township_id, h.grade, h.status, h.payload)
             .where(h.record_type == "assessment", h.status.in_(SHOWN)))
    parts = [pd.DataFrame(_assessment_rows(chunk), columns=list(ASSESSMENT_COLUMNS))
             for chunk in _chunks(conn, query)]
    frame = (pd.concat(parts, ignore_index=True) if parts
             else pd.DataFrame(columns=list(ASSESSMENT_COLUMNS)))
    frame = frame.dropna(subset=["elder_id"]).reset_index(drop=True)
    frame["reference_date"] = pd.to_datetime(frame["reference_date"], errors="coerce")
    frame["final_grade"] = pd.to_numeric(frame["final_grade"], errors="coerce").astype(
        np.float64)
    return frame


def current_assessments(assessments: pd.DataFrame) -> pd.DataFrame:
    """Per elder id: ``current_grade`` and ``last_assessed`` of its latest finalized (not
    superseded) assessment by reference date, then finalization time."""
    latest = current_rows(assessments)
    return pd.DataFrame({"current_grade": latest["final_grade"].to_numpy(dtype=np.float64),
                         "last_assessed": latest["reference_date"].to_numpy()},
                        index=pd.Index(latest["elder_id"].to_numpy(dtype=object)))


def _elder_rows(chunk: pd.DataFrame, places: Mapping[int, Township],
                with_profiles: bool) -> tuple[dict[str, list[Any]], list[dict[str, Any]]]:
    out: dict[str, list[Any]] = {name: [] for name in _READ_COLUMNS}
    attributes: list[dict[str, Any]] = []
    texts: list[Any] = chunk["payload"].tolist() if with_profiles else [None] * len(chunk)
    for record_id, township_id, text in zip(chunk["record_id"].tolist(),
                                            chunk["township_id"].tolist(), texts, strict=True):
        place = places.get(int(township_id))
        payload = _object(text) if with_profiles else {}
        out["elder_id"].append(str(record_id))
        out["township"].append(place.label if place else None)
        out["township_code"].append(place.code if place else None)
        out["name"].append(_text(payload.get("name")))
        out["village"].append(_text(payload.get("village")))
        out["sex"].append(_text(payload.get("sex")))
        out["birth_date"].append(_day(payload.get("birth_date")))
        raw = payload.get("attributes")
        attributes.append(raw if isinstance(raw, dict) else {})
    return out, attributes


def _elder_frame(columns: dict[str, list[Any]], current: pd.DataFrame) -> pd.DataFrame:
    frame = pd.DataFrame(columns, columns=list(_READ_COLUMNS))
    mine = current.reindex(pd.Index(frame["elder_id"].to_numpy(dtype=object)))
    frame["current_grade"] = mine["current_grade"].to_numpy(dtype=np.float64)
    frame["last_assessed"] = mine["last_assessed"].to_numpy()
    frame["birth_date"] = frame["birth_date"].astype(object)
    return frame


@dataclass(frozen=True, slots=True)
class ElderRead:
    """The elders frame and, when matching was asked for, the registry frame."""

    elders: pd.DataFrame
    registry: pd.DataFrame | None


def left_dates(conn: Connection) -> dict[str, date]:
    """Elder id → the day it left the roll, for every deregistered or merged elder (its
    lifecycle head, :mod:`assessment.registry.status`); current statistics leave them out
    from that day."""
    h = record_heads.c
    found: dict[str, date] = {}
    for record_id, payload in conn.execute(select(h.record_id, h.payload).where(
            h.record_type == "elder_status", h.status.in_(("deregistered", "merged")))):
        data = _object(payload)
        day = _day(data.get("on")) or _day(str(data.get("at") or "")[:10]) or date.min
        found[str(record_id)] = day
    return found


def read_elders(conn: Connection, current: pd.DataFrame, *, with_profiles: bool = True,
                lists: ListRegistry | None = None) -> ElderRead:
    """Every elder head (see the module docstring), ``current`` from
    :func:`current_assessments`. Without ``with_profiles`` only ids and townships are read
    (enough for per-township counts). With ``lists`` the registry frame the eligibility
    engine reads is built chunk by chunk (:func:`assessment.documents.frames.profiles_frame`).
    """
    places = {t.id: t for t in county_townships(conn)}
    profiles = with_profiles or lists is not None
    h = record_heads.c
    query = (select(h.record_id, h.township_id, *([h.payload] if profiles else []))
             .where(h.record_type == "elder").order_by(h.record_id))
    elders: list[pd.DataFrame] = []
    registry: list[pd.DataFrame] = []
    for chunk in _chunks(conn, query):
        columns, attributes = _elder_rows(chunk, places, profiles)
        frame = _elder_frame(columns, current)
        elders.append(frame)
        if lists is not None:
            registry.append(profiles_frame(frame, attributes, lists.vocabulary))
    all_elders = (pd.concat(elders, ignore_index=True) if elders
                  else _elder_frame({c: [] for c in _READ_COLUMNS}, current))
    left = left_dates(conn)
    all_elders["left_on"] = [left.get(e) for e in all_elders["elder_id"].tolist()]
    if lists is None:
        return ElderRead(all_elders, None)
    return ElderRead(all_elders, pd.concat(registry, ignore_index=True) if registry
                     else pd.DataFrame())


def county_statistics_input(conn: Connection, as_of: date, *, with_profiles: bool = True,
                            lists: ListRegistry | None = None) -> StatisticsInput:
    """Everything :func:`~assessment.documents.statistics.compute_statistics` needs, over the
    whole county; eligibility (as of ``as_of``) only when ``lists`` are given."""
    assessments = read_assessments(conn)
    read = read_elders(conn, current_assessments(assessments), with_profiles=with_profiles,
                       lists=lists)
    eligibility: pd.DataFrame | None = None
    names: dict[str, str] = {}
    if lists is not None and read.registry is not None:
        eligibility, names = registry_results(read.registry, as_of, lists)
    return StatisticsInput(read.elders, assessments, eligibility, names)
