"""The county as an author of changes: its pseudo-device, its hash chain and its clock.

A review decision that changes a value (a conflict resolved with the other value) and an
elder's transfer between townships must reach the laptops, and the laptops take in only
changes. So the county writes changes of its own under the device id
:func:`assessment.wire.countydevice.county_device_id` derives from its signing key. The device
is a ``devices`` row without account or township (registered on first use; it can never sign
a request), with a per-device sequence and hash chain like a laptop's, kept by the same
columns (``acked_seq``/``acked_hash``/``max_seq``). Its changes are applied through
:func:`server.ingest.ingest` like a push, so heads, field states and the feeds are updated by
the one code path: ``source="county"`` for a decision, ``source="transfer"`` for copies put
into a township's feed that leave the county's own state as it is.

Callers lock the feeds they write (:func:`lock_feeds`) before the chain (:func:`emit` locks
the device row), always in that order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from assessment.wire.changes import GENESIS_HASH, Change, make_change
from assessment.wire.countydevice import county_device_id
from assessment.wire.hlc import HybridClock
from server.db.engine import is_sqlite, lock_township
from server.db.tables import devices, received_changes
from server.grading import ServerGrader
from server.ingest import ingest
from server.timeutil import utcnow

if TYPE_CHECKING:
    from server.context import ServerContext

LABEL = "县级服务器"


@dataclass(frozen=True, slots=True)
class CountyAuthor:
    """What the county needs to author changes: its device id, public keys and grader."""

    device_id: str
    sign_public: str
    box_public: str
    grader: ServerGrader

    @classmethod
    def of(cls, ctx: ServerContext) -> CountyAuthor:
        """The county of a server context."""
        return cls(county_device_id(ctx.keys.sign_public), ctx.keys.sign_public,
                   ctx.keys.box_public, ctx.grader)


@dataclass(frozen=True, slots=True)
class Draft:
    """A change the county is about to write (numbered and chained by :func:`emit`)."""

    record_type: str
    record_id: str
    version: int
    hlc: int
    payload: Mapping[str, Any]


def lock_feeds(conn: Connection, township_ids: Iterable[int]) -> None:
    """Take the feed locks of these townships, in ascending order (PostgreSQL; a no-op under
    SQLite's single writer)."""
    for township_id in sorted(set(township_ids)):
        lock_township(conn, township_id)


def _register(conn: Connection, author: CountyAuthor) -> None:
    """Insert the county's device row unless it exists (one statement, no savepoint)."""
    stmt = (sqlite_insert if is_sqlite(conn) else pg_insert)(devices).values(
        device_id=author.device_id, account_id=None, township_id=None,
        sign_public_key=author.sign_public, box_public_key=author.box_public, label=LABEL,
        enrolled_at=utcnow(), acked_seq=0, acked_hash=GENESIS_HASH, max_seq=0)
    conn.execute(stmt.on_conflict_do_nothing())


def _chain_head(conn: Connection, author: CountyAuthor) -> tuple[int, str]:
    """(last sequence, last hash) of the county's chain, its row locked until commit."""
    _register(conn, author)
    row = conn.execute(select(devices.c.max_seq, devices.c.acked_seq, devices.c.acked_hash)
                       .where(devices.c.device_id == author.device_id)
                       .with_for_update()).one()
    if int(row.max_seq) != int(row.acked_seq):  # never: the county writes whole batches
        raise RuntimeError("县级设备的变更链不连续")
    return int(row.acked_seq), str(row.acked_hash)


def next_hlc(conn: Connection, author: CountyAuthor, floor: int) -> int:
    """A hybrid-clock reading above ``floor`` and above every change the county wrote."""
    last = conn.execute(select(func.max(received_changes.c.hlc))
                        .where(received_changes.c.device_id == author.device_id)).scalar()
    return HybridClock(max(floor, int(last or 0))).now()


def emit(conn: Connection, author: CountyAuthor, township_id: int, drafts: Sequence[Draft],
         source: str) -> list[Change]:
    """Write ``drafts`` as the county's next changes and apply them through ingest.

    ``township_id`` is the feed they go to unless the record's elder lives elsewhere (ingest
    routes every elder and assessment change to the elder's township). Raises when any of
    them is not applied, so the caller's transaction writes nothing.
    """
    if not drafts:
        return []
    seq, prev_hash = _chain_head(conn, author)
    changes: list[Change] = []
    for draft in drafts:
        seq += 1
        change = make_change(device_id=author.device_id, seq=seq,
                             record_type=draft.record_type, record_id=draft.record_id,
                             version=draft.version, hlc=draft.hlc, payload=dict(draft.payload),
                             prev_hash=prev_hash)
        changes.append(change)
        prev_hash = change.hash
    result = ingest(conn, device_id=author.device_id, township_id=township_id,
                    changes=changes, grader=author.grader, source=source)
    if result.applied != len(changes) or result.acked_seq != seq:
        raise RuntimeError(f"县级变更未能全部应用（应用 {result.applied}/{len(changes)}）")
    return changes
