"""Sign-in timing: an unknown username must cost as much as a known one with a wrong password.

Before: an unknown username failed at once (0.0 s against 0.17 s for a known one), which told
an attacker which usernames exist. The figure is the time to refuse an unknown username; the
floor is the time to refuse a known username with a wrong password, in the same run; a ratio
near 1 is the goal.

The county's web sign-in is measured the same way (its operators table on a SQLite database,
with the server's own sign-in check): an unknown username, and a locked account (whose
password is not even tried), each against a known username with a wrong password.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

from assessment.records.api import SignInFailed
from assessment.records.keyring import Keyring, new_database_key
from benchmarks.harness import median_of, record

PASSWORD = "correct-horse-battery"


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
        ring.add("guanli", PASSWORD, new_database_key())
        ring.save(Path(folder) / "keys.json")
        known = median_of(repeats, lambda: _refuse(ring, "guanli"))
        unknown = median_of(repeats, lambda: _refuse(ring, "no-such-user"))
    yield record("signin_unknown_user", unknown, "s", known,
                 "拒绝不存在的用户名与拒绝已知用户名的错误密码耗时相同（比值约为 1）",
                 repeats=repeats)
    yield from _county(repeats)


def _county(repeats: int) -> Iterator[dict[str, object]]:
    """The county's web sign-in: unknown and locked accounts against a wrong password."""
    from server.config import Settings
    from server.context import ServerContext
    from server.operators import add_operator, check_sign_in

    with tempfile.TemporaryDirectory() as folder, \
            ServerContext.open(Settings(data_dir=Path(folder))) as ctx:
        with ctx.engine.begin() as conn:
            add_operator(conn, "shenhe", "审核员", "reviewer", PASSWORD, "benchmark")
            add_operator(conn, "suoding", "审核员", "reviewer", PASSWORD, "benchmark")

        def refuse(username: str, reset: bool = False) -> None:
            with ctx.engine.begin() as conn:
                if reset:  # the known account is never locked while measured
                    conn.exec_driver_sql("UPDATE operators SET failed_signins = 0 "
                                         "WHERE username = 'shenhe'")
                if check_sign_in(conn, username, "wrong-password-1") is not None:
                    raise AssertionError("a wrong password signed in")

        for _ in range(6):
            refuse("suoding")  # locked from the fifth failure on
        known = median_of(repeats, lambda: refuse("shenhe", reset=True))
        unknown = median_of(repeats, lambda: refuse("no-such-user"))
        locked = median_of(repeats, lambda: refuse("suoding"))
    goal = "县级网页登录：{}与已知用户名输错密码耗时相同（比值约为 1）"
    yield record("county_signin_unknown_user", unknown, "s", known,
                 goal.format("不存在的用户名"), repeats=repeats)
    yield record("county_signin_locked_account", locked, "s", known,
                 goal.format("已锁定的账户"), repeats=repeats)
