"""A device writing a chain of elder changes for a laptop under test to pull (another laptop
of the township, or the county's own device)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from assessment.wire.changes import GENESIS_HASH, Change, make_change


class Author:
    """Numbers and chains the changes it makes, as a real device's change log does."""

    def __init__(self, device_id: str) -> None:
        self.device_id = device_id
        self.seq = 0
        self.prev = GENESIS_HASH

    def change(self, record_id: str, version: int, hlc: int,
               payload: Mapping[str, Any]) -> Change:
        """The next elder change of this device."""
        self.seq += 1
        made = make_change(device_id=self.device_id, seq=self.seq, record_type="elder",
                           record_id=record_id, version=version, hlc=hlc,
                           payload=dict(payload), prev_hash=self.prev)
        self.prev = made.hash
        return made
