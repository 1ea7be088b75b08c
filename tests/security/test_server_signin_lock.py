"""Attack: guessing a county operator's password on the web sign-in (issue 12, items 7 and 8).

Before: the county pages took any number of wrong passwords at full speed, and an operator
account could be given a common password such as ``12345678``. Now, against a real uvicorn on
SQLite and on PostgreSQL, the county follows the laptop's rules (the same module): a common
password, the username or fewer than 8 visible characters is refused; after 5 wrong passwords
the account is locked and not even the right password opens it; the lock grows with every
further failure, is counted in the database (every server process sees it) and is lifted by
``yinling county operator unlock``. A locked account, an unknown username and a wrong password
get the same answer.
"""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from assessment.cli import main
from assessment.passwords import FIRST_LOCK_SECONDS, FREE_FAILURES
from server.timeutil import utcnow
from testkit.process import ServerProcess
from tests.server.test_pages import PASSWORD, UI, operator


def _try(server: ServerProcess, username: str, password: str) -> httpx.Response:
    with httpx.Client(base_url=server.url, headers={"Origin": server.url},
                      timeout=120) as browser:
        form = browser.get(f"{UI}/login")
        signin = re.search(r'name="signin" value="([^"]+)"', form.text)
        assert signin is not None
        return browser.post(f"{UI}/login", data={"signin": signin.group(1),
                                                 "username": username,
                                                 "password": password})


def _failures(server: ServerProcess, username: str) -> int:
    return int(server.scalar("SELECT failed_signins FROM operators WHERE username = :u",
                             u=username))


def _age_last_failure(server: ServerProcess, username: str, seconds: int) -> None:
    """Make the last wrong password look ``seconds`` old (the clock cannot be moved)."""
    engine = server.engine()
    try:
        with engine.begin() as conn:
            conn.execute(text("UPDATE operators SET failed_at = :t WHERE username = :u"),
                         {"t": utcnow() - timedelta(seconds=seconds), "u": username})
    finally:
        engine.dispose()


def test_wrong_passwords_lock_the_account_with_a_growing_delay(
        shared_server: ServerProcess, capsys: pytest.CaptureFixture[str]) -> None:
    server = shared_server
    name = operator(server, f"lock{uuid.uuid4().hex[:6]}", "reviewer")
    assert _try(server, name, PASSWORD).status_code == 303  # the right one works at first

    answers = [_try(server, name, f"wrong-guess-{i}") for i in range(FREE_FAILURES)]
    assert {a.status_code for a in answers} == {401}
    assert _failures(server, name) == FREE_FAILURES
    # Locked: the right password is refused too, with the answer a wrong one gets.
    locked = _try(server, name, PASSWORD)
    unknown = _try(server, f"nobody{uuid.uuid4().hex[:6]}", PASSWORD)
    assert locked.status_code == unknown.status_code == 401
    message = re.compile(r'class="flash[^"]*"[^>]*>(.*?)<', re.S)
    assert message.findall(locked.text) == message.findall(unknown.text) != []
    assert "用户名或密码不正确" in locked.text
    assert _failures(server, name) == FREE_FAILURES  # a try while locked is not counted

    # The first lock ends after FIRST_LOCK_SECONDS; one more wrong password doubles it.
    _age_last_failure(server, name, FIRST_LOCK_SECONDS + 1)
    assert _try(server, name, "wrong-again-1").status_code == 401
    assert _failures(server, name) == FREE_FAILURES + 1
    _age_last_failure(server, name, FIRST_LOCK_SECONDS + 1)
    assert _try(server, name, PASSWORD).status_code == 401  # still locked: 60 s now
    _age_last_failure(server, name, 2 * FIRST_LOCK_SECONDS + 1)
    assert _try(server, name, PASSWORD).status_code == 303
    assert _failures(server, name) == 0  # the right password clears the count

    # Locked again; the county's administrator unlocks it from the command line.
    for i in range(FREE_FAILURES):
        _try(server, name, f"wrong-guess-{i}")
    assert _try(server, name, PASSWORD).status_code == 401
    county = ["county", "--data-dir", str(server.data_dir)]
    county += ["--db", server.db_url] if server.db_url else []
    assert main([*county, "operator", "unlock", "nobody-at-all"]) == 1
    assert "username: 没有账号 nobody-at-all" in capsys.readouterr().err
    assert main([*county, "operator", "unlock", name]) == 0
    capsys.readouterr()
    assert _try(server, name, PASSWORD).status_code == 303
    assert server.scalar("SELECT COUNT(*) FROM audit WHERE action = 'operator.unlock'") >= 1


@pytest.mark.parametrize("weak", ["12345678", "Password", "qwertyuiop", "zhangsan1"])
def test_common_passwords_are_refused_for_county_accounts(
        weak: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    county = ["county", "--data-dir", str(tmp_path)]
    monkeypatch.setenv("YINLING_PASSWORD", weak)
    assert main([*county, "operator", "add", "zhangsan1", "张三", "--role", "审核员"]) == 1
    err = capsys.readouterr().err
    assert "password:" in err
    assert "Traceback" not in err
    monkeypatch.setenv("YINLING_PASSWORD", PASSWORD)
    assert main([*county, "operator", "add", "zhangsan1", "张三", "--role", "审核员"]) == 0
