"""Reading back JSON the program stored itself (record payloads, attributes): fast and exact.

Statistics and the county's current state parse a stored JSON object per elder and per
assessment, a million of each in a big county. orjson reads them about twice as fast as the
standard reader, and to the same values, except in two cases, where the standard reader is
used instead:

* an integer beyond 64 bits, which orjson reads as a float (silently): any text holding a
  run of 19 or more ASCII digits (the shortest integer beyond 64 bits has 19; a long run of
  digits inside a string only costs the faster path);
* text orjson refuses and the standard reader accepts (a lone surrogate escape, ``NaN``):
  tried again with the standard reader.

Untrusted input (bundles, requests, files) goes through :mod:`assessment.inputreader`
instead, which enforces limits.
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

_LONG_DIGITS = re.compile(r"[0-9]{19}")


def loads(text: str) -> Any:
    """The JSON value of ``text`` exactly as :func:`json.loads` reads it (raises
    :class:`ValueError` for text that is not JSON)."""
    if _LONG_DIGITS.search(text) is None:
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            pass  # the standard reader decides (it may accept, or say why not)
    return json.loads(text)


def stored_object(text: Any) -> dict[str, Any]:
    """A stored JSON object as a dict; anything else (not text, not JSON, not an object)
    as an empty one."""
    try:
        value = loads(text) if isinstance(text, str) else json.loads(text)
    except (TypeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}
