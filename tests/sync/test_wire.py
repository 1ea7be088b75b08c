"""The change's fast encodings agree byte for byte with the canonical JSON they stand for."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from assessment.errors import InputRejected
from assessment.inputreader import parse_json
from assessment.wire.changes import (
    RECORD_TYPES,
    WireChange,
    canonical_json,
    canonical_text,
    change_from_json,
    change_lines,
    compute_hash,
    make_change,
    split_change_lines,
)
from assessment.wire.outbox import pending_wire
from testkit.local_outbox import LocalOutbox, wire_fields

# Pieces that stress the encoders and the text scanner: quotes, escapes, control and
# non-ASCII characters, and the very keys the scanner looks for.
_PIECES = ['a', '"', '\\', '\n', '\t', '\x00', '\x1f', '\x7f', '张', '\u2028', '😀', 'é',
           ',"prev_hash":"', ',"record_type":"', '","seq":1', '"hash":"']


def _text(rng: random.Random) -> str:
    return "".join(rng.choice(_PIECES) for _ in range(rng.randint(0, 6)))


def _value(rng: random.Random, depth: int = 0) -> object:
    kind = rng.randrange(7 if depth < 2 else 5)
    if kind == 0:
        return _text(rng)
    if kind == 1:
        return rng.randint(-10**20, 10**20)
    if kind == 2:
        return rng.choice([None, True, False])
    if kind == 3:
        return rng.choice([1.5, -0.0, 1e300, 2.5e-7])
    if kind == 4:
        return {"prev_hash": _text(rng), "record_type": "elder"}
    if kind == 5:
        return [_value(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    return {_text(rng): _value(rng, depth + 1) for _ in range(rng.randint(0, 3))}


def _random_change(rng: random.Random, device_id: str | None = None) -> dict[str, object]:
    return {
        "device_id": device_id if device_id is not None else _text(rng),
        "seq": rng.randint(1, 10**12), "record_type": rng.choice(sorted(RECORD_TYPES)),
        "record_id": _text(rng), "version": rng.randint(1, 99), "hlc": rng.randint(0, 10**15),
        "payload": {_text(rng): _value(rng) for _ in range(rng.randint(0, 5))},
        "prev_hash": rng.choice(["0" * 64, "f" * 64, _text(rng), "é" * 32, "a" * 63 + "\\"]),
    }


def test_assembled_encodings_equal_canonical_json() -> None:
    rng = random.Random(7)
    for _ in range(2000):
        fields = _random_change(rng)
        change = make_change(**fields)  # type: ignore[arg-type]
        assert change.hash == compute_hash(change.body())
        assert change.wire_text().encode("utf-8") == canonical_json(change.to_json())
        assert change.payload_text() == canonical_text(dict(change.payload))
        parsed = change_from_json(json.loads(change.wire_text()))
        assert parsed == change
        assert parsed.payload_text() == change.payload_text()


def test_hash_check_still_refuses_any_alteration() -> None:
    change = make_change(device_id="d", seq=3, record_type="assessment", record_id="r",
                         version=1, hlc=9, payload={"a": [1, "张"]}, prev_hash="0" * 64)
    for key, value in (("payload", {"a": [1, "李"]}), ("hlc", 10), ("record_id", "s"),
                       ("prev_hash", "1" * 64), ("device_id", "e")):
        with pytest.raises(InputRejected, match="哈希不符"):
            change_from_json({**change.to_json(), key: value})
    with pytest.raises(InputRejected, match="类型"):
        change_from_json({**change.to_json(), "seq": True})
    with pytest.raises(InputRejected, match="未知字段"):
        change_from_json({**change.to_json(), "extra": 1})


def test_wire_fields_read_off_the_text_match_the_parsed_change() -> None:
    rng = random.Random(11)
    for _ in range(2000):
        device_id = rng.choice(["dev-1", _text(rng)])
        change = make_change(**_random_change(rng, device_id))  # type: ignore[arg-type]
        prefix = ('{"device_id":' + canonical_text(device_id) + ',"hash":"').encode()
        raw = change.wire_text().encode("utf-8")
        assert wire_fields(change.seq, raw, device_id, prefix) == WireChange.of(change)
    # Not the canonical shape (another key order): parsed instead, same fields.
    change = make_change(device_id="dev-1", seq=5, record_type="elder", record_id="x",
                         version=2, hlc=1, payload={}, prev_hash="a" * 64)
    loose = json.dumps(change.to_json(), ensure_ascii=False).encode()
    assert wire_fields(5, loose, "dev-1", b'{"device_id":"dev-1","hash":"') == \
        WireChange.of(change)._replace(raw=loose)


def test_local_outbox_wire_form_is_what_it_stored(tmp_path: Path) -> None:
    rng = random.Random(3)
    with LocalOutbox(tmp_path / "o.sqlite3", "dev-9") as outbox:
        outbox.record_many(("assessment" if i % 2 else "elder", f"r{i % 5}",
                            {"n": _value(rng), "info": {}, "attributes": {}})
                           for i in range(40))
        wires = pending_wire(outbox, 10, 20)
        changes = outbox.pending_changes(10, 20)
    assert [w.seq for w in wires] == list(range(11, 31))
    assert wires == [WireChange.of(c) for c in changes]


def test_change_lines_round_trip_and_refuse_malformed_lines() -> None:
    changes = [make_change(device_id="d", seq=i, record_type="elder", record_id="r",
                           version=i, hlc=i, payload={"t": "a\nb"}, prev_hash="0" * 64)
               for i in (1, 2)]
    wires = [WireChange.of(c) for c in changes]
    body = change_lines(wires)
    assert body.count(b"\n") == 1
    lines = split_change_lines(body)
    assert [(s, h) for s, h, _ in lines] == [(c.seq, c.hash) for c in changes]
    assert [change_from_json(json.loads(raw)) for _, _, raw in lines] == changes
    # A raw line break in the stored JSON (whitespace) does not split the line.
    spaced = wires[0]._replace(raw=wires[0].raw.replace(b',"hlc"', b',\n"hlc"'))
    assert len(split_change_lines(change_lines([spaced]))) == 1
    assert split_change_lines(b"") == []
    for bad in (b"1 abc {}", b"x " + b"a" * 64 + b" {}", b"1 " + b"a" * 64,
                b"1 " + b"\xe5" * 64 + b" {}"):
        with pytest.raises(InputRejected, match="推送行格式"):
            split_change_lines(bad)


@pytest.mark.parametrize("value", [1e-05, 2**70, "\ud800", float("nan"), float("inf")])
@pytest.mark.parametrize("from_reader", [True, False])
def test_values_the_fast_encoder_writes_otherwise_are_decided_by_the_canonical_one(
        value: object, from_reader: bool) -> None:
    """orjson checks a received change's hash first; where it writes a value differently
    from the canonical encoder (a small float) or cannot write it (an int beyond 64 bits, a
    lone surrogate), the change is checked again with the canonical encoder: verified with
    its canonical text, or refused naming the payload. NaN and infinity, which orjson
    writes as null, are refused even with a hash over null."""
    body = {"device_id": "d", "seq": 1, "record_type": "elder", "record_id": "r",
            "version": 1, "hlc": 1, "prev_hash": "0" * 64}
    try:
        change = make_change(**body, payload={"v": value})  # type: ignore[arg-type]
    except ValueError:  # the canonical encoder refuses it: so must the receiver
        forged = {**body, "payload": {"v": value},
                  "hash": compute_hash({**body, "payload": {"v": None}})}
        if (from_reader and value != value) or value == float("inf"):
            forged_text = json.dumps(forged).replace("NaN", "1e999")  # as it could arrive
            with pytest.raises(InputRejected, match="不是有效的数字"):
                parse_json(forged_text.replace("Infinity", "1e999"))
            return
        with pytest.raises(InputRejected, match="无法规范编码"):
            change_from_json(forged, from_reader=from_reader)
        return
    parsed = change_from_json(change.to_json(), from_reader=from_reader)
    assert parsed.payload_text() == canonical_text({"v": value})
