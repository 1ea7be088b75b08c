"""The county's registry decisions (issue 13): the potential-duplicate queue across townships,
merges (and their undoing), deregistration and restoration.

Each decision is a set of the county's own changes (:func:`server.county_device.emit`,
``source="county"``), so it reaches every laptop of the townships concerned through their
feeds and goes through the one ingest path:

* **merge** ``other`` into ``keep``: an ``elder_status`` change marks ``other`` merged into
  ``keep`` (listing the assessments it moved), and every finalized or superseded assessment of
  ``other`` gets a new version naming ``keep`` as its elder (routed to ``keep``'s township).
  Both histories stay; nothing is deleted; laptops re-point the assessments they hold.
  Across townships the moved assessments' heads go to ``keep``'s township (later changes and
  statistics follow them there) and its feed gets the re-pointed versions; ``other``'s
  township gets the status, which names ``keep``'s township (``into_township``), and its
  laptops keep a read-only view of ``other`` with the history they hold
  ("已合并到其他乡镇的老人（…）").
* **unmerge**: the reverse, from the moved list: ``other`` is on the roll again and its
  assessments name it again (their heads back in its township). Across townships the kept
  record's township gets copies of those versions in its feed (``source="transfer"``, a feed
  the county names), so its laptops take them off the kept record.
* **deregister** / **restore**: an ``elder_status`` change, like a laptop's.
* **dismiss** / **undismiss**: a pair decided "不是同一人" is stored (county-only, nothing for
  the laptops) and leaves the queue; undismissing puts it back.

Every decision is in the audit log. Refused with nothing written: unknown elders, an elder
merged into itself or already merged, a restoration of an elder on the roll.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from assessment.errors import InputRejected, Problem
from assessment.registry import duplicates
from assessment.registry.export import ExportRow
from assessment.registry.status import (
    ACTIVE,
    DEREGISTERED,
    MERGED,
    RECORD_TYPE,
    ElderStatus,
    check_deregistration,
    check_why,
    parse_payload,
)
from server import audit
from server.county_device import CountyAuthor, Draft, emit, lock_feeds, next_hlc
from server.db.tables import duplicate_dismissals, record_heads

SHOWN = ("finalized", "superseded")


def _elder(conn: Connection, elder_id: object, field: str) -> Any:
    if not isinstance(elder_id, str) or not elder_id or len(elder_id) > 64:
        raise InputRejected([Problem(field, "value", "老年人编号不能为空（最多 64 个字符）")])
    row = conn.execute(select(record_heads.c.township_id, record_heads.c.payload).where(
        record_heads.c.record_type == "elder", record_heads.c.record_id == elder_id)).first()
    if row is None:
        raise InputRejected([Problem(field, "unknown", f"县级没有编号为 {elder_id} 的老年人档案")])
    return row


def county_status(conn: Connection, elder_id: str) -> ElderStatus:
    """The lifecycle the county holds for an elder (on the roll when never set)."""
    text = conn.execute(select(record_heads.c.payload).where(
        record_heads.c.record_type == RECORD_TYPE,
        record_heads.c.record_id == elder_id)).scalar()
    return ElderStatus(elder_id) if text is None else parse_payload(elder_id, json.loads(text))


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _status_draft(conn: Connection, author: CountyAuthor, status: ElderStatus) -> Draft:
    return Draft(RECORD_TYPE, status.elder_id, status.version, next_hlc(conn, author, 0),
                 status.payload())


def _assessment_drafts(conn: Connection, author: CountyAuthor, ids: list[str] | None,
                       of_elder: str | None, to_elder: str) -> list[Draft]:
    """A new version of each assessment (those of ``of_elder``, or the listed ``ids``) that
    names ``to_elder``, oldest finalization first (so a correction follows what it
    supersedes)."""
    h = record_heads.c
    query = select(h.record_id, h.version, h.payload, h.status).where(
        h.record_type == "assessment", h.status.in_(SHOWN))
    query = query.where(h.record_id.in_(ids)) if ids is not None else \
        query.where(h.elder_id == of_elder)
    rows = [(json.loads(r.payload), r) for r in conn.execute(query)]
    rows.sort(key=lambda pr: (str(pr[0].get("finalized_at") or ""), str(pr[1].record_id)))
    drafts: list[Draft] = []
    for payload, row in rows:
        version = int(row.version) + 1
        drafts.append(Draft("assessment", str(row.record_id), version,
                            next_hlc(conn, author, 0),
                            {**payload, "elder_id": to_elder, "version": version}))
    return drafts


def merge_elders(conn: Connection, author: CountyAuthor, keep: object, other: object,
                 note: object, actor: str) -> dict[str, Any]:
    """Merge ``other`` into ``keep`` inside the caller's transaction (module docstring)."""
    kept, merged = _elder(conn, keep, "keep"), _elder(conn, other, "other")
    assert isinstance(keep, str)
    assert isinstance(other, str)
    if keep == other:
        raise InputRejected([Problem("other", "same", "不能将一份档案合并到它自己")])
    if not isinstance(note, str) or len(note) > 500:
        raise InputRejected([Problem("note", "value", "说明应为文字，最多 500 个字")])
    for elder_id, field in ((keep, "keep"), (other, "other")):
        status = county_status(conn, elder_id)
        if not status.active:
            raise InputRejected([Problem(field, status.status,
                                         f"档案 {elder_id} {status.label()}，不能合并")])
    lock_feeds(conn, (int(kept.township_id), int(merged.township_id)))
    moves = _assessment_drafts(conn, author, None, other, keep)
    current = county_status(conn, other)
    across = int(kept.township_id) != int(merged.township_id)
    status = ElderStatus(other, MERGED, None, date.today(), note, merged_into=keep,
                         assessments=tuple(d.record_id for d in moves),
                         into_township=_township_name(conn, int(kept.township_id))
                         if across else None,
                         version=current.version + 1, by=actor, at=_now())
    # Across townships the moved history leaves the merged record's township with it: its
    # heads go to the kept record's township, whose feed gets the re-pointed versions; the
    # merged record's township gets the status only and keeps a read-only view.
    _move_heads(conn, [d.record_id for d in moves], int(kept.township_id))
    emit(conn, author, int(merged.township_id), [_status_draft(conn, author, status), *moves],
         source="county")
    detail = {"keep": keep, "other": other, "assessments": len(moves), "note": note}
    audit.record(conn, actor, "elder.merge", detail)
    return detail


def unmerge_elder(conn: Connection, author: CountyAuthor, other: object, why: object,
                  actor: str) -> dict[str, Any]:
    """Undo the merge of ``other``: on the roll again, its moved assessments name it again."""
    row = _elder(conn, other, "other")
    assert isinstance(other, str)
    text = check_why(why if isinstance(why, str) else "")
    current = county_status(conn, other)
    if current.status != MERGED or current.merged_into is None:
        raise InputRejected([Problem("other", "status", "该档案没有被合并，无需撤销")])
    kept = conn.execute(select(record_heads.c.township_id).where(
        record_heads.c.record_type == "elder",
        record_heads.c.record_id == current.merged_into)).scalar()
    held_by = {int(r) for r in conn.execute(select(record_heads.c.township_id).where(
        record_heads.c.record_type == "assessment",
        record_heads.c.record_id.in_(list(current.assessments) or [""]))).scalars()}
    elsewhere = sorted((({int(kept)} if kept is not None else set()) | held_by)
                       - {int(row.township_id)})
    lock_feeds(conn, (int(row.township_id), *elsewhere))
    moves = _assessment_drafts(conn, author, list(current.assessments) or [""], None, other)
    _move_heads(conn, [d.record_id for d in moves], int(row.township_id))
    status = ElderStatus(other, ACTIVE, None, None, text, version=current.version + 1,
                         by=actor, at=_now())
    emit(conn, author, int(row.township_id), [_status_draft(conn, author, status), *moves],
         source="county")
    # The kept record's township held the history since the merge: its laptops learn from
    # copies in their feed that it names the other record again (they hold no such elder,
    # so they take it off the kept one).
    for township_id in elsewhere:
        emit(conn, author, township_id, moves, source="transfer")
    detail = {"other": other, "was_merged_into": current.merged_into,
              "assessments": len(moves), "why": text}
    audit.record(conn, actor, "elder.unmerge", detail)
    return detail


def _township_name(conn: Connection, township_id: int) -> str:
    from server.db.tables import townships

    return str(conn.execute(select(townships.c.name).where(
        townships.c.id == township_id)).scalar() or "")


def _move_heads(conn: Connection, assessment_ids: list[str], township_id: int) -> None:
    """The assessments' heads (and so their later changes and statistics) go to
    ``township_id``."""
    if assessment_ids:
        h = record_heads.c
        conn.execute(update(record_heads).where(
            h.record_type == "assessment", h.record_id.in_(assessment_ids))
            .values(township_id=township_id))


def deregister_elder(conn: Connection, author: CountyAuthor, elder_id: object, reason: str,
                     on: date, note: str, actor: str) -> dict[str, Any]:
    """Deregister an elder at the county (the same change a laptop writes)."""
    row = _elder(conn, elder_id, "elder_id")
    assert isinstance(elder_id, str)
    code = check_deregistration(reason, on, note)
    current = county_status(conn, elder_id)
    if not current.active:
        raise InputRejected([Problem("elder_id", current.status,
                                     f"该老人{current.label()}，不能重复注销")])
    status = ElderStatus(elder_id, DEREGISTERED, code, on, note.strip(),
                         version=current.version + 1, by=actor, at=_now())
    emit(conn, author, int(row.township_id), [_status_draft(conn, author, status)],
         source="county")
    detail = {"elder_id": elder_id, "reason": code, "on": on.isoformat()}
    audit.record(conn, actor, "elder.deregister", detail)
    return detail


def restore_elder(conn: Connection, author: CountyAuthor, elder_id: object, why: str,
                  actor: str) -> dict[str, Any]:
    """Put a deregistered elder back on the roll at the county."""
    row = _elder(conn, elder_id, "elder_id")
    assert isinstance(elder_id, str)
    text = check_why(why)
    current = county_status(conn, elder_id)
    if current.status != DEREGISTERED:
        raise InputRejected([Problem("elder_id", "status", "该老人未注销，无需恢复"
                                     if current.active else "合并的档案请用撤销合并")])
    status = ElderStatus(elder_id, ACTIVE, None, None, text, version=current.version + 1,
                         by=actor, at=_now())
    emit(conn, author, int(row.township_id), [_status_draft(conn, author, status)],
         source="county")
    detail = {"elder_id": elder_id, "why": text}
    audit.record(conn, actor, "elder.restore", detail)
    return detail


def _reading(name: str) -> str:
    """A name's pinyin reading, for comparing names that sound alike."""
    from pypinyin import Style, lazy_pinyin

    return " ".join(lazy_pinyin(name, style=Style.NORMAL))


def duplicate_queue(conn: Connection) -> list[dict[str, Any]]:
    """Pairs of elder records on the roll, across the county's townships, that may be one
    person (the same ID number, or the same name pinyin and birth date)."""
    from server.db.tables import townships

    names = {int(i): str(n) for i, n in conn.execute(select(townships.c.id, townships.c.name))}
    off = {str(r) for r in conn.execute(select(record_heads.c.record_id).where(
        record_heads.c.record_type == RECORD_TYPE, record_heads.c.status != ACTIVE)).scalars()}
    people: list[duplicates.Person] = []
    for record_id, township_id, text in conn.execute(select(
            record_heads.c.record_id, record_heads.c.township_id, record_heads.c.payload)
            .where(record_heads.c.record_type == "elder")):
        if str(record_id) in off:
            continue
        payload = json.loads(text)
        name = str(payload.get("name") or "")
        try:
            birth = date.fromisoformat(str(payload.get("birth_date")))
        except ValueError:
            birth = None
        number = payload.get("id_number")
        people.append(duplicates.Person(
            str(record_id), name, _reading(name) if name else "",
            number if isinstance(number, str) else None, birth,
            names.get(int(township_id)), payload.get("village")))
    dismissed = dismissed_pairs(conn)
    return [p.to_json() for p in duplicates.find_pairs(people, across_townships=True)
            if _ordered(p.first.elder_id, p.second.elder_id) not in dismissed]


def _ordered(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a <= b else (b, a)


def dismissed_pairs(conn: Connection) -> set[tuple[str, str]]:
    """The pairs decided "不是同一人" (each as its two record ids, the smaller first)."""
    d = duplicate_dismissals.c
    return {(str(a), str(b)) for a, b in conn.execute(select(d.first_id, d.second_id))}


def _pair(conn: Connection, first: object, second: object) -> tuple[str, str]:
    _elder(conn, first, "first")
    _elder(conn, second, "second")
    assert isinstance(first, str)
    assert isinstance(second, str)
    if first == second:
        raise InputRejected([Problem("second", "same", "两份档案是同一份")])
    return _ordered(first, second)


def dismiss_pair(conn: Connection, first: object, second: object, note: object,
                 actor: str) -> dict[str, Any]:
    """Record that two elder records are not the same person: the pair leaves the queue."""
    a, b = _pair(conn, first, second)
    if not isinstance(note, str) or len(note) > 500:
        raise InputRejected([Problem("note", "value", "说明应为文字，最多 500 个字")])
    if (a, b) in dismissed_pairs(conn):
        raise InputRejected([Problem("second", "dismissed", "这两份档案已标记为不是同一人")])
    conn.execute(insert(duplicate_dismissals).values(
        first_id=a, second_id=b, note=note.strip(), actor=actor, at=datetime.now(UTC)))
    detail = {"first": a, "second": b}
    audit.record(conn, actor, "elder.not_duplicate", detail)
    return detail


def undismiss_pair(conn: Connection, first: object, second: object, why: object,
                   actor: str) -> dict[str, Any]:
    """Undo a "不是同一人" decision: the pair is back in the queue when it still matches."""
    a, b = _pair(conn, first, second)
    text = check_why(why if isinstance(why, str) else "")
    d = duplicate_dismissals.c
    gone = conn.execute(delete(duplicate_dismissals).where(d.first_id == a, d.second_id == b))
    if gone.rowcount != 1:
        raise InputRejected([Problem("second", "status", "这两份档案没有标记为不是同一人")])
    detail = {"first": a, "second": b, "why": text}
    audit.record(conn, actor, "elder.not_duplicate_undone", detail)
    return detail


def off_roll(conn: Connection) -> list[dict[str, Any]]:
    """The elders the county holds as deregistered or merged, for the registry page's restore
    and unmerge buttons: record id, name, ID number, birth date, township, village, status
    code, its label and (merged) the record it went into."""
    from server.db.tables import townships

    names = {int(i): str(n) for i, n in conn.execute(select(townships.c.id, townships.c.name))}
    h = record_heads.c
    statuses = {str(r.record_id): parse_payload(str(r.record_id), json.loads(r.payload))
                for r in conn.execute(select(h.record_id, h.payload).where(
                    h.record_type == RECORD_TYPE, h.status != ACTIVE))}
    if not statuses:
        return []
    rows: list[dict[str, Any]] = []
    for record_id, township_id, text in conn.execute(select(
            h.record_id, h.township_id, h.payload).where(
            h.record_type == "elder", h.record_id.in_(list(statuses)))):
        payload, status = json.loads(text), statuses[str(record_id)]
        if status.active:
            continue
        number = payload.get("id_number")
        rows.append({"elder_id": str(record_id), "name": str(payload.get("name") or ""),
                     "id_number": number if isinstance(number, str) else None,
                     "birth_date": payload.get("birth_date"),
                     "township": names.get(int(township_id)),
                     "village": payload.get("village"), "status": status.status,
                     "label": status.label(), "merged_into": status.merged_into})
    rows.sort(key=lambda r: (str(r["township"] or ""), r["name"], r["elder_id"]))
    return rows


def _word(payload: dict[str, Any], key: str) -> str | None:
    value = payload.get(key)
    return value if isinstance(value, str) and value else None


def export_rows(conn: Connection) -> list[ExportRow]:
    """Every elder the county holds, on the roll or not, with its lifecycle, its roster
    attributes and their provenance; the township is the one the county holds it in."""
    from server.db.tables import townships

    names = {int(i): str(n) for i, n in conn.execute(select(townships.c.id, townships.c.name))}
    h = record_heads.c
    statuses: dict[str, ElderStatus] = {}
    for record_id, text in conn.execute(select(h.record_id, h.payload).where(
            h.record_type == RECORD_TYPE)):
        try:
            statuses[str(record_id)] = parse_payload(str(record_id), json.loads(text))
        except (InputRejected, ValueError):
            continue
    rows: list[ExportRow] = []
    for record_id, township_id, text in conn.execute(select(
            h.record_id, h.township_id, h.payload).where(h.record_type == "elder")):
        payload = json.loads(text)
        status = statuses.get(str(record_id)) or ElderStatus(str(record_id))

        try:
            birth = date.fromisoformat(str(payload.get("birth_date")))
        except ValueError:
            birth = None
        attributes, provenance = payload.get("attributes"), payload.get("provenance")
        rows.append(ExportRow(
            _word(payload, "id_number"), _word(payload, "name") or "", _word(payload, "sex"),
            birth, names.get(int(township_id)) or _word(payload, "township"),
            _word(payload, "village"), status.status,
            status.reason, None if status.active else status.left_on,
            attributes if isinstance(attributes, dict) else {},
            provenance if isinstance(provenance, dict) else {}))
    rows.sort(key=lambda r: (r.township or "", r.village or "", r.name, r.id_number or ""))
    return rows
