"""The audit log: who did what to which record, and when, in a hash chain.

Each entry's hash covers its canonical JSON body (sequence, id, time, clock, device, user,
action, record type and id, detail, previous hash), so removing or altering an entry breaks
the chain. Entries are written in the same transaction as the write they describe, and each
one also travels to the county as a change of record type ``"audit"``.

Details name fields and numbers, not their values: the audit trail says *that* A.2.8 changed,
not what the ID number is.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from assessment.ids import new_id
from assessment.records.changelog import append_change, tick, utc_now
from assessment.records.schema import AuditEntry, DeviceState
from assessment.wire.changes import GENESIS_HASH, canonical_json
from assessment.wire.hlc import HybridClock


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One audit entry as read back."""

    seq: int
    entry_id: str
    at: datetime
    username: str
    action: str
    record_type: str
    record_id: str
    detail: Mapping[str, Any]
    prev_hash: str
    hash: str


@dataclass(frozen=True, slots=True)
class AuditBreak:
    """Where the audit chain is broken."""

    seq: int
    kind: str  # "gap", "link" or "hash"
    detail: str


def _body(entry: AuditEntry, device_id: str) -> dict[str, Any]:
    return {
        "seq": entry.seq, "id": entry.id, "at": entry.at.isoformat(timespec="microseconds"),
        "hlc": entry.hlc, "device_id": device_id, "username": entry.username,
        "action": entry.action, "record_type": entry.record_type, "record_id": entry.record_id,
        "detail": json.loads(entry.detail), "prev_hash": entry.prev_hash,
    }


def entry_hash(body: Mapping[str, Any]) -> str:
    """SHA-256 over the canonical JSON of an audit body."""
    return hashlib.sha256(canonical_json(dict(body))).hexdigest()


def append_audit(session: Session, state: DeviceState, clock: HybridClock, *, username: str,
                 action: str, record_type: str, record_id: str,
                 detail: Mapping[str, Any] | None = None) -> AuditEntry:
    """Append an audit entry (and its change) inside the caller's transaction."""
    entry = AuditEntry(
        seq=state.audit_seq + 1, id=new_id(), at=utc_now(), hlc=tick(state, clock),
        username=username, action=action, record_type=record_type, record_id=record_id,
        detail=canonical_json(dict(detail or {})).decode("utf-8"), prev_hash=state.audit_hash,
    )
    body = _body(entry, state.device_id)
    entry.hash = entry_hash(body)
    session.add(entry)
    state.audit_seq = entry.seq
    state.audit_hash = entry.hash
    append_change(session, state, clock, record_type="audit", record_id=entry.id, version=1,
                  payload={**body, "hash": entry.hash})
    return entry


def read_audit(session: Session, *, record_id: str | None = None,
               after_seq: int = 0, limit: int | None = None) -> list[AuditRecord]:
    """Audit entries in order, optionally of one record only."""
    query = select(AuditEntry).where(AuditEntry.seq > after_seq).order_by(AuditEntry.seq)
    if record_id is not None:
        query = query.where(AuditEntry.record_id == record_id)
    if limit is not None:
        query = query.limit(limit)
    return [
        AuditRecord(e.seq, e.id, e.at.replace(tzinfo=UTC), e.username, e.action, e.record_type,
                    e.record_id, json.loads(e.detail), e.prev_hash, e.hash)
        for e in session.scalars(query)
    ]


def verify_audit(session: Session) -> list[AuditBreak]:
    """Check the whole stored audit chain: continuous sequence, links and hashes."""
    state = session.get(DeviceState, 1)
    device_id = state.device_id if state is not None else ""
    return verify_entries(session.scalars(select(AuditEntry).order_by(AuditEntry.seq)), device_id)


def verify_entries(entries: Iterable[AuditEntry], device_id: str) -> list[AuditBreak]:
    """Check a sequence of stored audit entries from the genesis."""
    breaks: list[AuditBreak] = []
    expected_seq, expected_prev = 1, GENESIS_HASH
    for entry in entries:
        if entry.seq != expected_seq:
            breaks.append(AuditBreak(entry.seq, "gap",
                                     f"缺少审计序号 {expected_seq}–{entry.seq - 1}"))
        elif entry.prev_hash != expected_prev:
            breaks.append(AuditBreak(entry.seq, "link", "前序哈希不符"))
        elif entry_hash(_body(entry, device_id)) != entry.hash:
            breaks.append(AuditBreak(entry.seq, "hash", "审计记录内容与哈希不符（已被篡改）"))
        expected_seq, expected_prev = entry.seq + 1, entry.hash
    return breaks
