"""Sign-in timing: an unknown username must cost as much as a known one with a wrong password.

Before: an unknown username failed at once (0.0 s against 0.17 s for a known one), which told
an attacker which usernames exist. The figure is the time to refuse an unknown username; the
floor is the time to refuse a known username with a wrong password, in the same run; a ratio
near 1 is the goal.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

from assessment.records.api import SignInFailed
from assessment.records.keyring import Keyring, new_database_key
from benchmarks.harness import median_of, record


def _refuse(ring: Keyring, username: str) -> None:
    try:
        ring.unlock_all(username, "wrong-password-1")
    except SignInFailed:
        return
    raise AssertionError("a wrong password opened the keyring")


def run(size: int) -> Iterator[dict[str, object]]:
    """``size`` is ignored beyond choosing the number of repeats (at least 3)."""
    repeats = max(3, min(size // 1000, 10))
    with tempfile.TemporaryDirectory() as folder:
        ring = Keyring.new()
        ring.add("guanli", "correct-horse-battery", new_database_key())
        ring.save(Path(folder) / "keys.json")
        known = median_of(repeats, lambda: _refuse(ring, "guanli"))
        unknown = median_of(repeats, lambda: _refuse(ring, "no-such-user"))
    yield record("signin_unknown_user", unknown, "s", known,
                 "拒绝不存在的用户名与拒绝已知用户名的错误密码耗时相同（比值约为 1）",
                 repeats=repeats)
