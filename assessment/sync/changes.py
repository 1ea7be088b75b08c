"""The change: the unit of sync, shared by the client's outbox, bundles and the server.

Each change is one new version of one record. Per device, changes are numbered 1, 2, 3 … and
each carries the hash of the one before (``prev_hash``), so a missing or altered change breaks
the chain visibly. The hash covers a canonical JSON encoding (sorted keys, UTF-8, no blanks) of
every field but ``hash`` itself.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from assessment.errors import InputRejected, Problem

GENESIS_HASH = "0" * 64

# Record types that travel as changes.
RECORD_TYPES = frozenset({
    "elder", "assessment", "assessor", "audit", "certificate", "list_version", "setting",
})


def canonical_json(value: Any) -> bytes:
    """The one byte encoding that hashes and signatures are computed over."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                      allow_nan=False).encode("utf-8")


@dataclass(frozen=True, slots=True)
class Change:
    """One new version of one record, as it leaves a device."""

    device_id: str
    seq: int
    record_type: str
    record_id: str
    version: int
    hlc: int
    payload: Mapping[str, Any]
    prev_hash: str
    hash: str

    def body(self) -> dict[str, Any]:
        """Every field but ``hash``: what the hash covers."""
        return {
            "device_id": self.device_id, "seq": self.seq, "record_type": self.record_type,
            "record_id": self.record_id, "version": self.version, "hlc": self.hlc,
            "payload": dict(self.payload), "prev_hash": self.prev_hash,
        }

    def to_json(self) -> dict[str, Any]:
        """The wire form (push requests, bundles)."""
        return {**self.body(), "hash": self.hash}


def compute_hash(body: Mapping[str, Any]) -> str:
    """SHA-256 over the canonical JSON of a change body."""
    return hashlib.sha256(canonical_json(dict(body))).hexdigest()


def make_change(*, device_id: str, seq: int, record_type: str, record_id: str, version: int,
                hlc: int, payload: Mapping[str, Any], prev_hash: str) -> Change:
    """Build a change and compute its hash."""
    body = {
        "device_id": device_id, "seq": seq, "record_type": record_type, "record_id": record_id,
        "version": version, "hlc": hlc, "payload": dict(payload), "prev_hash": prev_hash,
    }
    return Change(device_id, seq, record_type, record_id, version, hlc, payload, prev_hash,
                  compute_hash(body))


_FIELDS: dict[str, type] = {
    "device_id": str, "seq": int, "record_type": str, "record_id": str, "version": int,
    "hlc": int, "payload": dict, "prev_hash": str, "hash": str,
}


def change_from_json(data: object, where: str = "change") -> Change:
    """Parse and verify a change from its wire form; refuse anything malformed or altered."""
    if not isinstance(data, Mapping):
        raise InputRejected([Problem(where, "type", "变更记录应为 JSON 对象")])
    problems = [Problem(f"{where}.{k}", "missing", "缺少字段") for k in _FIELDS if k not in data]
    problems += [Problem(f"{where}.{k}", "unknown", "未知字段") for k in data if k not in _FIELDS]
    for key, kind in _FIELDS.items():
        value = data.get(key)
        if key in data and (not isinstance(value, kind) or isinstance(value, bool)):
            problems.append(Problem(f"{where}.{key}", "type", f"类型应为 {kind.__name__}"))
    if problems:
        raise InputRejected(problems)
    if data["record_type"] not in RECORD_TYPES:
        raise InputRejected([Problem(f"{where}.record_type", "value", "未知的记录类型")])
    if data["seq"] < 1 or data["version"] < 1:
        raise InputRejected([Problem(f"{where}.seq", "value", "序号和版本须为正整数")])
    body = {k: data[k] for k in _FIELDS if k != "hash"}
    if compute_hash(body) != data["hash"]:
        raise InputRejected([Problem(f"{where}.hash", "hash", "哈希不符：记录已被篡改或损坏")])
    return Change(**{k: data[k] for k in _FIELDS})


@dataclass(frozen=True, slots=True)
class ChainBreak:
    """Where a device's chain is not continuous: a missing sequence or a wrong link."""

    device_id: str
    seq: int
    kind: str  # "gap" or "link"
    detail: str


def verify_chain(changes: Iterable[Change], *, after_seq: int = 0,
                 after_hash: str = GENESIS_HASH) -> list[ChainBreak]:
    """Check that changes of one device continue the chain from (after_seq, after_hash)."""
    breaks: list[ChainBreak] = []
    expected_seq, expected_prev = after_seq + 1, after_hash
    for change in sorted(changes, key=lambda c: c.seq):
        if change.seq != expected_seq:
            breaks.append(ChainBreak(change.device_id, change.seq, "gap",
                                     f"缺少序号 {expected_seq}–{change.seq - 1}"))
        elif change.prev_hash != expected_prev:
            breaks.append(ChainBreak(change.device_id, change.seq, "link", "前序哈希不符"))
        expected_seq, expected_prev = change.seq + 1, change.hash
    return breaks
