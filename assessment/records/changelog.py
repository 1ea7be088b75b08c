"""The change log: this device's sync outbox, appended in the same transaction as each write.

Every write of a record appends one :class:`~assessment.wire.changes.Change` (built with
:func:`~assessment.wire.changes.make_change`): the next per-device sequence number, a hybrid
logical clock reading, the record's new version and a snapshot payload, chained to the
previous change by hash. The head of the chain (last sequence, last hash, clock) lives in the
``device_state`` row, which the write transaction holds locked (``BEGIN IMMEDIATE``), so
sequence numbers never repeat or skip even with several processes.

Nothing is ever deleted from the log by this module: the sync client marks changes
``acked`` once the county server confirms them, and that marker is the only update.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from json.encoder import encode_basestring
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection as SAConnection
from sqlalchemy import Table, func, select, update
from sqlalchemy.orm import Session

from assessment.errors import InputRejected, Problem
from assessment.records.schema import ChangeEntry, DeviceState
from assessment.wire.changes import (
    RECORD_TYPES,
    Change,
    WireChange,
    canonical_json,
    make_change,
)
from assessment.wire.hlc import HybridClock
from assessment.wire.outbox import PendingSummary


def utc_now() -> datetime:
    """The current time as naive UTC (how the store keeps times)."""
    return datetime.now(UTC).replace(tzinfo=None)


def device_state(session: Session) -> DeviceState:
    """The single device-state row (locked for the transaction when writing)."""
    state = session.get(DeviceState, 1)
    if state is None:
        raise RuntimeError("device_state row missing: the workspace was not initialised")
    return state


def tick(state: DeviceState, clock: HybridClock) -> int:
    """A new hybrid-clock reading, never behind what the database has seen."""
    clock.last = max(clock.last, state.hlc)
    state.hlc = clock.now()
    return state.hlc


def append_change(session: Session, state: DeviceState, clock: HybridClock, *,
                  record_type: str, record_id: str, version: int,
                  payload: Mapping[str, Any]) -> Change:
    """Append one change to the outbox inside the caller's transaction."""
    if record_type not in RECORD_TYPES:
        raise ValueError(f"unknown record type {record_type!r}")
    canonical = canonical_json(dict(payload))
    change = make_change(
        device_id=state.device_id, seq=state.last_seq + 1, record_type=record_type,
        record_id=record_id, version=version, hlc=tick(state, clock),
        payload=json.loads(canonical), prev_hash=state.last_hash,
    )
    session.add(ChangeEntry(
        seq=change.seq, device_id=change.device_id, record_type=record_type,
        record_id=record_id, version=version, hlc=change.hlc,
        payload=canonical.decode("utf-8"), prev_hash=change.prev_hash, hash=change.hash,
        created_at=utc_now(), acked=False,
    ))
    state.last_seq = change.seq
    state.last_hash = change.hash
    return change


def body_hash(*, device_id: str, seq: int, record_type: str, record_id: str, version: int,
              hlc: int, payload_json: bytes, prev_hash: str) -> str:
    """The hash :func:`~assessment.wire.changes.make_change` computes, from a payload that is
    already canonical JSON: the body's canonical form is assembled around it instead of
    encoding the payload a second time (bulk loads; a test checks both agree)."""
    def text(value: str) -> bytes:
        # What the canonical encoder emits for a string, without its dispatch.
        return encode_basestring(value).encode("utf-8")

    body = b"".join((
        b'{"device_id":', text(device_id), b',"hlc":', str(hlc).encode(),
        b',"payload":', payload_json, b',"prev_hash":', text(prev_hash),
        b',"record_id":', text(record_id), b',"record_type":', text(record_type),
        b',"seq":', str(seq).encode(), b',"version":', str(version).encode(), b"}",
    ))
    return hashlib.sha256(body).hexdigest()


def append_many(session: Session, state: DeviceState, clock: HybridClock,
                records: Iterable[tuple[str, str, int, Mapping[str, Any]]]) -> int:
    """Append many changes at once (bulk loads): ``(record_type, record_id, version,
    payload)`` each, chained exactly as :func:`append_change` would; returns how many.

    Payloads must be JSON-ready (the store's own snapshots are: no tuples, no dates).
    """
    now = utc_now()
    batch: list[dict[str, Any]] = []
    count = 0
    for record_type, record_id, version, payload in records:
        if record_type not in RECORD_TYPES:
            raise ValueError(f"unknown record type {record_type!r}")
        canonical = canonical_json(dict(payload))
        seq, hlc, prev = state.last_seq + 1, tick(state, clock), state.last_hash
        digest = body_hash(device_id=state.device_id, seq=seq, record_type=record_type,
                           record_id=record_id, version=version, hlc=hlc,
                           payload_json=canonical, prev_hash=prev)
        batch.append({
            "seq": seq, "device_id": state.device_id, "record_type": record_type,
            "record_id": record_id, "version": version, "hlc": hlc,
            "payload": canonical.decode("utf-8"), "prev_hash": prev, "hash": digest,
            "created_at": now, "acked": False,
        })
        state.last_seq, state.last_hash = seq, digest
        count += 1
        if len(batch) >= 5000:
            _insert(session, batch)
            batch = []
    if batch:
        _insert(session, batch)
    return count


def _insert(session: Session, batch: list[dict[str, Any]]) -> None:
    insert_rows(session.connection(), ChangeEntry.__table__, batch)


def insert_rows(connection: SAConnection, table: Any, rows: Sequence[Mapping[str, Any]]) -> None:
    """``INSERT`` many rows through the driver's ``executemany``, converting values with the
    column types' own bind processors (as :func:`~assessment.records.database.fast_insert`
    does) but column-wise: one C call takes a row's values, and only the columns whose type
    converts (JSON, dates, booleans) are touched. ``None`` stays SQL ``NULL``."""
    if not rows:
        return
    if not isinstance(table, Table):
        raise TypeError("insert_rows needs a Table")
    columns = list(table.columns)
    names = [column.key for column in columns]
    convert = [(i, proc) for i, column in enumerate(columns)
               if (proc := column.type.bind_processor(connection.dialect)) is not None]
    take = itemgetter(*names)
    params: list[tuple[Any, ...]] = []
    for row in rows:
        try:
            values = list(take(row)) if len(names) > 1 else [take(row)]
        except KeyError:
            values = [row.get(name) for name in names]
        for i, proc in convert:
            if values[i] is not None:
                values[i] = proc(values[i])
        params.append(tuple(values))
    sql = (f"INSERT INTO {table.name} ({', '.join(c.name for c in columns)}) "
           f"VALUES ({', '.join('?' for _ in columns)})")
    connection.exec_driver_sql(sql, params)


def to_change(entry: ChangeEntry) -> Change:
    """The wire-ready change of a stored entry."""
    return Change(entry.device_id, entry.seq, entry.record_type, entry.record_id,
                  entry.version, entry.hlc, json.loads(entry.payload), entry.prev_hash,
                  entry.hash)


def changes_after(session: Session, after_seq: int = 0, limit: int | None = None) -> list[Change]:
    """Changes with a sequence above ``after_seq``, in order (at most ``limit``)."""
    query = select(ChangeEntry).where(ChangeEntry.seq > after_seq).order_by(ChangeEntry.seq)
    if limit is not None:
        query = query.limit(limit)
    return [to_change(entry) for entry in session.scalars(query)]


def wire_after(session: Session, after_seq: int, limit: int) -> list[WireChange]:
    """:func:`changes_after` in wire form, read as columns (no ORM objects) and assembled
    around the stored canonical payload text (no JSON parsing or encoding)."""
    c = ChangeEntry.__table__.c
    rows = session.execute(
        select(c.device_id, c.seq, c.record_type, c.record_id, c.version, c.hlc, c.payload,
               c.prev_hash, c.hash)
        .where(c.seq > after_seq).order_by(c.seq).limit(limit))
    return [WireChange.stored(*row) for row in rows]


def summary_after(session: Session, after_seq: int, limit: int) -> PendingSummary | None:
    """What :func:`wire_after` would give, counted in SQL without reading a payload."""
    c = ChangeEntry.__table__.c
    window = (select(c.seq, c.record_type).where(c.seq > after_seq).order_by(c.seq)
              .limit(limit).subquery())
    rows = session.execute(select(window.c.record_type, func.count(), func.min(window.c.seq),
                                  func.max(window.c.seq))
                           .group_by(window.c.record_type)).all()
    if not rows:
        return None
    return PendingSummary(sum(r[1] for r in rows), {r[0]: r[1] for r in sorted(rows)},
                          min(r[2] for r in rows), max(r[3] for r in rows))


def unacked(session: Session, limit: int | None = None) -> list[Change]:
    """Changes the server has not confirmed yet, oldest first."""
    query = select(ChangeEntry).where(ChangeEntry.acked.is_(False)).order_by(ChangeEntry.seq)
    if limit is not None:
        query = query.limit(limit)
    return [to_change(entry) for entry in session.scalars(query)]


def mark_acked(session: Session, state: DeviceState, up_to_seq: int) -> int:
    """Mark every change up to ``up_to_seq`` confirmed; return how many were newly marked."""
    if up_to_seq < 0 or up_to_seq > state.last_seq:
        message = f"确认的序号 {up_to_seq} 超出本机变更记录（最大 {state.last_seq}）"
        raise InputRejected([Problem("seq", "range", message)])
    result = session.execute(
        update(ChangeEntry)
        .where(ChangeEntry.seq <= up_to_seq, ChangeEntry.acked.is_(False))
        .values(acked=True)
    )
    state.acked_seq = max(state.acked_seq, up_to_seq)
    count: int = getattr(result, "rowcount", 0) or 0
    return count


def stored_chain(session: Session) -> Sequence[Change]:
    """The whole stored chain (for verification and tests)."""
    return changes_after(session, 0)
