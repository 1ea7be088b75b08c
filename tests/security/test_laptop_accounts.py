"""Passwords and sign-in on the laptop (issue 12, item 7), against the real store and command.

Before: any 6 characters passed (``123456``, the username, six spaces, six zero-width
spaces) and 50 wrong passwords in a row cost nothing. Now a password needs 8 visible
characters, is not the username and not a common password; after 5 wrong passwords the
account is locked for a growing delay (kept in the keyring file, so a new process sees it)
until it passes or a supervisor unlocks it. (The time an unknown username takes is measured
in ``benchmarks/signin_timing.py``: tests assert no timings.)
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from assessment.errors import InputRejected
from assessment.passwords import lock_seconds
from assessment.records.api import SignInFailed
from assessment.records.datadir import keyring_path
from assessment.records.demo import DEMO_PASSWORD, DEMO_SUPERVISOR, create_demo_workspace
from assessment.records.keyring import Keyring
from assessment.records.workspace import Workspace
from tests.security.laptop_cli import yinling

ASSESSOR_PASSWORD = "field-visit-2026"


@pytest.mark.parametrize(("password", "rule"), [
    ("123456", "至少需要 8 个可见字符"),
    ("pinggu7", "至少需要 8 个可见字符"),
    (" " * 8, "至少需要 8 个可见字符"),
    ("\u200b" * 8, "至少需要 8 个可见字符"),
    ("\u200b" * 4 + "abcd" + "\u3000" * 4, "至少需要 8 个可见字符"),
    ("pinggu77", "不能与用户名相同"),
    ("PINGGU77", "不能与用户名相同"),
    ("12345678", "过于常见"),
    ("password1", "过于常见"),
    ("Woaini1314", "过于常见"),
])
def test_weak_passwords_are_refused(tmp_path: Path, password: str, rule: str) -> None:
    with Workspace.create(tmp_path / "data", username="admin", password="secret-123456",
                          display_name="管理员", role="supervisor") as ws:
        with pytest.raises(InputRejected, match=rule) as caught:
            ws.accounts.add("pinggu77", password, "评估员")
        assert caught.value.problems[0].field == "password"
        assert "pinggu77" not in {a.username for a in ws.accounts.all()}
        if "用户名" not in rule:  # a new password for the signed-in account: the same rules
            with pytest.raises(InputRejected, match=rule):
                ws.accounts.change_password("secret-123456", password)
    assert not Keyring.load(keyring_path(tmp_path / "data")).has("pinggu77")
    with pytest.raises(InputRejected, match="至少需要 8"):
        Workspace.create(tmp_path / "other", username="admin", password="123456",
                         display_name="管理员")


def test_demo_accounts_keep_their_documented_password(tmp_path: Path) -> None:
    create_demo_workspace(tmp_path / "demo", elders=1, seed=1)
    with Workspace.open(tmp_path / "demo", DEMO_SUPERVISOR, DEMO_PASSWORD) as ws:
        assert ws.current_user.role == "supervisor"


def _status(data_dir: Path, user: str, password: str) -> tuple[int, str]:
    done = yinling("sync", "--data-dir", data_dir, "--user", user, "status",
                   env={"YINLING_PASSWORD": password})
    assert "Traceback" not in done.stderr
    return done.returncode, done.stderr


def test_five_wrong_passwords_lock_the_account_until_a_supervisor_unlocks_it(
        tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    with Workspace.create(data_dir, username="admin", password="secret-123456",
                          display_name="管理员", role="supervisor") as ws:
        ws.accounts.add("pinggu1", ASSESSOR_PASSWORD, "评估员一")
    assert _status(data_dir, "pinggu1", ASSESSOR_PASSWORD)[0] == 0
    for attempt in range(5):  # the attack: guess after guess, each a new process
        code, err = _status(data_dir, "pinggu1", f"guess-{attempt:04d}")
        assert code != 0
        assert "用户名或密码错误" in err
    # Now even the right password is refused, without being tried, for a while.
    code, err = _status(data_dir, "pinggu1", ASSESSOR_PASSWORD)
    assert code != 0
    assert "已暂时锁定" in err
    assert re.search(r"请 \d+ 秒后再试", err)
    ring = Keyring.load(keyring_path(data_dir))  # persisted in the keyring file
    assert ring.locked_for("pinggu1", time.time()) > 0
    assert ring.locked_for("admin", time.time()) == 0
    # Other accounts are not locked; an assessor may not unlock; a supervisor does (audited).
    with Workspace.open(data_dir, "admin", "secret-123456") as ws:
        ws.accounts.unlock("pinggu1")
        assert "unlock_account" in [e.action for e in ws.audit.trail("pinggu1")]
    assert _status(data_dir, "pinggu1", ASSESSOR_PASSWORD)[0] == 0


def test_the_delay_grows_with_every_further_failure() -> None:
    assert [lock_seconds(n) for n in range(4, 9)] == [0, 30, 60, 120, 240]
    assert lock_seconds(40) == 3600


def test_unknown_usernames_are_locked_the_same_way(tmp_path: Path) -> None:
    """A lock must not tell whether a username exists: an unknown one is counted too."""
    data_dir = tmp_path / "data"
    Workspace.create(data_dir, username="admin", password="secret-123456",
                     display_name="管理员").close()
    for _ in range(5):
        with pytest.raises(SignInFailed, match="用户名或密码错误"):
            Workspace.open(data_dir, "nobody", "whatever-123")
    with pytest.raises(SignInFailed, match="已暂时锁定"):
        Workspace.open(data_dir, "nobody", "whatever-123")
