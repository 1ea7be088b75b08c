"""Finding the elders the county holds by resident ID number or by name.

A county operator knows the person (name, 身份证号), not the record id that a transfer needs.
The search runs over the elder record heads: a ``LIKE`` on the canonical JSON text of the
key narrows the rows in SQL, the parsed payload confirms each one. An elder's latest grade
comes from its assessment heads, found by the indexed ``record_heads.elder_id``.

* An ID number is matched exactly after normalising it as people type it (blanks removed,
  ``x`` upper-cased, a 15-digit legacy number converted) and validating it (GB 11643), so a
  mistyped number is refused with the reason rather than silently finding nothing.
* A name is matched in full or by its beginning (a surname finds every holder of it); exact
  matches come first.

Every match carries the ID number masked (``140404********1234``): nothing here returns a
full number, so no screen or printout built from it can show one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any, Literal

from sqlalchemy import ColumnElement, Connection, or_, select

from assessment.errors import InputRejected, Problem
from assessment.identity import normalise, parse_resident_id
from assessment.wire.changes import canonical_text
from server.db.tables import record_heads, townships

LIMIT = 50
NAME_MAX = 40
_NUMBERISH = re.compile(r"^[0-9X]+$")  # what people type as an ID number (after normalise)
_ANY_DIGIT = re.compile(r"[0-9]")


@dataclass(frozen=True, slots=True)
class Query:
    """A parsed search: an 18-digit ID number or (the beginning of) a name."""

    by: Literal["id_number", "name"]
    value: str

    @property
    def shown(self) -> str:
        """What a page or a message may repeat back: the masked number or the name."""
        return mask_id_number(self.value) if self.by == "id_number" else self.value


@dataclass(frozen=True, slots=True)
class ElderMatch:
    """One elder as a search result (the ID number masked)."""

    elder_id: str
    name: str
    id_number_masked: str
    sex: str
    birth_year: int | None
    township: str
    township_name: str
    village: str
    grade: int | None  # server grade of the newest finalized assessment, None if none

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (the county command prints it)."""
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Found:
    """The matches of one search, at most ``limit`` of ``total``."""

    query: Query
    matches: tuple[ElderMatch, ...]
    total: int

    @property
    def more(self) -> bool:
        """Whether some matches were left out."""
        return self.total > len(self.matches)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (the county command prints it)."""
        return {"by": self.query.by, "query": self.query.shown, "total": self.total,
                "shown": len(self.matches), "more": self.more,
                "matches": [m.as_dict() for m in self.matches]}


def mask_id_number(value: object) -> str:
    """``140404********1234``: first six and last four characters (all masked if short)."""
    text = str(value or "")
    if len(text) < 11:
        return "*" * len(text)
    return text[:6] + "*" * (len(text) - 10) + text[-4:]


def looks_like_id_number(text: str) -> bool:
    """Whether ``text`` is typed as an ID number (digits and X only) rather than a name or an
    elder record id."""
    return bool(_NUMBERISH.fullmatch(normalise(text))) and bool(_ANY_DIGIT.search(text))


def parse_query(text: object) -> Query:
    """The search ``text`` means: a valid ID number or a name; refused with the reason."""
    if not isinstance(text, str) or not text.strip():
        raise InputRejected([Problem("query", "missing", "请输入身份证号或姓名")])
    if looks_like_id_number(text):
        parsed = parse_resident_id(text, field="id_number")
        if isinstance(parsed, Problem):
            raise InputRejected([parsed])
        return Query("id_number", parsed.number)
    name = text.strip()
    if _ANY_DIGIT.search(name):
        raise InputRejected([Problem("query", "shape",
                                     "身份证号应为 18 位（前 17 位数字，末位数字或 X）；"
                                     "按姓名查找请只输入姓名")])
    if len(name) > NAME_MAX:
        raise InputRejected([Problem("query", "length", f"姓名最多 {NAME_MAX} 个字")])
    return Query("name", name)


def _key_filter(key: str, fragments: Iterable[str]) -> ColumnElement[bool]:
    """Coarse SQL filter: the payload text holds ``"key":fragment`` for one of the fragments."""
    return or_(*(record_heads.c.payload.contains(f'"{key}":{fragment}', autoescape=True)
                 for fragment in fragments))


def _candidates(conn: Connection, query: Query) -> list[tuple[dict[str, Any], Any]]:
    """(payload, row) of the elder heads the query matches, confirmed on the payload."""
    h = record_heads.c
    if query.by == "id_number":
        variants = {query.value, query.value.lower()}  # a stored lower-case x, just in case
        where = _key_filter("id_number", (canonical_text(v) for v in sorted(variants)))
    else:
        where = _key_filter("name", [canonical_text(query.value)[:-1]])  # open-ended prefix
    rows = conn.execute(select(h.record_id, h.payload, townships.c.code, townships.c.name)
                        .join(townships, townships.c.id == h.township_id)
                        .where(h.record_type == "elder", where)).all()
    out: list[tuple[dict[str, Any], Any]] = []
    for row in rows:
        try:
            payload = json.loads(row.payload)
        except ValueError:
            continue
        if isinstance(payload, dict) and _confirmed(payload, query):
            out.append((payload, row))
    return out


def _confirmed(payload: Mapping[str, Any], query: Query) -> bool:
    if query.by == "id_number":
        number = payload.get("id_number")
        return isinstance(number, str) and normalise(number) == query.value
    name = payload.get("name")
    return isinstance(name, str) and name.strip().startswith(query.value)


def _birth_year(payload: Mapping[str, Any]) -> int | None:
    birth = payload.get("birth_date")
    if isinstance(birth, str) and re.match(r"^[0-9]{4}-", birth):
        return int(birth[:4])
    number = payload.get("id_number")
    if isinstance(number, str) and len(number) == 18 and number[6:10].isdigit():
        return int(number[6:10])
    return None


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _match(payload: Mapping[str, Any], row: Any, grade: int | None) -> ElderMatch:
    number = payload.get("id_number")
    return ElderMatch(
        elder_id=str(row.record_id), name=_text(payload.get("name")),
        id_number_masked=mask_id_number(number) if isinstance(number, str) else "",
        sex=_text(payload.get("sex")), birth_year=_birth_year(payload),
        township=str(row.code), township_name=str(row.name),
        village=_text(payload.get("village")), grade=grade)


def latest_grades(conn: Connection, elder_ids: Iterable[str]) -> dict[str, int | None]:
    """The server grade of each elder's newest finalized assessment (by finalization time);
    elders without one are left out. Indexed lookups on ``record_heads.elder_id``."""
    wanted = sorted(set(elder_ids))
    h = record_heads.c
    newest: dict[str, tuple[str, str, int | None]] = {}
    for start in range(0, len(wanted), 500):
        rows = conn.execute(select(h.record_id, h.grade, h.payload, h.elder_id)
                            .where(h.elder_id.in_(wanted[start:start + 500]),
                                   h.record_type == "assessment", h.status == "finalized"))
        for row in rows:
            when = str(json.loads(row.payload).get("finalized_at") or "")
            key = (when, str(row.record_id))
            held = newest.get(str(row.elder_id))
            if held is None or key > held[:2]:
                newest[str(row.elder_id)] = (*key, None if row.grade is None
                                             else int(row.grade))
    return {elder: grade for elder, (_, _, grade) in newest.items()}


def _order(query: Query) -> Callable[[ElderMatch], tuple[Any, ...]]:
    def key(match: ElderMatch) -> tuple[Any, ...]:
        return (match.name != query.value, match.name, match.township, match.village,
                match.elder_id)
    return key


def find_elders(conn: Connection, text: object, limit: int = LIMIT) -> Found:
    """The elders a search text (ID number or name) finds; refused when the text is neither.

    Exact name matches first; at most ``limit`` matches, ``total`` says how many there were.
    """
    query = parse_query(text)
    found = _candidates(conn, query)
    plain = sorted((_match(payload, row, None) for payload, row in found), key=_order(query))
    shown = plain[:max(0, limit)]
    grades = latest_grades(conn, [m.elder_id for m in shown])
    matches = tuple(replace(m, grade=grades.get(m.elder_id)) for m in shown)
    return Found(query, matches, len(plain))


def elder_by_id(conn: Connection, elder_id: str) -> ElderMatch | None:
    """One elder by record id, as a search result (for the transfer confirmation)."""
    h = record_heads.c
    row = conn.execute(select(h.record_id, h.payload, townships.c.code, townships.c.name)
                       .join(townships, townships.c.id == h.township_id)
                       .where(h.record_type == "elder", h.record_id == elder_id)).first()
    if row is None:
        return None
    payload = json.loads(row.payload)
    return _match(payload if isinstance(payload, dict) else {}, row,
                  latest_grades(conn, [elder_id]).get(elder_id))


def resolve_elder(conn: Connection, reference: str) -> str:
    """The record id an operator means: ``reference`` itself, or the one elder an ID number
    belongs to. Refused (field ``elder_id``) when the number is invalid, unknown or shared by
    several elder records; an elder id is passed on unchecked (the transfer checks it)."""
    if not looks_like_id_number(reference):
        return reference
    try:
        query = parse_query(reference)
    except InputRejected as exc:
        raise InputRejected([Problem("elder_id", p.code, p.message)
                             for p in exc.problems]) from None
    found = _candidates(conn, query)
    if len(found) == 1:
        return str(found[0][1].record_id)
    if not found:
        raise InputRejected([Problem("elder_id", "unknown",
                                     f"县级没有身份证号为 {query.shown} 的老年人档案")])
    ids = "、".join(sorted(str(row.record_id) for _, row in found))
    raise InputRejected([Problem(
        "elder_id", "ambiguous",
        f"身份证号 {query.shown} 对应 {len(found)} 份老年人档案（编号 {ids}），"
        "无法确定迁移哪一份；请核实后改用老人编号")])
