"""A small, complete :class:`~assessment.wire.outbox.Outbox` over plain SQLite.

It is the reference the Workspace's change log is measured against, used by protocol tests,
server tests and benchmarks that need many light laptops; the product (the ``yinling sync``
command, the desktop client) syncs the real Workspace, which implements the protocol itself.
Besides the protocol it can *record* a new version of a record (the only way changes enter
it), keeping the per-device sequence, the hash chain and the hybrid clock, and it keeps the
merged heads of every record it saw, so two of them can play two laptops in a test.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from assessment.wire.changes import (
    GENESIS_HASH,
    RECORD_TYPES,
    Change,
    WireChange,
    canonical_json,
    canonical_text,
    make_change,
)
from assessment.wire.hlc import HybridClock
from assessment.wire.merge import FieldState, changed_fields, merge_elder, snapshot
from assessment.wire.outbox import CountyNotices, PendingSummary, SyncState, summarise

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS changes (seq INTEGER PRIMARY KEY, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS heads (
    record_type TEXT NOT NULL, record_id TEXT NOT NULL, version INTEGER NOT NULL,
    device_id TEXT NOT NULL, hlc INTEGER NOT NULL, payload TEXT NOT NULL,
    PRIMARY KEY (record_type, record_id));
CREATE TABLE IF NOT EXISTS elder_fields (
    record_id TEXT NOT NULL, field TEXT NOT NULL, value TEXT NOT NULL, hlc INTEGER NOT NULL,
    device_id TEXT NOT NULL, version INTEGER NOT NULL, PRIMARY KEY (record_id, field));
CREATE TABLE IF NOT EXISTS incoming (
    device_id TEXT NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (device_id, seq));
CREATE TABLE IF NOT EXISTS conflicts (field TEXT NOT NULL, record_id TEXT NOT NULL,
    loser TEXT NOT NULL);
"""


class LocalOutbox:
    """A device's change log, record heads and sync state in one SQLite file."""

    def __init__(self, path: Path | str, device_id: str) -> None:
        self._device_id = device_id
        self._db = sqlite3.connect(str(path), isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        stored = self._meta("device_id")
        if stored is None:
            self._set_meta("device_id", device_id)
        elif stored != device_id:
            self._db.close()
            raise ValueError("变更日志属于另一台设备")
        self._clock = HybridClock(int(self._meta("hlc") or 0))

    # -- bookkeeping -------------------------------------------------------------------------

    def _meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def _set_meta(self, key: str, value: object) -> None:
        self._db.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) "
                         "DO UPDATE SET value = excluded.value", (key, str(value)))

    def close(self) -> None:
        """Close the database."""
        self._db.close()

    def __enter__(self) -> LocalOutbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- Outbox protocol ---------------------------------------------------------------------

    @property
    def device_id(self) -> str:
        """This device's id."""
        return self._device_id

    def sync_state(self) -> SyncState:
        """Sequence numbers and pull cursor."""
        last = self._db.execute("SELECT COALESCE(MAX(seq), 0) FROM changes").fetchone()[0]
        return SyncState(self._device_id, int(last), int(self._meta("acked_seq") or 0),
                         int(self._meta("pull_cursor") or 0))

    def pending_changes(self, after_seq: int, limit: int) -> Sequence[Change]:
        """Own changes after ``after_seq``."""
        rows = self._db.execute("SELECT body FROM changes WHERE seq > ? ORDER BY seq LIMIT ?",
                                (after_seq, limit)).fetchall()
        return [_change(json.loads(row[0])) for row in rows]

    def pending_wire(self, after_seq: int, limit: int) -> Sequence[WireChange]:
        """Own changes after ``after_seq`` as their stored JSON, unparsed and not even decoded
        (the few fields sync needs are read off the canonical bytes, see
        :func:`wire_fields`)."""
        rows = self._db.execute("SELECT seq, CAST(body AS BLOB) FROM changes WHERE seq > ? "
                                "ORDER BY seq LIMIT ?", (after_seq, limit)).fetchall()
        prefix = ('{"device_id":' + canonical_text(self._device_id) + ',"hash":"').encode()
        return [wire_fields(int(seq), raw, self._device_id, prefix) for seq, raw in rows]

    def pending_summary(self, after_seq: int, limit: int) -> PendingSummary | None:
        """What :meth:`pending_wire` would give (read through it: a test double's log is
        small)."""
        return summarise(self.pending_wire(after_seq, limit))

    def mark_acked(self, up_to_seq: int) -> None:
        """Advance the acknowledged sequence (never backwards)."""
        current = int(self._meta("acked_seq") or 0)
        if up_to_seq > current:
            self._set_meta("acked_seq", up_to_seq)

    def apply_incoming(self, changes: Sequence[Change], cursor: int) -> None:
        """Apply pulled changes and the cursor in one transaction (idempotent)."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            for change in changes:
                seen = self._db.execute("INSERT OR IGNORE INTO incoming VALUES (?, ?)",
                                        (change.device_id, change.seq)).rowcount
                if seen and change.device_id != self._device_id:
                    self._clock.observe(change.hlc)
                    self._apply(change)
            self._set_meta("pull_cursor", max(cursor, int(self._meta("pull_cursor") or 0)))
            self._set_meta("hlc", self._clock.last)
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise

    def note_county(self, notices: CountyNotices) -> None:
        """Remember the county's list versions and revocations."""
        self._set_meta("county_notices", canonical_json({
            "list_versions": [[v.list_id, v.version, v.sha256] for v in notices.list_versions],
            "revoked_devices": list(notices.revoked_devices),
            "revoked_accounts": list(notices.revoked_accounts),
        }).decode("utf-8"))

    # -- the store side ----------------------------------------------------------------------

    def record(self, record_type: str, record_id: str, payload: Mapping[str, Any]) -> Change:
        """Write a new version of one record and its change, in one transaction."""
        return self.record_many([(record_type, record_id, payload)])[-1]

    def record_many(self, items: Iterable[tuple[str, str, Mapping[str, Any]]]) -> list[Change]:
        """Write several new record versions and their changes in one transaction."""
        out: list[Change] = []
        self._db.execute("BEGIN IMMEDIATE")
        try:
            row = self._db.execute("SELECT seq, body FROM changes ORDER BY seq DESC LIMIT 1")\
                .fetchone()
            seq, prev = (0, GENESIS_HASH) if row is None else \
                (int(row[0]), str(json.loads(row[1])["hash"]))
            for record_type, record_id, payload in items:
                head = self.head(record_type, record_id)
                version = 1 if head is None else int(head["version"]) + 1
                body = dict(payload)
                if record_type == "elder" and "changed" not in body:
                    base = None if head is None else head["payload"]
                    body["changed"] = sorted(changed_fields(body, base))
                seq += 1
                change = make_change(device_id=self._device_id, seq=seq,
                                     record_type=record_type, record_id=record_id,
                                     version=version, hlc=self._clock.now(), payload=body,
                                     prev_hash=prev)
                self._db.execute("INSERT INTO changes VALUES (?, ?)",
                                 (seq, canonical_json(change.to_json()).decode("utf-8")))
                self._apply(change)
                prev = change.hash
                out.append(change)
            self._set_meta("hlc", self._clock.last)
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        return out

    def _apply(self, change: Change) -> None:
        if change.record_type == "elder":
            self._apply_elder(change)
            return
        row = self._db.execute("SELECT version FROM heads WHERE record_type = ? AND "
                               "record_id = ?", (change.record_type, change.record_id)).fetchone()
        if row is None or int(row[0]) < change.version:
            self._db.execute(
                "INSERT OR REPLACE INTO heads VALUES (?, ?, ?, ?, ?, ?)",
                (change.record_type, change.record_id, change.version, change.device_id,
                 change.hlc, canonical_json(dict(change.payload)).decode("utf-8")))

    def _apply_elder(self, change: Change) -> None:
        rows = self._db.execute("SELECT field, value, hlc, device_id, version FROM elder_fields "
                                "WHERE record_id = ?", (change.record_id,)).fetchall()
        current = {r[0]: FieldState(json.loads(r[1]), int(r[2]), str(r[3]), int(r[4]))
                   for r in rows}
        head = self.head("elder", change.record_id)
        base = head["payload"] if head is not None else None
        result = merge_elder(current, change.payload, changed_fields(change.payload, base),
                             hlc=change.hlc, device_id=change.device_id, version=change.version)
        for path in result.updated:
            state = result.fields[path]
            self._db.execute(
                "INSERT OR REPLACE INTO elder_fields VALUES (?, ?, ?, ?, ?, ?)",
                (change.record_id, path, json.dumps(state.value, ensure_ascii=False),
                 state.hlc, state.device_id, state.version))
        for conflict in result.conflicts:
            self._db.execute("INSERT INTO conflicts VALUES (?, ?, ?)",
                             (conflict.field, change.record_id,
                              json.dumps(conflict.loser.value, ensure_ascii=False)))
        version = max(change.version, int(head["version"]) if head else 0)
        self._db.execute("INSERT OR REPLACE INTO heads VALUES ('elder', ?, ?, ?, ?, ?)",
                         (change.record_id, version, change.device_id, change.hlc,
                          canonical_json(snapshot(result.fields)).decode("utf-8")))

    def head(self, record_type: str, record_id: str) -> dict[str, Any] | None:
        """The newest (for elders: merged) version of a record, or None."""
        row = self._db.execute("SELECT version, device_id, hlc, payload FROM heads WHERE "
                               "record_type = ? AND record_id = ?",
                               (record_type, record_id)).fetchone()
        if row is None:
            return None
        return {"version": int(row[0]), "device_id": str(row[1]), "hlc": int(row[2]),
                "payload": json.loads(row[3])}

    def record_ids(self, record_type: str) -> list[str]:
        """Every record id of one type this device holds."""
        rows = self._db.execute("SELECT record_id FROM heads WHERE record_type = ? "
                                "ORDER BY record_id", (record_type,)).fetchall()
        return [str(r[0]) for r in rows]

    def incoming_count(self) -> int:
        """How many changes from other devices were applied."""
        return int(self._db.execute("SELECT COUNT(*) FROM incoming").fetchone()[0])


def _change(data: Mapping[str, Any]) -> Change:
    return Change(data["device_id"], data["seq"], data["record_type"], data["record_id"],
                  data["version"], data["hlc"], data["payload"], data["prev_hash"], data["hash"])


def wire_fields(seq: int, raw: bytes, device_id: str, prefix: bytes) -> WireChange:
    """A stored change (the canonical JSON :meth:`LocalOutbox.record_many` wrote, as UTF-8) as
    a :class:`WireChange`, its fields read off the bytes without parsing them.

    Canonical JSON puts the keys in sorted order: ``device_id``, ``hash``, ``hlc``,
    ``payload``, ``prev_hash``, ``record_id``, ``record_type``, ``seq``, ``version``. The
    hash sits right after the (known) device id, ``prefix``; ``prev_hash`` and
    ``record_type`` are the *last* occurrences of their keys, since a quote inside a JSON
    string is always escaped and only strings and numbers follow the payload; both hashes
    must be plain hex. Anything that does not fit that shape exactly is parsed instead.
    """
    start = len(prefix)
    digest = raw[start:start + 64]
    found_prev = raw.rfind(b',"prev_hash":"')
    prev_hash = raw[found_prev + 14:found_prev + 78]
    found_type = raw.rfind(b',"record_type":"', found_prev)
    end_type = raw.find(b'"', found_type + 16)
    record_type = raw[found_type + 16:end_type].decode("utf-8", "replace")
    if raw.startswith(prefix) and raw.startswith(b'","hlc":', start + 64) and \
            found_prev > start and raw.startswith(b'","record_id":', found_prev + 78) and \
            found_type > 0 and record_type in RECORD_TYPES and \
            raw.startswith(b'","seq":%d,"version":' % seq, end_type) and \
            len(digest) == len(prev_hash) == 64 and (digest + prev_hash).isalnum():
        return WireChange(device_id, seq, record_type, prev_hash.decode("ascii"),
                          digest.decode("ascii"), raw)
    data = json.loads(raw)
    return WireChange(str(data["device_id"]), seq, str(data["record_type"]),
                      str(data["prev_hash"]), str(data["hash"]), raw)
