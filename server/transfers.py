"""Re-assigning an elder to another township (docs/architecture.md §4: the feed carries
re-assignments).

One function serves ``yinling county transfer`` and ``POST /admin/elders/{id}/transfer``:

* the elder's record head and the heads of all its assessments move to the new township, so
  every later change about the elder (even one a laptop of the old township pushes before it
  pulled the news) goes to the new township's feed (:mod:`server.ingest` routes by the elder);
* the old township's feed gets a *transfer notice*: a county elder change that changes no
  field (``changed`` empty) and carries ``{"county": {"action": "transfer", "elder_id",
  "from", "from_name", "to", "to_name", "at"}}``; its laptops mark the elder as transferred out
  and start no new assessment for it;
* the new township's feed gets the elder's current profile and every finalized or superseded
  assessment, re-sent by the county (their laptops' cursors are past the original changes),
  then the same notice. The profile goes as one change per write that currently holds a field
  (same hybrid clock and version), so the new township's laptops merge later edits exactly as
  the county does; assessments go with their stored version, clock and payload.

Those copies are ``source="transfer"``: they fill a feed and leave the county's own state as
it is. The notice is a county elder change rather than a record type of its own, so a laptop
that does not know transfers yet still applies it (as a change of nothing).

Every transfer is recorded in ``transfers`` (with the note) and in the audit log. Refused,
with nothing written: an unknown elder, an unknown township, the township it already is in.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, insert, or_, select, update

from assessment.errors import InputRejected, Problem
from assessment.wire.countydevice import COPY, MARK, TRANSFER
from server import audit, current_state, field_state
from server.county_device import CountyAuthor, Draft, emit, lock_feeds, next_hlc
from server.db.tables import record_heads, townships, transfers
from server.errors import Conflict
from server.timeutil import utcnow

if TYPE_CHECKING:
    from server.context import ServerContext

SHOWN = ("finalized", "superseded")
NOTE_LIMIT = 500


def _elder_head(conn: Connection, elder_id: str) -> Any:
    return conn.execute(select(record_heads.c.township_id, record_heads.c.version,
                               record_heads.c.payload)
                        .where(record_heads.c.record_type == "elder",
                               record_heads.c.record_id == elder_id)).first()


def _checked(conn: Connection, elder_id: object, to: object,
             note: object) -> tuple[str, Any, Any, str]:
    """(elder id, elder head, target township, note) or every problem at once."""
    problems: list[Problem] = []
    head = target = None
    if not isinstance(elder_id, str) or not elder_id.strip() or len(elder_id) > 64:
        problems.append(Problem("elder_id", "value", "老年人编号不能为空（最多 64 个字符）"))
    else:
        head = _elder_head(conn, elder_id)
        if head is None:
            problems.append(Problem("elder_id", "unknown",
                                    f"县级没有编号为 {elder_id} 的老年人档案"))
    if not isinstance(to, str) or not to.strip():
        problems.append(Problem("to", "value", "请填写迁入乡镇的编码"))
    else:
        target = conn.execute(select(townships.c.id, townships.c.code, townships.c.name)
                              .where(townships.c.code == to)).first()
        if target is None:
            problems.append(Problem("to", "unknown", f"没有编码为 {to} 的乡镇"))
        elif head is not None and int(head.township_id) == int(target.id):
            problems.append(Problem("to", "same",
                                    f"该老人已属于乡镇 {to}（{target.name}），无需迁移"))
    if not isinstance(note, str) or len(note) > NOTE_LIMIT:
        problems.append(Problem("note", "value", f"说明应为文字，最多 {NOTE_LIMIT} 个字符"))
    if problems:
        raise InputRejected(problems)
    assert isinstance(elder_id, str)
    assert isinstance(note, str)
    assert head is not None
    assert target is not None
    return elder_id, head, target, note


def _assessment_heads(conn: Connection, elder_id: str) -> list[Any]:
    """The heads of every assessment of the elder, oldest finalization first."""
    h = record_heads.c
    rows = conn.execute(select(h.record_id, h.version, h.hlc, h.payload, h.status).where(
        h.elder_id == elder_id, h.record_type == "assessment")).all()
    mine = [(json.loads(r.payload), r) for r in rows]
    mine = [(p, r) for p, r in mine if p.get("elder_id") == elder_id]
    mine.sort(key=lambda pr: (str(pr[0].get("finalized_at") or ""), str(pr[1].record_id)))
    return [r for _, r in mine]


def _profile_copies(conn: Connection, elder_id: str, profile: Mapping[str, Any],
                    mark: Mapping[str, Any]) -> list[Draft]:
    """The current profile, one change per write that holds fields now (its clock and
    version), each listing the fields it holds."""
    groups: dict[tuple[int, str, int], list[str]] = {}
    for path, state in field_state.load(conn, [elder_id]).get(elder_id, {}).items():
        groups.setdefault((state.hlc, state.device_id, state.version), []).append(path)
    return [Draft("elder", elder_id, version, hlc,
                  {**profile, "version": version, "changed": sorted(paths), MARK: dict(mark)})
            for (hlc, _device, version), paths in sorted(groups.items())]


def transfer_elder(conn: Connection, author: CountyAuthor, elder_id: object, to: object,
                   note: object, actor: str) -> dict[str, Any]:
    """Move an elder (and its assessments) to township ``to`` inside the caller's
    transaction; see the module docstring. Returns what was done."""
    elder_id, head, target, note = _checked(conn, elder_id, to, note)
    lock_feeds(conn, (int(head.township_id), int(target.id)))
    again = _elder_head(conn, elder_id)
    if again is None or int(again.township_id) != int(head.township_id):
        raise Conflict("该老人的所属乡镇刚刚发生变化，请重新操作")
    source = conn.execute(select(townships.c.id, townships.c.code, townships.c.name)
                          .where(townships.c.id == head.township_id)).one()
    now = utcnow()
    notice = {"action": TRANSFER, "elder_id": elder_id, "from": source.code,
              "from_name": source.name, "to": target.code, "to_name": target.name,
              "at": now.isoformat(timespec="seconds")}
    profile: dict[str, Any] = json.loads(again.payload)
    version = int(again.version)
    notice_draft = Draft("elder", elder_id, version, next_hlc(conn, author, 0),
                         {**profile, "version": version, "changed": [], MARK: notice})
    emit(conn, author, int(source.id), [notice_draft], source="transfer")

    assessments = _assessment_heads(conn, elder_id)
    moved = [str(r.record_id) for r in assessments]
    h = record_heads.c
    conn.execute(update(record_heads).where(or_(
        (h.record_type == "elder") & (h.record_id == elder_id),
        (h.record_type == "assessment") & h.record_id.in_(moved or [""])))
        .values(township_id=target.id, updated_at=now))
    current_state.refresh(conn, [elder_id], moved)
    copies = [Draft("assessment", str(r.record_id), int(r.version), int(r.hlc),
                    json.loads(r.payload)) for r in assessments if r.status in SHOWN]
    emit(conn, author, int(target.id),
         [*_profile_copies(conn, elder_id, profile, {"action": COPY}), *copies, notice_draft],
         source="transfer")

    new_id = conn.execute(insert(transfers).values(
        elder_id=elder_id, from_township_id=source.id, to_township_id=target.id,
        assessments=len(moved), note=note, actor=actor, created_at=now)).inserted_primary_key
    assert new_id is not None
    audit.record(conn, actor, "elder.transfer",
                 {"transfer": int(new_id[0]), "elder_id": elder_id, "from": source.code,
                  "to": target.code, "assessments": len(moved)})
    return {"transfer": int(new_id[0]), "elder_id": elder_id, "from": source.code,
            "to": target.code, "assessments": len(moved), "sent_assessments": len(copies)}


def transfer_item(ctx: ServerContext, elder_id: object, to: object, note: object,
                  actor: str) -> dict[str, Any]:
    """:func:`transfer_elder` in a transaction of its own (the admin API and the CLI)."""
    with ctx.engine.begin() as conn:
        return transfer_elder(conn, CountyAuthor.of(ctx), elder_id, to, note, actor)
