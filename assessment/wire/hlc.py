"""Hybrid logical clock: wall-clock milliseconds plus a counter, never going backwards.

Encoded as one integer ``ms << 16 | counter`` so that it sorts and stores as a plain number;
ties between devices are broken by device id (docs/architecture.md §4, conflicts).
"""

from __future__ import annotations

import time
from collections.abc import Callable

_COUNTER_BITS = 16
_COUNTER_MASK = (1 << _COUNTER_BITS) - 1


def pack(ms: int, counter: int) -> int:
    """Encode a clock reading."""
    return ms << _COUNTER_BITS | counter


def unpack(value: int) -> tuple[int, int]:
    """Decode a clock reading into (milliseconds, counter)."""
    return value >> _COUNTER_BITS, value & _COUNTER_MASK


class HybridClock:
    """A hybrid logical clock for one device; ``last`` is persisted by the store."""

    def __init__(self, last: int = 0, wall_ms: Callable[[], int] | None = None) -> None:
        self.last = last
        self._wall_ms = wall_ms or (lambda: time.time_ns() // 1_000_000)

    def now(self) -> int:
        """A reading later than every reading this clock has issued or seen."""
        wall = self._wall_ms()
        last_ms, counter = unpack(self.last)
        if wall > last_ms:
            self.last = pack(wall, 0)
        else:
            self.last = pack(last_ms, counter + 1)
        return self.last

    def observe(self, remote: int) -> int:
        """Merge a reading received from another device; return the new local reading."""
        wall = self._wall_ms()
        last_ms, last_counter = unpack(self.last)
        remote_ms, remote_counter = unpack(remote)
        top = max(wall, last_ms, remote_ms)
        if top == last_ms == remote_ms:
            counter = max(last_counter, remote_counter) + 1
        elif top == last_ms:
            counter = last_counter + 1
        elif top == remote_ms:
            counter = remote_counter + 1
        else:
            counter = 0
        self.last = pack(top, counter)
        return self.last
