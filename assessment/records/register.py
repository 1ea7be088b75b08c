"""The elder register query (花名册): search as you type plus filters, counted and fetched
by the page.

Few SQL statements per call over the narrow ``elders`` table (grade, last assessment, due date
and draft count are denormalised there), with the typed text resolved through the indexed
``search_terms`` table (see :mod:`assessment.records.search`) and the small villages table
(a typed village name or its pinyin also lists the village's elders).

Query plans are chosen here rather than left to chance, because the kinds of search need
opposite plans:

* a *short* text (``w``, ``zh``, ``zhang``, ``王``: up to tens of thousands of matches) has a
  prefix key: its key rows are the matching elders, each once, in name order. The count is an
  index range count; the first page in name order is the first rows of the range, whatever
  part of the order the matches cluster in (``王`` all sort under ``wang``);
* a *broad* text without a key (the last digit of an ID number) walks the index of the sort
  order and checks each row against the terms, stopping after one page;
* a *narrow* text (``zhangsan``, ``王秀``, two digits of an ID tail: up to a few thousand
  matches) looks up the matches' sort keys in the small ``ix_elders_num_pinyin`` and sorts
  them (or, for other orders, their rows by rowid).

Elders of a matching village are merged into a page in name order from
``ix_elders_village_pinyin``, village by village, and counted as keys + villagers − both.

Other sort orders and filters use the key rows (or terms) as a membership test. The match
count that decides the plan is an index-only count of the range. The SQL is built from fixed
fragments (sort keys, index names); every value is a bound parameter.

Pages are read by key (keyset paging): a page's last row carries its place in the order
(``RegisterRow.key``: the sort columns' stored values and the row number), and the next page is
the first rows *after* that place, so a deep page costs what the first page costs instead of
walking and probing every row before it, and an elder added or removed meanwhile neither
repeats nor hides a row. ``offset`` still counts rows past that place (or from the start), for
a jump to a page whose predecessor was never read.

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

from assessment.records.api import RegisterFilter, RegisterKey, RegisterRow, RegisterSort
from assessment.records.profiles import age_on, mask_id
from assessment.records.schema import Village
from assessment.records.search import ID_MARK, SearchText, key_range, parse_search_text

BROAD = 3000  # matches above which the sort index drives the query
_VILLAGE_ARMS = 60  # matching villages read one by one in name order (a compound SELECT)
_COLUMNS = ("num, name_pinyin, id, name, sex, birth_date, id_number, village, current_grade, "
            "last_assessed, due_on, draft_count, transferred_to, status, left_on")
# sort → (columns in order, index that serves them, whether "ascending" means DESC)
_ORDERS: dict[RegisterSort, tuple[tuple[str, ...], str, bool]] = {
    RegisterSort.NAME: (("name_pinyin",), "ix_elders_name_pinyin", False),
    RegisterSort.VILLAGE: (("village", "name_pinyin"), "ix_elders_village_pinyin", False),
    RegisterSort.GRADE: (("current_grade", "name_pinyin"), "ix_elders_grade_pinyin", False),
    RegisterSort.DUE: (("due_on", "name_pinyin"), "ix_elders_due_pinyin", False),
    # Youngest first = latest birth date first.
    RegisterSort.AGE: (("birth_date", "name_pinyin"), "ix_elders_birth_pinyin", True),
}
_KEY_ROWS = "SELECT elder_num FROM search_terms WHERE term >= :klo AND term < :khi"
_TERM_ROWS = "SELECT elder_num FROM search_terms WHERE term >= :lo AND term < :hi"
# One elder's key row of the typed prefix, found by primary key (the key embeds the sort key).
_HAS_KEY = ("EXISTS (SELECT 1 FROM search_terms "
            "WHERE term = :klo || elders.name_pinyin AND elder_num = elders.num)")
# Whether an elder has a term in the typed range (the terms keep no index by elder, migration
# 0010). An ID tail is tested on the row itself: the elder's one ID term is ``#`` + its
# reversed number, so the range holds it exactly when the number ends in the typed digits. Any
# other text: the range's matches are read once per statement into a temporary set that each
# elder is looked up in (a broad unkeyed name range is a few thousand rows).
_HAS_TERM = f"num IN ({_TERM_ROWS})"
_HAS_ID_TAIL = "lower(substr(id_number, -:tail_len)) = :tail"


def matching_villages(session: Session, query: SearchText) -> list[str]:
    """Villages whose name, pinyin or initials match the typed text (two letters or more);
    the same test as :func:`~assessment.records.search.village_matches`, over the keys
    stored with each village."""
    if query.is_id_tail or len(query.prefix) < 2:
        return []
    return list(session.scalars(text(
        "SELECT name FROM villages WHERE instr(name, :q) > 0 OR substr(pinyin, 1, :n) = :q "
        "OR substr(initials, 1, :n) = :q ORDER BY name"), {"q": query.prefix,
                                                          "n": len(query.prefix)}))


class _Where:
    """The filters of a roster query, the typed text's match set and their parameters."""

    def __init__(self, session: Session, flt: RegisterFilter, as_of: date) -> None:
        self.session = session
        self.filters: list[str] = []
        self.params: dict[str, Any] = {}
        self.query = parse_search_text(flt.text)
        self.keyed = False
        self.village_list = ""
        if flt.text.strip() and self.query is None:
            self.filters.append("0")
        if self.query is not None:
            key = self.query.key
            if key is not None:
                self.keyed = True
                self.params["klo"], self.params["khi"] = key_range(key)
            else:
                self.params.update(lo=self.query.prefix, hi=self.query.upper)
                if self.query.is_id_tail:
                    tail = self.query.prefix[len(ID_MARK):][::-1]
                    self.params.update(tail=tail, tail_len=len(tail))
            villages = matching_villages(session, self.query)
            for i, village in enumerate(villages):
                self.params[f"v{i}"] = village
            self.village_list = ", ".join(f":v{i}" for i in range(len(villages)))
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
            # Only elders on the roll that day (assessment.registry.status.active_on).
            self.filters.append("due_on <= :as_of AND (left_on IS NULL OR left_on > :as_of)")
            self.params["as_of"] = as_of.isoformat()

    def scalar(self, sql: str) -> int:
        """One integer from a statement over this query's parameters."""
        return int(self.session.execute(text(sql), self.params).scalar_one())

    @property
    def has_text(self) -> bool:
        """Whether a typed text restricts the roster."""
        return self.query is not None

    @property
    def rows(self) -> str:
        """The statement listing the elder numbers of the matching terms (or key rows)."""
        return _KEY_ROWS if self.keyed else _TERM_ROWS

    @property
    def in_villages(self) -> str:
        """The village test of a text that names villages (empty when none match)."""
        return f"village IN ({self.village_list})" if self.village_list else ""

    @property
    def has_term(self) -> str:
        """The per-elder test of an unkeyed text (see ``_HAS_TERM``)."""
        return _HAS_ID_TAIL if self.query is not None and self.query.is_id_tail else _HAS_TERM

    def estimate(self) -> int:
        """How many elders the text matches at most (index-only counts)."""
        total = self.scalar(f"SELECT count(*) FROM ({self.rows})")
        if self.village_list:
            total += self.scalar(f"SELECT count(*) FROM elders WHERE {self.in_villages}")
        return total

    def sql(self, probe: bool) -> str:
        """The WHERE clause: the filters and membership in the text's matches, tested either
        per row (``probe``: an index seek per elder, for plans that stop after a page) or
        against the set of matches (materialised once per statement)."""
        parts = list(self.filters)
        if self.query is not None:
            if probe:
                member = _HAS_KEY if self.keyed else self.has_term
                if self.village_list:
                    member = f"({member} OR {self.in_villages})"
            else:
                matches = self.rows
                if self.village_list:
                    matches += f" UNION ALL SELECT num FROM elders WHERE {self.in_villages}"
                member = f"num IN ({matches})"
            parts.append(member)
        return " AND ".join(parts) if parts else "1"


def count(session: Session, flt: RegisterFilter) -> int:
    """How many elders the filter shows."""
    where = _Where(session, flt, flt.as_of or date.today())
    query = where.query
    if query is None or where.filters:
        # A filter narrows by the row; village = … is a few hundred rows, probe them.
        return where.scalar(f"SELECT count(*) FROM elders WHERE "
                            f"{where.sql(probe=flt.village is not None)}")
    if where.keyed:
        # One key row per matching elder; villages add their elders without one.
        keyed = _KEY_ROWS.replace("elder_num", "count(*)", 1)
        if not where.village_list:
            return where.scalar(keyed)
        # |keys| + |villages| - |both|: two sequential range reads and a set, rather than a
        # random primary-key probe per village elder (``+`` keeps SQLite on the key range).
        villagers = f"SELECT num FROM elders WHERE {where.in_villages}"
        return where.scalar(f"SELECT ({keyed}) + ({villagers.replace('num', 'count(*)', 1)}) "
                            f"- ({keyed} AND +elder_num IN ({villagers}))")
    if where.village_list:
        return where.scalar(f"SELECT count(*) FROM ({_TERM_ROWS} UNION "
                            f"SELECT num FROM elders WHERE {where.in_villages})")
    if query.distinct_terms:
        return where.scalar(_TERM_ROWS.replace("elder_num", "count(*)", 1))
    return where.scalar(_TERM_ROWS.replace("elder_num", "count(DISTINCT elder_num)", 1))


def _after(columns: tuple[str, ...], after: RegisterKey, descending: bool,
           params: dict[str, Any]) -> tuple[str, ...]:
    """The rows past ``after`` in the order of ``columns`` (the last one the non-null rowid),
    as one or two conditions, each a range of the order's index (a row-value comparison),
    the second one's rows all after the first one's. Only the leading column may be NULL
    (never assessed, no due date, no village): NULL sorts first ascending and last
    descending, as SQLite orders it, and a range never holds NULL, so the NULL rows are a
    second range rather than an ``OR`` that would walk the index from its start."""
    if len(after) != len(columns):
        raise ValueError(f"roster key {after!r} is not a key of the order {columns}")
    for i, value in enumerate(after):
        params[f"after{i}"] = value
    op = "<" if descending else ">"

    def past(first: int) -> str:
        cols, marks = columns[first:], [f":after{i}" for i in range(first, len(columns))]
        if len(cols) == 1:
            return f"{cols[0]} {op} {marks[0]}"
        return f"({', '.join(cols)}) {op} ({', '.join(marks)})"

    lead = columns[0]
    if len(columns) == 2 and lead == "name_pinyin":
        return (past(0),)  # NOT NULL
    if after[0] is None:
        if descending:
            return (f"{lead} IS NULL AND {past(1)}",)
        return (f"{lead} IS NULL AND {past(1)}", f"{lead} IS NOT NULL")
    if descending:
        return (past(0), f"{lead} IS NULL")
    return (past(0),)  # a NULL lead compares as NULL: those rows come before


def _name_page(where: _Where, descending: bool, after: RegisterKey | None) -> str:
    """The statement of a page in name order of a text without filters: the elders of the
    text's matches in name order (the first rows of its key range, or the sort index walked
    and probed for a broad text, or the few matches sorted by ``ix_elders_num_pinyin``), merged
    with the elders of matching villages (from ``ix_elders_village_pinyin``)."""
    direction = "DESC" if descending else "ASC"
    order = f"ORDER BY sort {direction}, num {direction}"
    past = past_key = ""
    if after is not None:
        past = " AND " + _after(("name_pinyin", "num"), after, descending, where.params)[0]
        # The key row of the elder at ``after`` is the typed prefix's key + its sort key.
        op = "<" if descending else ">"
        past_key = f" AND (term, elder_num) {op} (:klo || :after0, :after1)"
    if where.keyed:
        where.params["sort_at"] = len(where.params["klo"]) + 1
        matches = (f"SELECT substr(term, :sort_at) AS sort, elder_num AS num FROM search_terms "
                   f"WHERE term >= :klo AND term < :khi{past_key} "
                   f"ORDER BY term {direction}, elder_num {direction}")
    elif where.scalar(_TERM_ROWS.replace("elder_num", "count(*)", 1)) > BROAD:
        matches = (f"SELECT name_pinyin AS sort, num FROM elders "
                   f"INDEXED BY ix_elders_name_pinyin WHERE {where.has_term}{past} {order}")
    else:
        matches = (f"SELECT name_pinyin AS sort, num FROM elders "
                   f"INDEXED BY ix_elders_num_pinyin WHERE num IN ({_TERM_ROWS}){past} "
                   f"{order}")
    if where.village_list:
        village_params = where.village_list.split(", ")
        if len(village_params) <= _VILLAGE_ARMS:
            # Each village's first rows come in order from (village, name_pinyin): no sort
            # of all their elders.
            villages = " UNION ".join(
                f"SELECT * FROM (SELECT name_pinyin AS sort, num FROM elders "
                f"WHERE village = {v}{past} {order} LIMIT :upto)" for v in village_params)
        else:
            villages = (f"SELECT * FROM (SELECT name_pinyin AS sort, num FROM elders "
                        f"WHERE {where.in_villages}{past} {order} LIMIT :upto)")
        matches = (f"SELECT sort, num FROM (SELECT * FROM ({matches} LIMIT :upto) "
                   f"UNION {villages}) {order}")
    return (f"SELECT {_COLUMNS} FROM elders WHERE num IN ("
            f"SELECT num FROM ({matches} LIMIT :limit OFFSET :offset)) "
            f"ORDER BY name_pinyin {direction}, num {direction}")


def page(session: Session, flt: RegisterFilter, offset: int, limit: int,
                after: RegisterKey | None = None) -> list[RegisterRow]:
    """Rows ``offset`` … ``offset + limit - 1`` of the filtered, sorted roster, counted from
    the first row past ``after`` (a ``RegisterRow.key`` read in the same order), or from the
    start when ``after`` is ``None``."""
    as_of = flt.as_of or date.today()
    where = _Where(session, flt, as_of)
    keys, index, flipped = _ORDERS[flt.sort]
    descending = flt.descending != flipped
    direction = "DESC" if descending else "ASC"
    order = ", ".join(f"{key} {direction}" for key in (*keys, "num"))
    offset, limit = max(offset, 0), max(limit, 0)
    columns = (*keys, "num")
    if where.has_text and not where.filters and flt.sort is RegisterSort.NAME:
        sql = _name_page(where, descending, after)
    else:
        probe = False
        if not where.has_text:
            hint = ""  # filters only: SQLite's own choice among the indexes is good
        elif where.estimate() > BROAD:
            if flt.village is not None and flt.sort is RegisterSort.NAME:
                index = "ix_elders_village_pinyin"  # (village, name_pinyin) serves the order
            hint = f" INDEXED BY {index}"
            probe = True  # stops after a page: an index seek per row beats building the set
        else:
            hint = " NOT INDEXED"  # rowid look-ups of the few matches, then a small sort
        condition = where.sql(probe)
        arms = ("",) if after is None else _after(columns, after, descending, where.params)
        if len(arms) == 1:
            past = f" AND {arms[0]}" if arms[0] else ""
            sql = (f"SELECT {_COLUMNS} FROM elders{hint} WHERE {condition}{past} "
                   f"ORDER BY {order} LIMIT :limit OFFSET :offset")
        else:  # two ranges, each read in order up to the page's end, merged
            sql = " UNION ALL ".join(
                f"SELECT * FROM (SELECT {_COLUMNS} FROM elders{hint} "
                f"WHERE {condition} AND {arm} ORDER BY {order} LIMIT :upto)" for arm in arms)
            sql += f" ORDER BY {order} LIMIT :limit OFFSET :offset"
    params = {**where.params, "limit": limit, "offset": offset, "upto": offset + limit}
    rows = []
    # Positional unpacking: a Row's attribute access costs more than the query's own work.
    for (num, name_pinyin, elder_id, name, sex, birth_date, id_number, village, grade,
         last_assessed, due_on, drafts, transferred_to, status, left_on) in (
            session.execute(text(sql), params).all()):
        stored = {"name_pinyin": name_pinyin, "village": village, "current_grade": grade,
                  "due_on": due_on, "birth_date": birth_date}
        key: RegisterKey = (*(stored[column] for column in keys), num)
        birth = date.fromisoformat(birth_date) if birth_date else None
        rows.append(RegisterRow(
            elder_id=elder_id, name=name, sex=sex, age=age_on(birth, as_of),
            id_masked=mask_id(id_number), village=village, grade=grade,
            last_assessed=date.fromisoformat(last_assessed) if last_assessed else None,
            due_on=date.fromisoformat(due_on) if due_on else None,
            has_draft=drafts > 0, transferred_to=transferred_to, status=status or "active",
            left_on=date.fromisoformat(left_on) if left_on else None, key=key,
        ))
    return rows


def village_names(session: Session) -> Sequence[str]:
    """Every village in use, in pinyin order."""
    return list(session.scalars(select(Village.name).order_by(Village.pinyin, Village.name)))
