"""Review decisions on field conflicts that the laptops must hear of: the other (losing) value
chosen, or the current value kept.

The county writes one elder change of its own (:mod:`server.county_device`): the elder's
current profile with that field set to the losing value, ``changed`` listing only that field,
a hybrid-clock stamp above every stamp the county holds for the field, and the next version
of the elder; its payload is marked ``{"county": {"action": "prefer_other", "conflict": id}}``.
It is applied through :func:`server.ingest.ingest` (``source="county"``), so the county's
field state and the elder's head change exactly as for a laptop's edit, and it goes into the
elder's township feed, where every laptop's merge makes the county's value win and closes its
own copies of the conflict.

Refused when the field has been written again since the conflict (the current value is no
longer the conflict's winner): the reviewer decided between two values, not over a newer one.

Keeping the current value changes nothing, but the laptops still list the conflict as waiting
for the county; so the county writes an elder change that changes no field (``changed`` empty,
the elder's version unchanged) marked ``{"county": {"action": "keep", "field": …}}``, stamped
above both writes of the conflict, and each laptop closes its copies of that field's conflicts.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select, update

from assessment.wire.changes import Change
from assessment.wire.countydevice import KEEP, MARK, PREFER_OTHER
from assessment.wire.merge import flatten, unflatten
from server import field_state
from server.county_device import CountyAuthor, Draft, emit, lock_feeds, next_hlc
from server.db.tables import conflicts, record_heads
from server.errors import Conflict, NotFound


def _elder_head(conn: Connection, elder_id: str) -> Any:
    return conn.execute(select(record_heads.c.township_id, record_heads.c.version,
                               record_heads.c.payload)
                        .where(record_heads.c.record_type == "elder",
                               record_heads.c.record_id == elder_id)).first()


def _locked_head(conn: Connection, elder_id: str) -> Any:
    """The elder's head, read again once its township's feed is locked (a transfer may have
    moved it in between)."""
    for _ in range(3):
        head = _elder_head(conn, elder_id)
        if head is None:
            raise NotFound("冲突所属的老年人档案在县级不存在")
        lock_feeds(conn, (int(head.township_id),))
        again = _elder_head(conn, elder_id)
        if again is not None and int(again.township_id) == int(head.township_id):
            return again
    raise Conflict("该老人的所属乡镇正在变化，请稍后重试")


def prefer_other(conn: Connection, author: CountyAuthor, item: Mapping[str, Any]) -> Change:
    """Make the losing value of conflict ``item`` (a ``conflicts`` row) the field's value
    everywhere; return the county change written. See the module docstring."""
    elder_id, path = str(item["record_id"]), str(item["field"])
    head = _locked_head(conn, elder_id)
    current = field_state.field(conn, elder_id, path)
    if current is None or (int(current.hlc), str(current.device_id)) != \
            (int(item["winner_hlc"]), str(item["winner_device"])):
        raise Conflict(f"字段 {path} 在该冲突之后又被修改过，当前值已不是冲突中的胜出值，"
                       "不能再改用另一值；请核实后选择 keep")
    c = conflicts.c
    stamps = conn.execute(select(func.max(c.winner_hlc), func.max(c.loser_hlc)).where(
        c.record_id == elder_id, c.field == path)).one()
    floor = max(int(current.hlc), *(int(s or 0) for s in stamps))
    flat = flatten(json.loads(head.payload))
    flat[path] = json.loads(str(item["loser_value"]))
    version = int(head.version) + 1
    payload = {**unflatten(flat), "id": elder_id, "version": version, "changed": [path],
               MARK: {"action": PREFER_OTHER, "conflict": int(item["id"])}}
    change, = emit(conn, author, int(head.township_id),
                   [Draft("elder", elder_id, version, next_hlc(conn, author, floor), payload)],
                   source="county")
    return change


def keep(conn: Connection, author: CountyAuthor, item: Mapping[str, Any]) -> Change:
    """Tell the laptops that conflict ``item`` was decided for the current value; return the
    county change written (see the module docstring)."""
    elder_id, path = str(item["record_id"]), str(item["field"])
    head = _locked_head(conn, elder_id)
    floor = max(int(item["winner_hlc"]), int(item["loser_hlc"]))
    payload = {**json.loads(head.payload), "id": elder_id, "version": int(head.version),
               "changed": [], MARK: {"action": KEEP, "field": path, "conflict": int(item["id"])}}
    change, = emit(conn, author, int(head.township_id),
                   [Draft("elder", elder_id, int(head.version),
                          next_hlc(conn, author, floor), payload)],
                   source="county")
    return change


def close_superseded(conn: Connection, item: Mapping[str, Any], resolution: str,
                     now: datetime) -> list[int]:
    """Close the other open conflicts of the same field: the county's value is newer than
    every write they were about. Returns their ids."""
    c = conflicts.c
    where = (c.record_id == item["record_id"], c.field == item["field"], c.id != item["id"],
             c.status.in_(("open", "auto")))
    ids = [int(i) for i in conn.execute(select(c.id).where(*where)).scalars()]
    if ids:
        conn.execute(update(conflicts).where(c.id.in_(ids)).values(
            status="resolved", resolution=resolution, resolved_at=now))
    return ids
