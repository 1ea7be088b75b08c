"""The change: the unit of sync, shared by the client's outbox, bundles and the server.

Each change is one new version of one record. Per device, changes are numbered 1, 2, 3 … and
each carries the hash of the one before (``prev_hash``), so a missing or altered change breaks
the chain visibly. The hash covers a canonical JSON encoding (sorted keys, UTF-8, no blanks) of
every field but ``hash`` itself.

Speed: the body's canonical form is assembled around the payload's canonical JSON, so a
change's payload is encoded once (:meth:`Change.payload_text`) and that one encoding serves
the hash, the wire form (:meth:`Change.wire_text`) and the county's stored copy.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol

import orjson

from assessment.errors import InputRejected, Problem

GENESIS_HASH = "0" * 64

# Record types that travel as changes.
RECORD_TYPES = frozenset({
    "elder", "assessment", "assessor", "audit", "certificate", "list_version", "setting",
    "elder_status",  # an elder's lifecycle: deregistered, restored, merged (assessment.registry)
    "visit", "referral",
})


# The string encoder the canonical (ensure_ascii=False) encoder uses, called directly.
_string: Callable[[str], str] = json.encoder.encode_basestring
_CANONICAL = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                              allow_nan=False)


def canonical_json(value: Any) -> bytes:
    """The one byte encoding that hashes and signatures are computed over."""
    return _CANONICAL.encode(value).encode("utf-8")


def canonical_text(value: Any) -> str:
    """:func:`canonical_json` as text (before the UTF-8 encoding)."""
    return _CANONICAL.encode(value)


def _scalar(value: object) -> str:
    """Canonical JSON text of a body field (a plain int or a string, usually)."""
    return repr(value) if type(value) is int else _CANONICAL.encode(value)


def _assemble(device_id: str, seq: int, record_type: str, record_id: str, version: int,
              hlc: int, payload_text: str, prev_hash: str, digest: str | None) -> str:
    """The canonical JSON of a change body (``digest`` None) or of its wire form, built
    around the payload's canonical text: the keys in sorted order, exactly as
    :func:`canonical_json` writes them (a test checks both agree)."""
    if type(device_id) is str and type(prev_hash) is str and type(record_id) is str and \
            type(record_type) is str and type(seq) is int and type(version) is int and \
            type(hlc) is int:  # the usual case: one format, the C string encoder
        hash_part = "" if digest is None else ',"hash":' + _string(digest)
        return (f'{{"device_id":{_string(device_id)}{hash_part},"hlc":{hlc},'
                f'"payload":{payload_text},"prev_hash":{_string(prev_hash)},'
                f'"record_id":{_string(record_id)},"record_type":{_string(record_type)},'
                f'"seq":{seq},"version":{version}}}')
    head = '{"device_id":' + _scalar(device_id)
    if digest is not None:
        head += ',"hash":' + _scalar(digest)
    return (head + ',"hlc":' + _scalar(hlc) + ',"payload":' + payload_text
            + ',"prev_hash":' + _scalar(prev_hash) + ',"record_id":' + _scalar(record_id)
            + ',"record_type":' + _scalar(record_type) + ',"seq":' + _scalar(seq)
            + ',"version":' + _scalar(version) + "}")


def _payload_text(payload: Mapping[str, Any]) -> str:
    return _CANONICAL.encode(payload if type(payload) is dict else dict(payload))


def fast_payload_text(payload: Mapping[str, Any]) -> str | None:
    """The payload's canonical text as orjson writes it, for checking a received change's
    hash; None when orjson cannot write it.

    orjson writes what the canonical encoder writes (sorted keys, no spaces, UTF-8 as is)
    about seven times faster, except for a few values: small floats (``1e-05`` as
    ``0.00001``), NaN and infinity (as ``null``, where the canonical encoder refuses). So it
    is used only for payloads the input reader parsed (no NaN, no infinity there: a change
    hashed over ``null`` could otherwise pass with an infinite value), and its text is
    only ever trusted through the hash: a change whose hash matches it was hashed over that
    very text; any other change is checked again with :func:`canonical_json`'s encoder,
    which alone decides a refusal.
    """
    try:
        return orjson.dumps(payload, option=orjson.OPT_SORT_KEYS).decode("utf-8")
    except TypeError:  # not a dict, a key that is not text, an int beyond 64 bits, …
        return None


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
    # The payload's canonical JSON, computed once (a change and its payload never change).
    _payload_text: str | None = field(default=None, init=False, repr=False, compare=False)

    def payload_text(self) -> str:
        """The canonical JSON text of the payload (encoded once, then remembered)."""
        text = self._payload_text
        if text is None:
            text = _payload_text(self.payload)
            object.__setattr__(self, "_payload_text", text)
        return text

    def wire_text(self) -> str:
        """The canonical JSON text of :meth:`to_json`, without building the dict."""
        return _assemble(self.device_id, self.seq, self.record_type, self.record_id,
                         self.version, self.hlc, self.payload_text(), self.prev_hash, self.hash)

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


def _body_digest(device_id: str, seq: int, record_type: str, record_id: str, version: int,
                 hlc: int, payload_text: str, prev_hash: str) -> str:
    """:func:`compute_hash` of a body whose payload is already canonical text."""
    text = _assemble(device_id, seq, record_type, record_id, version, hlc, payload_text,
                     prev_hash, None)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _remember(change: Change, payload_text: str) -> Change:
    object.__setattr__(change, "_payload_text", payload_text)
    return change


def make_change(*, device_id: str, seq: int, record_type: str, record_id: str, version: int,
                hlc: int, payload: Mapping[str, Any], prev_hash: str) -> Change:
    """Build a change and compute its hash."""
    if type(seq) is not int or type(version) is not int or type(hlc) is not int:
        body = {
            "device_id": device_id, "seq": seq, "record_type": record_type,
            "record_id": record_id, "version": version, "hlc": hlc, "payload": dict(payload),
            "prev_hash": prev_hash,
        }
        return Change(device_id, seq, record_type, record_id, version, hlc, payload,
                      prev_hash, compute_hash(body))
    text = _payload_text(payload)
    digest = _body_digest(device_id, seq, record_type, record_id, version, hlc, text,
                          prev_hash)
    return _remember(Change(device_id, seq, record_type, record_id, version, hlc, payload,
                            prev_hash, digest), text)


class WireChange(NamedTuple):
    """A change as JSON (what :meth:`Change.to_json` gives, UTF-8 encoded) with the fields
    sync reads without parsing it: pushing and exporting copy the bytes as they are."""

    device_id: str
    seq: int
    record_type: str
    prev_hash: str
    hash: str
    raw: bytes

    @classmethod
    def of(cls, change: Change) -> WireChange:
        """The wire form of a change (its canonical JSON)."""
        return cls(change.device_id, change.seq, change.record_type, change.prev_hash,
                   change.hash, change.wire_text().encode("utf-8"))

    @classmethod
    def stored(cls, device_id: str, seq: int, record_type: str, record_id: str, version: int,
               hlc: int, payload_text: str, prev_hash: str, digest: str) -> WireChange:
        """The wire form of a change kept as columns with its payload's canonical JSON text
        (a store's change log): assembled around the text, never parsed. The text must be
        the canonical JSON the hash covers; the county checks every hash."""
        return cls(device_id, seq, record_type, prev_hash, digest,
                   _assemble(device_id, seq, record_type, record_id, version, hlc,
                             payload_text, prev_hash, digest).encode("utf-8"))


class Link(Protocol):
    """What chain checks read of a change (:class:`Change` and :class:`WireChange` have it)."""

    @property
    def device_id(self) -> str:
        """The device that wrote it."""
        ...

    @property
    def seq(self) -> int:
        """Its sequence number."""
        ...

    @property
    def prev_hash(self) -> str:
        """The hash of the change before it."""
        ...

    @property
    def hash(self) -> str:
        """Its own hash."""
        ...


CHANGE_LINES = "application/vnd.yinling.change-lines"
"""Content type of a push body in lines: ``<seq> <hash> <change JSON>``, one change a line.

The county reads the sequence and hash of every line first and looks them up in one query;
a change it already holds is answered without parsing its JSON (its content is ignored
either way), every other line is parsed and verified in full and must agree with its
prefix. JSON never needs a raw line break (control characters inside strings are escaped),
so the lines split cleanly."""


def change_lines(changes: Iterable[WireChange]) -> bytes:
    """A push body in :data:`CHANGE_LINES` form."""
    # A raw line break can only be insignificant whitespace in valid JSON: make it a blank.
    return b"\n".join(b"%d %s %s" % (c.seq, c.hash.encode("ascii"), c.raw.replace(b"\n", b" "))
                      for c in changes)


def split_change_lines(body: bytes | bytearray) -> list[tuple[int, str, bytes]]:
    """(seq, hash, JSON bytes) of each line of a :data:`CHANGE_LINES` body."""
    out: list[tuple[int, str, bytes]] = []
    if not body:
        return out
    lines: list[bytes] | list[bytearray] = body.split(b"\n")
    for i in range(len(lines)):
        parts = lines[i].split(b" ", 2)
        if len(parts) != 3 or not parts[0].isdigit() or len(parts[0]) > 18 or \
                len(parts[1]) != 64 or not parts[1].isalnum():
            raise InputRejected([Problem(f"changes[{i}]", "format",
                                         "推送行格式应为“序号 哈希 变更JSON”")])
        out.append((int(parts[0]), parts[1].decode("ascii"), bytes(parts[2])))
    return out


_FIELDS: dict[str, type] = {
    "device_id": str, "seq": int, "record_type": str, "record_id": str, "version": int,
    "hlc": int, "payload": dict, "prev_hash": str, "hash": str,
}


_FIELD_NAMES = frozenset(_FIELDS)


def _plain(device_id: object, seq: object, record_type: object, record_id: object,
           version: object, hlc: object, prev_hash: object) -> bool:
    """True when the scalar fields are exactly str and int (not bool, not a subclass)."""
    return type(device_id) is str and type(seq) is int and type(record_type) is str and \
        type(record_id) is str and type(version) is int and type(hlc) is int and \
        type(prev_hash) is str


def _check_fields(data: object, where: str) -> Mapping[str, Any]:
    """Refuse a change that is not an object with exactly the fields of the right types."""
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
    return data


def change_from_json(data: object, where: str = "change", *,
                     from_reader: bool = False) -> Change:
    """Parse and verify a change from its wire form; refuse anything malformed or altered
    (also a payload no canonical JSON can hold: NaN, infinity, a lone surrogate).

    ``from_reader``: ``data`` was parsed by the input reader
    (:func:`assessment.inputreader.parse_json`), which admits finite numbers only; its hash
    is then checked over orjson's text first (:func:`fast_payload_text`)."""
    fields: Mapping[str, Any]
    if type(data) is dict and data.keys() == _FIELD_NAMES and \
            type(data["payload"]) is dict and type(data["hash"]) is str and \
            _plain(data["device_id"], data["seq"], data["record_type"], data["record_id"],
                   data["version"], data["hlc"], data["prev_hash"]):
        fields = data  # the usual case, checked at once: exactly the fields, plain types
    else:
        fields = _check_fields(data, where)  # the full report (or accepted subclasses)
    if fields["record_type"] not in RECORD_TYPES:
        raise InputRejected([Problem(f"{where}.record_type", "value", "未知的记录类型")])
    if fields["seq"] < 1 or fields["version"] < 1:
        raise InputRejected([Problem(f"{where}.seq", "value", "序号和版本须为正整数")])
    # Every field is a str, an int (not bool) or a dict, so the canonical body can be
    # assembled around the payload's one encoding (the same bytes compute_hash would hash).
    def digest_of(text: str) -> str:
        return _body_digest(fields["device_id"], fields["seq"], fields["record_type"],
                            fields["record_id"], fields["version"], fields["hlc"], text,
                            fields["prev_hash"])

    fast = fast_payload_text(fields["payload"]) if from_reader else None
    if fast is not None and digest_of(fast) == fields["hash"]:
        text = fast
    else:  # the canonical encoder decides (see fast_payload_text)
        try:
            text = _payload_text(fields["payload"])
            digest = digest_of(text)
        except ValueError as exc:  # NaN or infinity (allow_nan=False), a lone surrogate
            raise InputRejected([Problem(f"{where}.payload", "value",
                                         "变更内容含有无法规范编码的值")]) from exc
        if digest != fields["hash"]:
            raise InputRejected([Problem(f"{where}.hash", "hash",
                                         "哈希不符：记录已被篡改或损坏")])
    change = Change(fields["device_id"], fields["seq"], fields["record_type"],
                    fields["record_id"], fields["version"], fields["hlc"], fields["payload"],
                    fields["prev_hash"], fields["hash"])
    return _remember(change, text)


@dataclass(frozen=True, slots=True)
class ChainBreak:
    """Where a device's chain is not continuous: a missing sequence or a wrong link."""

    device_id: str
    seq: int
    kind: str  # "gap" or "link"
    detail: str


def verify_chain(changes: Iterable[Link], *, after_seq: int = 0,
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
