"""The county's review queues: conflicts, quarantined changes, grade mismatches, chain gaps.

Listing shows what a reviewer needs to decide; resolving records the decision (with a note)
and an audit entry. Resolutions are decisions about the record on the county side; a value
that must change on the laptops is changed there by a new edit, which syncs like any other.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Table, select, update

from assessment.errors import InputRejected, Problem
from server import audit
from server.db.tables import chain_gaps, conflicts, grade_mismatches, quarantine, townships
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
_CLOSED = {"conflicts": "resolved", "quarantine": "dismissed", "mismatches": "resolved",
           "gaps": "closed"}


def _table(queue: str) -> Table:
    table = QUEUES.get(queue)
    if table is None:
        raise InputRejected([Problem("queue", "value",
                                     "队列应为 conflicts、quarantine、mismatches 或 gaps")])
    return table


def list_queue(conn: Connection, queue: str, *, open_only: bool = True,
               township: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
    """Items of one queue, oldest first (open ones only unless asked)."""
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
        out.append(item)
    return out


def resolve(conn: Connection, queue: str, item_id: int, action: str, note: str,
            actor: str) -> None:
    """Close one open item with a decision."""
    table = _table(queue)
    if action not in ACTIONS[queue]:
        raise InputRejected([Problem("action", "value",
                                     f"可选的处理方式：{'、'.join(sorted(ACTIONS[queue]))}")])
    values: dict[str, Any] = {"status": _CLOSED[queue], "resolved_at": utcnow()}
    if "resolution" in table.c:
        values["resolution"] = json.dumps({"action": action, "note": note, "by": actor},
                                          ensure_ascii=False)
    done = conn.execute(update(table).where(table.c.id == item_id,
                                            table.c.status.in_(("open", "auto")))
                        .values(values)).rowcount
    if not done:
        raise NotFound(f"{QUEUE_NAMES[queue]} 第 {item_id} 项不存在或已处理")
    audit.record(conn, actor, f"review.{queue}", {"id": item_id, "action": action})


def resolve_item(ctx: ServerContext, queue: str, item_id: int, action: str, note: str,
                 actor: str) -> None:
    """Resolve one review item in a transaction of its own (the admin API, the review pages
    and the county CLI all come through here)."""
    with ctx.engine.begin() as conn:
        resolve(conn, queue, item_id, action, note, actor)


def counts(conn: Connection) -> dict[str, int]:
    """Open items per queue."""
    from sqlalchemy import func

    return {name: int(conn.execute(select(func.count()).select_from(table)
                                   .where(table.c.status == "open")).scalar() or 0)
            for name, table in QUEUES.items()}
