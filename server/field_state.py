"""The county's per-field merge state of elder profiles: one row per elder.

Merging an elder change (:func:`assessment.wire.merge.merge_elder`) needs, for every field of
the profile, its current value and the write that set it (hybrid clock, device, version). The
county keeps them in ``elder_field_state``: one row per elder whose ``fields`` text is a JSON
object ``{path: [value, hlc, device_id, version]}``. A profile has some thirty-five fields;
one row per field (the table this replaced, ``elder_fields``, migration 0010) made a
million-elder county write thirty-five million rows and their index on import, half the
database's size and a seventh of the import's time, while every reader wants an elder's
fields together: ingest merges a whole profile, a transfer copies it, a conflict decision or
a roster import looks at one field of one elder.

The text is written by orjson (the exact value of every JSON value, floats by their shortest
repr) and read back by orjson; where orjson cannot write it (an integer beyond 64 bits, which
its reader would also turn into a float) the standard encoder writes it, marked by a leading
space, and the standard reader reads it. It is the county's own bookkeeping: no hash or
signature covers it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import orjson
from sqlalchemy import Connection, select

from assessment.wire.merge import FieldState
from server.db.bulk import among
from server.db.tables import elder_field_state

Fields = dict[str, FieldState]
_STANDARD = " "  # leads the text the standard encoder wrote (JSON ignores it)


def encode(fields: Mapping[str, FieldState]) -> str:
    """The stored text of an elder's field states."""
    plain = {path: tuple(state) for path, state in fields.items()}  # arrays
    try:
        return orjson.dumps(plain).decode("utf-8")
    except TypeError:  # an integer beyond 64 bits: the standard encoder writes it exactly
        return _STANDARD + json.dumps(plain, ensure_ascii=False, separators=(",", ":"))


def _raw(text: str) -> dict[str, list[Any]]:
    """The stored object: path -> [value, hlc, device, version]."""
    # orjson would read an integer beyond 64 bits as a float: such text is marked.
    raw: dict[str, list[Any]] = json.loads(text) if text.startswith(_STANDARD) \
        else orjson.loads(text)
    return raw


def _state(item: list[Any]) -> FieldState:
    value, hlc, device, version = item
    return FieldState(value, int(hlc), str(device), int(version))


def decode(text: str) -> Fields:
    """An elder's field states from their stored text."""
    return {path: _state(item) for path, item in _raw(text).items()}


def load(conn: Connection, elder_ids: Sequence[str]) -> dict[str, Fields]:
    """The field states of the elders among ``elder_ids`` the county holds (one query)."""
    if not elder_ids:
        return {}
    s = elder_field_state.c
    return {str(record_id): decode(str(text)) for record_id, text in conn.execute(
        select(s.record_id, s.fields).where(among(conn, s.record_id, elder_ids)))}


def field(conn: Connection, elder_id: str, path: str) -> FieldState | None:
    """One field's state (None when the county holds no such field)."""
    return load(conn, [elder_id]).get(elder_id, {}).get(path)


def writes_of(conn: Connection, path: str) -> Iterable[tuple[str, FieldState]]:
    """(elder id, state) of every elder holding field ``path``, elder by elder (a full
    scan, as reading that field of every elder's stored rows was)."""
    s = elder_field_state.c
    query = select(s.record_id, s.fields).execution_options(yield_per=2000)
    for record_id, text in conn.execute(query):
        item = _raw(str(text)).get(path)  # only this field made into a state
        if item is not None:
            yield str(record_id), _state(item)
