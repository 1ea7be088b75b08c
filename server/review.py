"""The county's review queues: conflicts, quarantined changes, grade mismatches, chain gaps.

Listing shows what a reviewer needs to decide; resolving records the decision (with a note)
and an audit entry. What each decision does:

* **conflicts** ``keep``: the winning value stays; the county writes an elder change that
  changes no field but tells the laptops of the township to close their copies of the
  conflict (:func:`server.decisions.keep`).
  ``prefer_other``: the losing value becomes the field's value everywhere. The county writes
  an elder change of its own into the elder's township feed (:mod:`server.decisions`), which
  every laptop of the township pulls and merges so that the county's value wins, and which
  closes the laptops' own copies of the conflict. The other open conflicts of that field are
  closed with it. Refused when the field was written again after the conflict.
* **quarantine** ``dismiss``, **gaps** ``close``: bookkeeping of the county only.
* **mismatches** ``accept_server`` / ``accept_device``: decisions only, recorded here. An
  assessment is never changed by the county: finalized means immutable, and a grade is
  corrected only by a 更正 on a laptop (a new assessment superseding the old one), which
  syncs like any other.

:func:`resolve_item` is the one entry point (admin API, review pages, county CLI); a decision
and everything it writes are one transaction.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Table, select, update

from assessment.errors import InputRejected, Problem
from server import audit
from server.county_device import CountyAuthor
from server.db.tables import chain_gaps, conflicts, grade_mismatches, quarantine, townships
from server.decisions import close_superseded, keep, prefer_other
from server.elder_lookup import mask_id_number
from server.errors import NotFound
from server.timeutil import iso, utcnow

if TYPE_CHECKING:
    from server.context import ServerContext

QUEUES: dict[str, Table] = {
    "conflicts": conflicts, "quarantine": quarantine, "mismatches": grade_mismatches,
    "gaps": chain_gaps,
}
QUEUE_NAMES = {"conflicts": "字段冲突", "quarantine": "隔离的变更", "mismatches": "等级不符",
               "gaps": "序号缺口"}
# What a resolution may say, per queue.
ACTIONS: dict[str, frozenset[str]] = {
    "conflicts": frozenset({"keep", "prefer_other"}),
    "quarantine": frozenset({"dismiss"}),
    "mismatches": frozenset({"accept_server", "accept_device"}),
    "gaps": frozenset({"close"}),
}
NOTE_LIMIT = 500
_CLOSED = {"conflicts": "resolved", "quarantine": "dismissed", "mismatches": "resolved",
           "gaps": "closed"}


def _table(queue: str) -> Table:
    table = QUEUES.get(queue)
    if table is None:
        raise InputRejected([Problem("queue", "value",
                                     "队列应为 conflicts、quarantine、mismatches 或 gaps")])
    return table


SENSITIVE_FIELDS = frozenset({"id_number"})
"""Conflict fields whose values are masked in every listing (the last part of the path)."""


def is_sensitive(field: object) -> bool:
    """Whether a conflict's field holds an ID number (shown masked unless revealed)."""
    return isinstance(field, str) and field.rsplit(".", 1)[-1] in SENSITIVE_FIELDS


def _masked(value: Any) -> Any:
    return mask_id_number(value) if isinstance(value, str) else value


def list_queue(conn: Connection, queue: str, *, open_only: bool = True,
               township: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
    """Items of one queue, oldest first (open ones only unless asked). ID numbers in
    conflicts are masked (``masked: true``); :func:`reveal` shows one, audited."""
    table = _table(queue)
    stmt = select(table).order_by(table.c.id).limit(limit)
    if open_only:
        stmt = stmt.where(table.c.status.in_(("open",)))
    if township is not None and "township_id" in table.c:
        tid = conn.execute(select(townships.c.id).where(townships.c.code == township)).scalar()
        stmt = stmt.where(table.c.township_id == tid)
    out: list[dict[str, Any]] = []
    for row in conn.execute(stmt).mappings():
        item = {k: (iso(v) if k.endswith("_at") else v) for k, v in row.items()}
        for key in ("winner_value", "loser_value", "claimed", "computed"):
            if key in item and isinstance(item[key], str):
                item[key] = json.loads(str(item[key]))
        item.pop("change_json", None)
        if queue == "conflicts" and is_sensitive(item.get("field")):
            item["winner_value"] = _masked(item.get("winner_value"))
            item["loser_value"] = _masked(item.get("loser_value"))
            item["masked"] = True
        out.append(item)
    return out


def reveal(conn: Connection, item_id: int, actor: str) -> dict[str, Any]:
    """The full values of one ID-number conflict, recorded in the audit log under ``actor``
    inside the caller's transaction (the only way to see them)."""
    if isinstance(item_id, bool) or not isinstance(item_id, int):
        raise InputRejected([Problem("id", "value", "编号应为整数")])
    row = conn.execute(select(conflicts.c.id, conflicts.c.field, conflicts.c.winner_value,
                              conflicts.c.loser_value).where(conflicts.c.id == item_id)).first()
    if row is None or not is_sensitive(row.field):
        raise NotFound(f"字段冲突第 {item_id} 项不存在或不含身份证号")
    audit.record(conn, actor, "review.reveal", {"id": item_id, "field": str(row.field)})
    return {"id": item_id, "field": row.field, "winner_value": json.loads(row.winner_value),
            "loser_value": json.loads(row.loser_value)}


def resolve(conn: Connection, queue: str, item_id: int, action: str, note: str,
            actor: str, *, author: CountyAuthor) -> None:
    """Close one open item with a decision, inside the caller's transaction (see the module
    docstring for what each decision writes; ``author`` writes the county's changes)."""
    table = _table(queue)
    if action not in ACTIONS[queue]:
        raise InputRejected([Problem("action", "value",
                                     f"可选的处理方式：{'、'.join(sorted(ACTIONS[queue]))}")])
    if not isinstance(note, str) or len(note) > NOTE_LIMIT:
        raise InputRejected([Problem("note", "value", f"处理说明最多 {NOTE_LIMIT} 个字符")])
    if isinstance(item_id, bool) or not isinstance(item_id, int):
        raise InputRejected([Problem("id", "value", "编号应为整数")])
    found = conn.execute(select(table).where(table.c.id == item_id,
                                             table.c.status.in_(("open", "auto")))
                         ).mappings().first()
    if found is None:
        raise NotFound(f"{QUEUE_NAMES[queue]} 第 {item_id} 项不存在或已处理")
    open_item = dict(found)
    now = utcnow()
    decision: dict[str, Any] = {"action": action, "note": note, "by": actor}
    detail: dict[str, Any] = {"id": item_id, "action": action}
    if queue == "conflicts" and action == "prefer_other":
        change = prefer_other(conn, author, open_item)
        decision["change"] = {"device_id": change.device_id, "seq": change.seq}
        closed = close_superseded(conn, open_item, json.dumps(
            {"action": "superseded", "by": actor, "note": f"随第 {item_id} 项的处理一并解决"},
            ensure_ascii=False), now)
        detail.update(seq=change.seq, closed=closed)
    elif queue == "conflicts" and action == "keep":
        change = keep(conn, author, open_item)
        decision["change"] = {"device_id": change.device_id, "seq": change.seq}
        detail.update(seq=change.seq)
    values: dict[str, Any] = {"status": _CLOSED[queue], "resolved_at": now}
    if "resolution" in table.c:
        values["resolution"] = json.dumps(decision, ensure_ascii=False)
    done = conn.execute(update(table).where(table.c.id == item_id,
                                            table.c.status.in_(("open", "auto")))
                        .values(values)).rowcount
    if not done:
        raise NotFound(f"{QUEUE_NAMES[queue]} 第 {item_id} 项不存在或已处理")
    audit.record(conn, actor, f"review.{queue}", detail)


def resolve_item(ctx: ServerContext, queue: str, item_id: int, action: str, note: str,
                 actor: str) -> None:
    """Resolve one review item in a transaction of its own (the admin API, the review pages
    and the county CLI all come through here)."""
    with ctx.engine.begin() as conn:
        resolve(conn, queue, item_id, action, note, actor, author=CountyAuthor.of(ctx))


def counts(conn: Connection) -> dict[str, int]:
    """Open items per queue."""
    from sqlalchemy import func

    return {name: int(conn.execute(select(func.count()).select_from(table)
                                   .where(table.c.status == "open")).scalar() or 0)
            for name, table in QUEUES.items()}
