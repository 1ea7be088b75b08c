"""Township scoping of what devices send: which township held an elder when.

A device may change only the records its township holds, or held when the change was
authored. The second half keeps the routing of stale edits after a transfer: an assessor of
the old township who edited the elder before hearing of the transfer still gets that edit to
the county, which routes it to the new township (:mod:`server.ingest`).

When a change was authored is its hybrid-clock reading (:mod:`assessment.wire.hlc`), which
the device stamps; a device can therefore only ever reach the elders its own township held at
some time, and only with a clock before they were moved away, never another township's
elders. Every holding interval comes from the ``transfers`` table: the first transfer's
source held the elder from its creation, each transfer's target from the transfer on.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Connection, select

from assessment.wire.hlc import unpack
from server.db.bulk import among
from server.db.tables import transfers

FOREIGN_CODE = "foreign_township"
FOREIGN_REASON = "该记录属于其他乡镇，本设备所属乡镇在变更写成时并不负责该老人，未予应用"


def _ms(moment: datetime) -> int:
    if moment.tzinfo is None:  # SQLite hands back naive UTC values
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


@dataclass(frozen=True, slots=True)
class Holdings:
    """Per elder, the townships that held it and from when (milliseconds), oldest first."""

    spans: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    """elder id -> [(township id, held since ms)]; the first since is ``-1`` (creation)."""

    def held_by(self, elder_id: str | None, township_id: int, hlc: int) -> bool:
        """Whether ``township_id`` held the elder at clock reading ``hlc``."""
        spans = self.spans.get(elder_id) if elder_id is not None else None
        if not spans:
            return False
        authored, _ = unpack(hlc)
        holder = spans[0][0]
        for township, since in spans:
            if authored < since:
                break
            holder = township
        return holder == township_id


def load_holdings(conn: Connection, elder_ids: Iterable[str]) -> Holdings:
    """The holding history of each of ``elder_ids`` that was ever transferred (one query)."""
    ids = sorted(set(elder_ids))
    spans: dict[str, list[tuple[int, int]]] = {}
    if not ids:
        return Holdings(spans)
    t = transfers.c
    rows = conn.execute(select(t.elder_id, t.from_township_id, t.to_township_id, t.created_at)
                        .where(among(conn, t.elder_id, ids)).order_by(t.id))
    for row in rows:
        history = spans.setdefault(str(row.elder_id), [(int(row.from_township_id), -1)])
        history.append((int(row.to_township_id), _ms(row.created_at)))
    return Holdings(spans)
