"""The roster query: search as you type plus filters, counted and fetched by the page.

One SQL statement per call over the narrow ``elders`` table (grade, last assessment, due date
and draft count are denormalised there), with the typed text resolved through the indexed
``search_terms`` table (see :mod:`assessment.records.search`) and the small villages table
(a typed village name or its pinyin also lists the village's elders).

Query plans are chosen here rather than left to chance, because the two kinds of search need
opposite plans:

* a *broad* text (``w``, ``zh``: thousands of matches) walks the index of the sort order and
  checks each row against the match set (built once, with a Bloom filter), stopping after one
  page; this stays fast even when the matches cluster at the end of the order (``王``);
* a *narrow* text (``zs``, an ID tail: a handful of matches) looks the matches up by rowid and
  sorts them.

The match count that decides it is an index-only count of the term range. The SQL is built
from fixed fragments (sort keys, index names); every value is a bound parameter.

Sort orders end in the rowid so that pages never overlap. ``NULL`` (never assessed, no due
date) sorts first ascending and last descending, as SQLite orders it, so that an index can
serve the order.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from assessment.records.api import RosterFilter, RosterRow, RosterSort
from assessment.records.profiles import age_on, mask_id
from assessment.records.schema import Village
from assessment.records.search import (
    SearchText,
    parse_search_text,
    village_keys,
    village_matches,
)

BROAD = 3000  # term rows above which the sort index drives the query
_COLUMNS = ("num, id, name, sex, birth_date, id_number, village, current_grade, "
            "last_assessed, due_on, draft_count")
# sort → (columns in order, index that serves them, whether "ascending" means DESC)
_ORDERS: dict[RosterSort, tuple[tuple[str, ...], str, bool]] = {
    RosterSort.NAME: (("name_pinyin",), "ix_elders_name_pinyin", False),
    RosterSort.VILLAGE: (("village", "name_pinyin"), "ix_elders_village_pinyin", False),
    RosterSort.GRADE: (("current_grade", "name_pinyin"), "ix_elders_grade_pinyin", False),
    RosterSort.DUE: (("due_on", "name_pinyin"), "ix_elders_due_pinyin", False),
    # Youngest first = latest birth date first.
    RosterSort.AGE: (("birth_date", "name_pinyin"), "ix_elders_birth_pinyin", True),
}


def matching_villages(session: Session, query: SearchText) -> list[str]:
    """Villages whose name, pinyin or initials match the typed text (two letters or more)."""
    if query.is_id_tail or len(query.prefix) < 2:
        return []
    names = session.scalars(select(Village.name)).all()
    return [name for name in names if village_matches(name, village_keys(name), query)]




class _Where:
    """The WHERE clause of a filter, its parameters and the size estimate of its text."""

    def __init__(self, session: Session, flt: RosterFilter, as_of: date) -> None:
        self.filters: list[str] = []
        self.params: dict[str, Any] = {}
        self.estimate: int | None = None
        self.has_text = False
        self.village_list = ""
        query = parse_search_text(flt.text)
        if flt.text.strip() and query is None:
            self.filters.append("0")
        if query is not None:
            self.has_text = True
            self.params.update(lo=query.prefix, hi=query.upper)
            self.estimate = int(session.execute(text(
                "SELECT count(*) FROM search_terms WHERE term >= :lo AND term < :hi"),
                self.params).scalar_one())
            villages = matching_villages(session, query)
            for i, village in enumerate(villages):
                self.params[f"v{i}"] = village
            self.village_list = ", ".join(f":v{i}" for i in range(len(villages)))
            if villages:
                self.estimate += int(session.execute(text(
                    f"SELECT count(*) FROM elders WHERE village IN ({self.village_list})"),
                    self.params).scalar_one())
        if flt.village is not None:
            self.filters.append("village = :village")
            self.params["village"] = flt.village
        if flt.grade is not None:
            if flt.grade < 0:
                self.filters.append("current_grade IS NULL")
            else:
                self.filters.append("current_grade = :grade")
                self.params["grade"] = flt.grade
        if flt.due_only:
            self.filters.append("due_on <= :as_of")
            self.params["as_of"] = as_of.isoformat()

    @property
    def sql(self) -> str:
        """The clause; a text is membership in the set of matches (materialised once per
        statement, with a Bloom filter in front of it)."""
        parts = list(self.filters)
        if self.has_text:
            matches = "SELECT elder_num FROM search_terms WHERE term >= :lo AND term < :hi"
            if self.village_list:
                matches += f" UNION SELECT num FROM elders WHERE village IN ({self.village_list})"
            parts.append(f"num IN ({matches})")
        return " AND ".join(parts) if parts else "1"


def roster_count(session: Session, flt: RosterFilter) -> int:
    """How many elders the filter shows."""
    where = _Where(session, flt, flt.as_of or date.today())
    if where.has_text and not where.filters:
        # Index-only: distinct elders in the term range (plus whole matching villages).
        matches = "SELECT elder_num FROM search_terms WHERE term >= :lo AND term < :hi"
        if where.village_list:
            matches += f" UNION SELECT num FROM elders WHERE village IN ({where.village_list})"
        sql = f"SELECT count(DISTINCT elder_num) FROM ({matches})"
    else:
        sql = f"SELECT count(*) FROM elders WHERE {where.sql}"
    return int(session.execute(text(sql), where.params).scalar_one())


def roster_page(session: Session, flt: RosterFilter, offset: int, limit: int) -> list[RosterRow]:
    """Rows ``offset`` … ``offset + limit - 1`` of the filtered, sorted roster."""
    as_of = flt.as_of or date.today()
    where = _Where(session, flt, as_of)
    keys, index, flipped = _ORDERS[flt.sort]
    direction = "DESC" if flt.descending != flipped else "ASC"
    order = ", ".join(f"{key} {direction}" for key in (*keys, "num"))
    if where.estimate is None:
        hint = ""  # filters only: SQLite's own choice among the indexes is good
    elif where.estimate > BROAD:
        if flt.village is not None and flt.sort is RosterSort.NAME:
            index = "ix_elders_village_pinyin"  # (village, name_pinyin) serves the order
        hint = f" INDEXED BY {index}"
    else:
        hint = " NOT INDEXED"  # rowid look-ups of the few matches, then a small sort
    sql = (f"SELECT {_COLUMNS} FROM elders{hint} WHERE {where.sql} "
           f"ORDER BY {order} LIMIT :limit OFFSET :offset")
    params = {**where.params, "limit": max(limit, 0), "offset": max(offset, 0)}
    rows = []
    for row in session.execute(text(sql), params):
        birth = date.fromisoformat(row.birth_date) if row.birth_date else None
        rows.append(RosterRow(
            elder_id=row.id, name=row.name, sex=row.sex, age=age_on(birth, as_of),
            id_masked=mask_id(row.id_number), village=row.village, grade=row.current_grade,
            last_assessed=date.fromisoformat(row.last_assessed) if row.last_assessed else None,
            due_on=date.fromisoformat(row.due_on) if row.due_on else None,
            has_draft=row.draft_count > 0,
        ))
    return rows


def village_names(session: Session) -> Sequence[str]:
    """Every village in use, in pinyin order."""
    return list(session.scalars(select(Village.name).order_by(Village.pinyin, Village.name)))
