"""Stored JSON read back fast (orjson) must be read exactly as the standard reader reads
it: integers beyond 64 bits stay integers, floats keep their value, and text orjson refuses
is still read."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from assessment.storedjson import loads, stored_object

_scalars = (st.none() | st.booleans()
            | st.integers(min_value=-(2**80), max_value=2**80)
            | st.integers(min_value=2**63, max_value=2**80)  # beyond 64 bits, often
            | st.floats(allow_nan=True, allow_infinity=True)
            | st.text())
_values = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=4)
                       | st.dictionaries(st.text(max_size=6), inner, max_size=4),
                       max_leaves=20)


def _typed(value: Any) -> str:
    """A text telling 1 from 1.0 and True from 1 (``==`` does not)."""
    return json.dumps(value, sort_keys=True)


@given(_values, st.booleans())
def test_reads_what_the_standard_reader_reads(value: Any, ascii_only: bool) -> None:
    text = json.dumps(value, ensure_ascii=ascii_only)
    assert _typed(loads(text)) == _typed(json.loads(text))


def test_the_cases_orjson_reads_otherwise() -> None:
    big = loads('{"n": 18446744073709551616, "m": -9223372036854775809}')
    assert big == {"n": 2**64, "m": -(2**63) - 1}
    assert all(type(v) is int for v in big.values())
    assert loads('["\\ud800"]') == ["\ud800"]  # a lone surrogate (orjson refuses it)
    assert str(loads("[NaN]")[0]) == "nan"
    assert loads('{"id": "1234567890123456789012"}') == {"id": "1234567890123456789012"}


def test_stored_object_is_an_empty_dict_for_anything_else() -> None:
    assert stored_object('{"a": 1}') == {"a": 1}
    assert stored_object(b'{"a": 1}') == {"a": 1}
    for other in (None, 3, "[1]", "not json", "", '"text"'):
        assert stored_object(other) == {}
