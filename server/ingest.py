"""Ingest: apply one batch of a device's changes in one transaction (push and bundle alike).

Idempotent by (device, seq): a change the county already holds with the same hash is a no-op;
the same sequence with a different hash is a *fork* (quarantined, reported as a chain break).
By record version: a record's head only moves forward, so an old or repeated version changes
nothing. Assessments are graded again (:mod:`server.grading`); elder profiles merge field by
field (:mod:`assessment.wire.merge`) with conflicts kept for review; a change that cannot be
applied is quarantined with its reason while the rest of the batch flows. The device's
acknowledged sequence is the contiguous prefix of its chain the county holds; changes beyond a
hole are kept and the hole is reported as a chain gap until it fills. A change about an elder
(its profile or an assessment) goes to the feed of the elder's current township, which the
county may have changed (:mod:`server.transfers`); ``source="transfer"`` marks the county's
copies that only fill a feed: they go to the feed the county names, not routed.

Township scoping (:mod:`server.scope`): a device may change only records its township holds,
or held when the change was authored (a stale edit made before a transfer is still routed to
the new township). Any other change is quarantined with code ``foreign_township`` before
anything of it is merged or applied; bundles come through here and are scoped alike.
"""

from __future__ import annotations

import gc
import json
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from operator import attrgetter
from typing import Any

from sqlalchemy import Connection, and_, bindparam, insert, select, update

from assessment.errors import InputRejected
from assessment.registry.status import ACTIVE, DEREGISTERED, MERGED, STATUSES, ElderStatus
from assessment.registry.status import RECORD_TYPE as STATUS_RECORD
from assessment.registry.status import parse_payload as parse_status
from assessment.visits.synced import visit_payload_problem
from assessment.wire.changes import Change, canonical_text, fast_payload_text
from assessment.wire.countygrant import account_fingerprint
from assessment.wire.crypto import CryptoError
from assessment.wire.merge import FieldState, changed_fields, merge_elder, snapshot
from assessment.wire.restoreauthority import CODE as RESTORE_CODE
from assessment.wire.restoreauthority import REASON as RESTORE_REASON
from assessment.wire.restoreauthority import signature_ok as restore_signature_ok
from server import current_state, field_state
from server.db.bulk import among, insert_rows, streamed_rows
from server.db.engine import lock_township
from server.db.tables import (
    chain_gaps,
    conflicts,
    devices,
    elder_field_state,
    grade_mismatches,
    quarantine,
    received_changes,
    record_heads,
)
from server.deferred_state import DeferredState
from server.grading import ServerGrader
from server.scope import FOREIGN_CODE, FOREIGN_REASON, Holdings, load_holdings
from server.timeutil import utcnow

_gc_lock = threading.Lock()
_gc_holders = 0
_gc_was_enabled = True


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a batch is parsed and applied.

    A batch allocates hundreds of thousands of small containers (parsed changes, rows) that
    all stay alive until it is written, so the collector would walk them again and again to
    find nothing; reference counting still frees them all afterwards. The collector is
    process-wide: holders are counted and it runs again when the last one leaves.
    """
    global _gc_holders, _gc_was_enabled
    with _gc_lock:
        if _gc_holders == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_holders += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_holders -= 1
            if _gc_holders == 0 and _gc_was_enabled:
                gc.enable()


@dataclass(frozen=True, slots=True)
class IngestResult:
    """What a batch did; ``acked_seq`` is what the device may mark acknowledged."""

    acked_seq: int
    acked_hash: str
    applied: int
    duplicates: int
    quarantined: int
    gaps: tuple[tuple[int, int], ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The push answer."""
        return {"acked_seq": self.acked_seq, "acked_hash": self.acked_hash,
                "applied": self.applied, "duplicates": self.duplicates,
                "quarantined": self.quarantined, "gaps": [list(g) for g in self.gaps]}


@dataclass(slots=True)
class _Batch:
    """Rows collected while processing, written with a few bulk statements at the end."""

    now: datetime
    township_id: int
    source: str
    quarantined: list[dict[str, Any]] = field(default_factory=list)
    mismatches: list[dict[str, Any]] = field(default_factory=list)
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    gaps: list[dict[str, Any]] = field(default_factory=list)
    heads: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    heads_existing: set[tuple[str, str]] = field(default_factory=set)
    # record id -> every field's state after the batch, for the elders whose fields changed
    fields_new: dict[str, dict[str, FieldState]] = field(default_factory=dict)
    fields_existing: set[str] = field(default_factory=set)  # elders with a stored row
    elder_versions: dict[tuple[str, int], dict[str, dict[str, Any]]] = \
        field(default_factory=dict)  # (record id, version) -> device id -> payload
    routes: dict[str, int] = field(default_factory=dict)  # elder id -> its township
    holdings: Holdings | None = None  # township histories of the batch's transferred elders
    route: int = 0  # the township (feed) of the change being applied
    # account -> the county's current role grant of it on the sending device
    restorers: dict[str, dict[str, Any]] = field(default_factory=dict)

    def quarantine(self, change: Change, code: str, reason: str) -> None:
        self.quarantined.append({
            "township_id": self.township_id, "device_id": change.device_id, "seq": change.seq,
            "record_type": change.record_type, "record_id": change.record_id, "code": code,
            "reason": reason, "change_json": change.wire_text(),
            "status": "open", "created_at": self.now,
        })


_string = json.encoder.encode_basestring  # what the canonical encoder writes for a str


def _json(value: object) -> str:
    """Canonical JSON text of a value (a profile field's value: a string, an int, a boolean,
    null or a list of strings, mostly, written without going through the encoder)."""
    if type(value) is str:
        return _string(value)
    if type(value) is int:
        return repr(value)
    if value is None:
        return "null"
    if type(value) is bool:
        return "true" if value else "false"
    if type(value) is list and all(type(item) is str for item in value):
        return "[" + ",".join(map(_string, value)) + "]"
    return canonical_text(dict(value) if isinstance(value, Mapping) else value)


def _profile_text(merged: dict[str, Any]) -> str:
    """The head text of a merged elder profile: orjson's (sorted keys, several times faster
    than the canonical encoder; :func:`fast_payload_text`), the canonical encoder's where
    orjson cannot write it (an integer beyond 64 bits). Every value came from a change that
    passed the hash check, its payload parsed by the input reader or written by the
    canonical encoder, both of which refuse NaN and infinity (which orjson would write as
    null): both texts read back to the same profile."""
    return fast_payload_text(merged) or canonical_text(merged)


def ingest(conn: Connection, *, device_id: str, township_id: int, changes: Sequence[Change],
           grader: ServerGrader, source: str = "push",
           known_duplicates: int = 0, state: DeferredState | None = None) -> IngestResult:
    """Apply ``changes`` of one device inside the caller's transaction.

    ``known_duplicates`` counts changes the caller already found held (not passed again).
    ``state``: the current-state tables are refreshed later, once, by the caller (a bundle
    import, :mod:`server.deferred_state`) instead of at the end of this batch.
    """
    if changes:  # nothing to insert, nothing to serialise (a repeated batch)
        lock_township(conn, township_id)
    dev = conn.execute(select(devices.c.acked_seq, devices.c.acked_hash, devices.c.max_seq,
                              devices.c.last_seen_at)
                       .where(devices.c.device_id == device_id)).one()
    batch = _Batch(utcnow(), township_id, source)
    ordered = sorted(changes, key=_SEQ)
    fresh, duplicates = _split_known(conn, device_id, ordered, batch)
    _load_heads(conn, fresh, batch)
    _load_statuses(conn, fresh, batch)
    if source in SCOPED_SOURCES:
        _load_restorers(conn, device_id, fresh, batch)
    elder_state = _load_elder_fields(conn, fresh, batch)
    bases = _load_elder_bases(conn, fresh)
    batch.routes = _load_routes(conn, fresh, batch)
    if source in SCOPED_SOURCES:
        batch.holdings = load_holdings(conn, _elsewhere(batch))
    applied = 0
    # Each change's row streams to the database (COPY on PostgreSQL) while the next one is
    # graded, so the database works in parallel; nothing else uses the connection meanwhile.
    with streamed_rows(conn, received_changes, _RECEIVED, bool(fresh),
                       same={"source": source, "received_at": batch.now}) as write:
        for change in fresh:
            payload_text = change.payload_text()  # encoded once, when its hash was checked
            status = _apply(change, payload_text, grader, batch, elder_state, bases)
            applied += status == "applied"
            write((device_id, change.seq, change.record_type, change.record_id,
                   change.version, change.hlc, payload_text, change.prev_hash, change.hash,
                   batch.route, status))
    _write(conn, batch)
    _refresh_state(conn, batch, state)
    acked_seq, acked_hash, gaps = _advance_chain(conn, device_id, int(dev.acked_seq),
                                                 str(dev.acked_hash), int(dev.max_seq), fresh,
                                                 batch.now)
    max_seq = max([int(dev.max_seq), *(c.seq for c in fresh)])
    # A batch the county held whole changes nothing of the device but the time it was seen,
    # kept to the minute: repeated batches in a row then commit no write at all.
    if fresh or batch.quarantined or batch.gaps or \
            _seen_long_ago(dev.last_seen_at, batch.now):
        conn.execute(update(devices).where(devices.c.device_id == device_id).values(
            acked_seq=acked_seq, acked_hash=acked_hash, max_seq=max_seq,
            last_seen_at=batch.now))
    return IngestResult(acked_seq, acked_hash, applied, duplicates + known_duplicates,
                        len(batch.quarantined), gaps)


LAST_SEEN_GRAIN = timedelta(minutes=1)


def _seen_long_ago(seen: datetime | None, now: datetime) -> bool:
    """Whether a device's last-seen time is older than :data:`LAST_SEEN_GRAIN` (SQLite hands
    back naive UTC values)."""
    if seen is None:
        return True
    if seen.tzinfo is None:
        seen = seen.replace(tzinfo=UTC)
    return now - seen >= LAST_SEEN_GRAIN


SCOPED_SOURCES = frozenset({"push", "bundle"})
"""Sources whose changes come from a township's device and are scoped to its township (the
county's own changes, ``county`` and ``transfer``, are not)."""

_SEQ = attrgetter("seq")
_RECEIVED = ("device_id", "seq", "record_type", "record_id", "version", "hlc", "payload",
             "prev_hash", "hash", "township_id", "status")  # and source, received_at

Bases = dict[tuple[str, int], list[tuple[str, str]]]
"""(elder id, version) -> (device id, payload text) of the stored changes, in arrival order."""


def held_changes(conn: Connection, device_id: str,
                 pairs: Sequence[tuple[int, str]]) -> set[int]:
    """The seqs among ``pairs`` (seq, hash) the county already holds with that very hash (one
    indexed range lookup)."""
    if not pairs:
        return set()
    rc = received_changes.c
    seqs = [seq for seq, _ in pairs]
    stored: dict[int, str] = dict(conn.execute(select(rc.seq, rc.hash).where(
        rc.device_id == device_id, rc.seq.between(min(seqs), max(seqs)))).all())
    return {seq for seq, digest in pairs if stored.get(seq) == digest}


def _split_known(conn: Connection, device_id: str, ordered: Sequence[Change],
                 batch: _Batch) -> tuple[list[Change], int]:
    """Drop changes the county already holds; quarantine forks (same seq, other content)."""
    if not ordered:
        return [], 0
    known = {int(seq): str(digest) for seq, digest in conn.execute(
        select(received_changes.c.seq, received_changes.c.hash).where(
            received_changes.c.device_id == device_id,
            received_changes.c.seq.between(ordered[0].seq, ordered[-1].seq)))}
    fresh: list[Change] = []
    duplicates = 0
    for change in ordered:
        held = known.get(change.seq)
        if held is None:
            fresh.append(change)
        elif held == change.hash:
            duplicates += 1
        else:
            batch.quarantine(change, "fork", "同一序号已收到内容不同的变更（设备记录被改写）")
            batch.gaps.append({"device_id": device_id, "kind": "fork", "from_seq": change.seq,
                               "to_seq": change.seq, "detail": "同一序号的变更内容不同",
                               "status": "open", "created_at": batch.now})
    return fresh, duplicates


def _load_heads(conn: Connection, fresh: Sequence[Change], batch: _Batch) -> None:
    by_type: dict[str, set[str]] = {}
    for change in fresh:
        by_type.setdefault(change.record_type, set()).add(change.record_id)
    for record_type, ids in by_type.items():
        rows = conn.execute(select(record_heads).where(
            record_heads.c.record_type == record_type,
            among(conn, record_heads.c.record_id, sorted(ids)))).mappings().all()
        for row in rows:
            key = (record_type, str(row["record_id"]))
            batch.heads[key] = dict(row)
            batch.heads_existing.add(key)


def _load_elder_fields(conn: Connection, fresh: Sequence[Change],
                       batch: _Batch) -> dict[str, dict[str, FieldState]]:
    """The field states of the batch's elders (:mod:`server.field_state`), empty for an
    elder the county does not hold yet."""
    ids = sorted({c.record_id for c in fresh if c.record_type == "elder"})
    stored = field_state.load(conn, ids)
    batch.fields_existing.update(stored)
    return {i: stored.get(i, {}) for i in ids}


def _apply(change: Change, payload_text: str, grader: ServerGrader, batch: _Batch,
           elder_state: dict[str, dict[str, FieldState]], bases: Bases) -> str:
    """Process one new change; return its stored status (applied | quarantined)."""
    batch.route = batch.township_id if batch.source == "transfer" else _route(change, batch)
    if batch.holdings is not None and _foreign(change, batch, batch.holdings):
        batch.route = batch.township_id  # kept with the sender, never in another feed
        batch.quarantine(change, FOREIGN_CODE, FOREIGN_REASON)
        return "quarantined"
    if batch.source == "transfer":
        return "applied"  # a county copy of what it holds, for a feed: its state stays
    grade: int | None = None
    status: str | None = None
    merged: dict[str, Any] | None = None
    off_roll = _off_roll(change, batch)
    if off_roll is not None:
        batch.quarantine(change, off_roll, _OFF_ROLL_REASON[off_roll])
        return "quarantined"
    if change.record_type == STATUS_RECORD:
        try:
            lifecycle = parse_status(change.record_id, change.payload)
        except InputRejected:
            batch.quarantine(change, "payload", "老人状态记录格式不符")
            return "quarantined"
        status = lifecycle.status
        key = (STATUS_RECORD, change.record_id)
        head = batch.heads.get(key)
        refused = _unauthorized_lifecycle(change, lifecycle, head, batch)
        if refused is not None:
            batch.quarantine(change, *refused)
            return "quarantined"
        if head is not None and (head["version"], head["hlc"], head["device_id"]) >= \
                (change.version, change.hlc, change.device_id):
            return "applied"  # an older lifecycle record: stored, head unchanged
    if change.record_type == "assessment":
        check = grader.check(change.payload)
        if check.quarantine is not None:
            batch.quarantine(change, *check.quarantine)
            return "quarantined"
        status, grade = check.status, check.final_grade
        if check.mismatches:
            batch.mismatches.append({
                "township_id": batch.route, "device_id": change.device_id,
                "seq": change.seq, "assessment_id": change.record_id, "version": change.version,
                "claimed": _json(check.claimed), "computed": _json(check.computed),
                "reason": "；".join(check.mismatches), "status": "open",
                "created_at": batch.now,
            })
    elif change.record_type == "elder":
        if not _elder_payload_ok(change.payload):
            batch.quarantine(change, "payload", "老年人档案格式不符（info/attributes 应为对象）")
            return "quarantined"
        merged = _merge_elder(change, batch, elder_state, _elder_base(change, batch, bases))
    elif change.record_type in ("visit", "referral"):
        problem = visit_payload_problem(change.record_type, change.payload)
        if problem is not None:
            batch.quarantine(change, "payload", problem)
            return "quarantined"
        if change.record_type == "referral":
            status = str(change.payload["status"])
    key = (change.record_type, change.record_id)
    head = batch.heads.get(key)
    if change.record_type not in ("elder", STATUS_RECORD) and head is not None and \
            head["version"] >= change.version:
        return "applied"  # an older or repeated version: stored, head unchanged
    batch.heads[key] = {
        "record_type": change.record_type, "record_id": change.record_id,
        "version": max(change.version, head["version"] if head else 0),
        "device_id": change.device_id, "seq": change.seq, "hlc": change.hlc,
        "township_id": batch.route if head is None else head["township_id"],
        "payload": payload_text if merged is None else _profile_text(merged), "grade": grade,
        "status": status, "updated_at": batch.now, "elder_id": _head_elder(change),
    }
    return "applied"


def _elsewhere(batch: _Batch) -> set[str]:
    """The elders of the batch that another township holds (by their head or the head of a
    record about them): the only ones whose holding history matters."""
    sender = batch.township_id
    ids = {elder for elder, township in batch.routes.items() if township != sender}
    ids.update(str(h["elder_id"]) for h in batch.heads.values()
               if h.get("elder_id") and int(h["township_id"]) != sender)
    return ids


def _foreign(change: Change, batch: _Batch, holdings: Holdings) -> bool:
    """Whether ``change`` is about a record that another township holds and that the sending
    device's township did not hold when the change was authored (its clock reading).

    Both the record's own head (an assessment keeps its township) and the elder it is about
    count: an assessment of the sender's may not name another township's elder, nor may a
    change reuse the id of another township's assessment."""
    sender = batch.township_id
    elder_id = _elder_of(change)
    head = batch.heads.get((change.record_type, change.record_id))
    holders = [int(head["township_id"])] if head is not None else []
    if elder_id is not None and elder_id in batch.routes:
        holders.append(batch.routes[elder_id])
    if head is not None and head.get("elder_id") and head["elder_id"] != elder_id:
        holders.append(batch.routes.get(str(head["elder_id"]), int(head["township_id"])))
    subject = elder_id if elder_id is not None else \
        (str(head["elder_id"]) if head is not None and head.get("elder_id") else None)
    return any(holder != sender and not holdings.held_by(subject, sender, change.hlc)
               for holder in holders)


_OFF_ROLL_REASON = {
    "deregistered": "该老人已注销，此变更（注销前在别处做的修改或评估）未应用，待县级审核",
    "merged": "该老人记录已合并到另一条记录，此变更未应用，待县级审核",
}


def _off_roll(change: Change, batch: _Batch) -> str | None:
    """``deregistered`` or ``merged`` for a laptop's edit or assessment of an elder that is
    not on the roll (the news had not reached it), and for any laptop's lifecycle change of a
    merged record; None otherwise (the county's own changes always apply)."""
    if batch.source == "county" or change.record_type not in ("elder", "assessment",
                                                              STATUS_RECORD):
        return None
    elder_id = _elder_of(change)
    head = None if elder_id is None else batch.heads.get((STATUS_RECORD, elder_id))
    if head is None or head["status"] in (None, ACTIVE):
        return None
    if change.record_type == STATUS_RECORD and head["status"] != "merged":
        return None  # a restoration, or the same news from two laptops: ordered by version
    return str(head["status"]) if head["status"] in STATUSES else None


def _unauthorized_lifecycle(change: Change, lifecycle: ElderStatus,
                            head: Mapping[str, Any] | None,
                            batch: _Batch) -> tuple[str, str] | None:
    """(code, reason) for a laptop's lifecycle change it had no authority for: a merge (the
    county's decision only), or a restoration of a deregistered elder without a county-granted
    supervisor's signature (:mod:`assessment.wire.restoreauthority`): the county's current
    grant of the restoring account on that laptop is ``supervisor``, the restoration carries
    that very grant, and is signed by the account key the grant names; None otherwise."""
    if batch.source not in SCOPED_SOURCES:
        return None
    if lifecycle.status == MERGED:
        return "county_only", "合并只能由县级决定；此变更未应用，待县级审核"
    if not lifecycle.active or head is None or head["status"] != DEREGISTERED:
        return None
    grant = batch.restorers.get(lifecycle.by)
    authority = lifecycle.authority
    if grant is None or authority is None or grant.get("role") != "supervisor" or \
            authority.get("grant") != grant or \
            _fingerprint(authority.get("public")) != grant.get("account_key") or \
            not restore_signature_ok(authority, change.device_id, change.record_id,
                                     lifecycle.version, lifecycle.by, lifecycle.note):
        return RESTORE_CODE, RESTORE_REASON
    return None


def _fingerprint(public: Any) -> str | None:
    """The account-key fingerprint of a base64 public key (None when it is not one)."""
    try:
        return account_fingerprint(public) if isinstance(public, str) else None
    except CryptoError:
        return None


def _load_restorers(conn: Connection, device_id: str, fresh: Sequence[Change],
                    batch: _Batch) -> None:
    """The county's current role grant of every account a batch's restorations name, on the
    sending device (the grant heads :mod:`server.rolegrants` writes)."""
    names = {str(c.payload.get("by")) for c in fresh if c.record_type == STATUS_RECORD
             and c.payload.get("status") == ACTIVE and isinstance(c.payload.get("by"), str)}
    if not names:
        return
    h = record_heads.c
    for (text,) in conn.execute(select(h.payload).where(
            h.record_type == "assessor",
            h.record_id.startswith(f"grant:{device_id}:", autoescape=True))):
        grant = json.loads(text).get("grant")
        if isinstance(grant, dict) and grant.get("username") in names and \
                grant.get("device_id") == device_id:
            batch.restorers[str(grant["username"])] = grant


def _load_statuses(conn: Connection, fresh: Sequence[Change], batch: _Batch) -> None:
    """The lifecycle heads of every elder the batch is about (one query)."""
    ids = sorted({e for c in fresh if (e := _elder_of(c)) is not None and
                  (STATUS_RECORD, e) not in batch.heads})
    if not ids:
        return
    rows = conn.execute(select(record_heads).where(
        record_heads.c.record_type == STATUS_RECORD,
        among(conn, record_heads.c.record_id, ids))).mappings().all()
    for row in rows:
        key = (STATUS_RECORD, str(row["record_id"]))
        batch.heads[key] = dict(row)
        batch.heads_existing.add(key)


#: Record types about one elder named by ``payload.elder_id`` (scoped and routed by it).
ABOUT_ELDER = frozenset({"assessment", "visit", "referral"})


def _elder_of(change: Change) -> str | None:
    """The elder a change is about (elders, their lifecycle, assessments, visits and
    referrals), else None."""
    if change.record_type in ("elder", STATUS_RECORD):
        return change.record_id
    elder_id = change.payload.get("elder_id") if change.record_type in ABOUT_ELDER else None
    return elder_id if isinstance(elder_id, str) else None


ELDER_ID_MAX = 64  # record_heads.elder_id (as long as a record id)


def _head_elder(change: Change) -> str | None:
    """``record_heads.elder_id`` of the head a change writes: its elder when that id fits the
    column (a longer one cannot name a stored elder), else None."""
    elder_id = _elder_of(change)
    return elder_id if elder_id is not None and len(elder_id) <= ELDER_ID_MAX else None


def _route(change: Change, batch: _Batch) -> int:
    """The feed a change goes to: its elder's current township when the county holds the
    elder (it may have been transferred), else the sending device's."""
    elder_id = _elder_of(change)
    return batch.township_id if elder_id is None else \
        batch.routes.get(elder_id, batch.township_id)


def _load_routes(conn: Connection, fresh: Sequence[Change], batch: _Batch) -> dict[str, int]:
    """The townships of the elders the batch is about whose record the county holds (the
    elder heads already loaded, one query for elders only its assessments name). A change
    about an elder transferred to another township goes to that township's feed, whose lock
    is taken too (after the device's own, in ascending order)."""
    routes = {record_id: int(head["township_id"])
              for (record_type, record_id), head in batch.heads.items()
              if record_type == "elder"}
    looked_up = {c.record_id for c in fresh if c.record_type == "elder"}
    ids = {elder_id for c in fresh if (elder_id := _elder_of(c)) is not None} - looked_up
    if ids:
        rows = conn.execute(select(record_heads.c.record_id, record_heads.c.township_id).where(
            record_heads.c.record_type == "elder",
            among(conn, record_heads.c.record_id, sorted(ids))))
        routes.update((str(record_id), int(township)) for record_id, township in rows)
    for township in sorted(set(routes.values()) - {batch.township_id}):
        lock_township(conn, township)
    return routes


def _elder_payload_ok(payload: Any) -> bool:
    return all(isinstance(payload.get(k, {}), dict) for k in ("info", "attributes")) and \
        isinstance(payload.get("changed", []), list)


def _needs_base(change: Change) -> bool:
    return change.record_type == "elder" and change.version > 1 and \
        not isinstance(change.payload.get("changed"), list)


def _load_elder_bases(conn: Connection, fresh: Sequence[Change]) -> Bases:
    """The stored versions v-1 of the elder changes that may need one to diff against (one
    query, before anything of this batch is written)."""
    wanted = {(c.record_id, c.version - 1) for c in fresh if _needs_base(c)}
    bases: Bases = {}
    if not wanted:
        return bases
    rc = received_changes.c
    rows = conn.execute(select(rc.record_id, rc.version, rc.device_id, rc.payload).where(
        rc.record_type == "elder", among(conn, rc.record_id, sorted({r for r, _ in wanted})))
        .order_by(rc.id))
    for row in rows:
        key = (str(row.record_id), int(row.version))
        if key in wanted:
            bases.setdefault(key, []).append((str(row.device_id), str(row.payload)))
    return bases


def _elder_base(change: Change, batch: _Batch, bases: Bases) -> dict[str, Any] | None:
    """The previous version the device edited (v-1; its own if several), to diff against
    when the change does not list its changed fields."""
    if not _needs_base(change):
        return None
    local = batch.elder_versions.get((change.record_id, change.version - 1), {})
    if local:
        return local.get(change.device_id) or next(iter(local.values()))
    rows = bases.get((change.record_id, change.version - 1))
    if not rows:
        return None
    own = [payload for device, payload in rows if device == change.device_id]
    base: dict[str, Any] = json.loads((own or [rows[0][1]])[0])
    return base


def _merge_elder(change: Change, batch: _Batch, elder_state: dict[str, dict[str, FieldState]],
                 base: dict[str, Any] | None) -> dict[str, Any]:
    current = elder_state[change.record_id]
    batch.elder_versions.setdefault((change.record_id, change.version), {})[
        change.device_id] = dict(change.payload)
    if base is None and not isinstance(change.payload.get("changed"), list) and current:
        head = batch.heads.get(("elder", change.record_id))
        base = json.loads(head["payload"]) if head is not None and change.version > 1 else None
    result = merge_elder(current, change.payload, changed_fields(change.payload, base),
                         hlc=change.hlc, device_id=change.device_id, version=change.version)
    if result.updated:
        batch.fields_new[change.record_id] = result.fields
    for c in result.conflicts:
        batch.conflicts.append({
            "township_id": batch.route, "record_id": change.record_id, "field": c.field,
            "winner_value": _json(c.winner.value), "winner_device": c.winner.device_id,
            "winner_hlc": c.winner.hlc, "loser_value": _json(c.loser.value),
            "loser_device": c.loser.device_id, "loser_hlc": c.loser.hlc,
            "review_required": c.review_required,
            "status": "open" if c.review_required else "auto", "created_at": batch.now,
        })
    elder_state[change.record_id] = result.fields
    return {**snapshot(result.fields), "id": change.record_id}


def _write(conn: Connection, batch: _Batch) -> None:
    """Write everything collected, a few statements in all."""
    for table, rows in ((quarantine, batch.quarantined), (grade_mismatches, batch.mismatches),
                        (conflicts, batch.conflicts), (chain_gaps, batch.gaps)):
        insert_rows(conn, table, rows)
    new_heads = [h for k, h in batch.heads.items() if k not in batch.heads_existing]
    old_heads = [h for k, h in batch.heads.items() if k in batch.heads_existing]
    insert_rows(conn, record_heads, new_heads)
    if old_heads:
        _update_many(conn, record_heads, ("record_type", "record_id"), old_heads)
    existing = batch.fields_existing
    with streamed_rows(conn, elder_field_state, ("record_id", "fields"),
                       bool(batch.fields_new)) as write:
        for record_id, fields in batch.fields_new.items():
            if record_id not in existing:
                write((record_id, field_state.encode(fields)))
    old_fields = [{"record_id": record_id, "fields": field_state.encode(fields)}
                  for record_id, fields in batch.fields_new.items() if record_id in existing]
    if old_fields:
        _update_many(conn, elder_field_state, ("record_id",), old_fields)


def _refresh_state(conn: Connection, batch: _Batch, state: DeferredState | None) -> None:
    """Bring the current-state tables in step with the heads just written (same
    transaction): every elder whose profile, lifecycle or assessment head the batch held;
    or note them in ``state`` for the caller to refresh once at the end."""
    if batch.source == "transfer" or not batch.heads:
        return
    elders: set[str] = set()
    assessments: list[str] = []
    for (record_type, record_id), head in batch.heads.items():
        if record_type in ("elder", STATUS_RECORD):
            elders.add(record_id)
        elif record_type == "assessment":
            if (record_type, record_id) in batch.heads_existing:
                assessments.append(record_id)  # it may have named another elder before
            if head.get("elder_id"):
                elders.add(str(head["elder_id"]))
        elif record_type in ("visit", "referral") and head.get("elder_id"):
            elders.add(str(head["elder_id"]))  # 探访关爱 facts (server.visit_state)
    if state is not None:
        state.note(elders, assessments)
    elif elders or assessments:
        current_state.refresh(conn, elders, assessments)


def _update_many(conn: Connection, table: Any, keys: tuple[str, ...],
                 rows: Iterable[dict[str, Any]]) -> None:
    rows = list(rows)
    columns = [c for c in rows[0] if c not in keys]
    stmt = update(table).where(and_(*(table.c[k] == bindparam(f"k_{k}") for k in keys))) \
        .values({c: bindparam(f"v_{c}") for c in columns})
    params = [{**{f"k_{k}": r[k] for k in keys}, **{f"v_{c}": r[c] for c in columns}}
              for r in rows]
    conn.execute(stmt, params)


def _advance_chain(conn: Connection, device_id: str, acked_seq: int, acked_hash: str,
                   max_seq: int, fresh: Sequence[Change],
                   now: datetime) -> tuple[int, str, tuple[tuple[int, int], ...]]:
    """Extend the acknowledged prefix over new (and earlier stranded) changes; report holes."""
    if not fresh:
        return acked_seq, acked_hash, ()
    if max_seq > acked_seq:  # changes beyond an earlier hole are waiting in the database
        links = [(int(r.seq), str(r.prev_hash), str(r.hash)) for r in conn.execute(
            select(received_changes.c.seq, received_changes.c.prev_hash,
                   received_changes.c.hash)
            .where(received_changes.c.device_id == device_id,
                   received_changes.c.seq > acked_seq)
            .order_by(received_changes.c.seq))]
    else:
        links = [(c.seq, c.prev_hash, c.hash) for c in fresh if c.seq > acked_seq]
    breaks: list[dict[str, Any]] = []
    seq, digest = acked_seq, acked_hash
    for link_seq, prev_hash, link_hash in links:
        if link_seq != seq + 1:
            break
        if prev_hash != digest:
            breaks.append({"device_id": device_id, "kind": "link", "from_seq": link_seq,
                           "to_seq": link_seq, "detail": "前序哈希不符：设备记录链被改写",
                           "status": "open", "created_at": now})
        seq, digest = link_seq, link_hash
    beyond = [s for s, _, _ in links if s > seq + 1]
    gaps: tuple[tuple[int, int], ...] = ()
    if beyond:
        gaps = ((seq + 1, min(beyond) - 1),)
        already = conn.execute(select(chain_gaps.c.id).where(
            chain_gaps.c.device_id == device_id, chain_gaps.c.kind == "gap",
            chain_gaps.c.status == "open", chain_gaps.c.from_seq == seq + 1,
            chain_gaps.c.to_seq == min(beyond) - 1)).first()
        if already is None:
            breaks.append({"device_id": device_id, "kind": "gap", "from_seq": seq + 1,
                           "to_seq": min(beyond) - 1,
                           "detail": f"缺少序号 {seq + 1}–{min(beyond) - 1}",
                           "status": "open", "created_at": now})
    if seq > acked_seq:
        conn.execute(update(chain_gaps).where(
            chain_gaps.c.device_id == device_id, chain_gaps.c.kind == "gap",
            chain_gaps.c.status == "open", chain_gaps.c.to_seq <= seq)
            .values(status="closed", resolved_at=now))
    if breaks:
        conn.execute(insert(chain_gaps), breaks)
    return seq, digest, gaps
