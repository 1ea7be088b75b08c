"""Attack: the county office signed in with one shared token (issue: security, item 8).

Against a real uvicorn server on SQLite and on PostgreSQL: the admin token no longer opens the
pages; a 审核员 can decide review items (recorded under their name) but not set the county up;
a form posted from another origin, or with no origin at all, changes nothing; a session idle
for 30 minutes is over. With ``--workers 2`` the sessions live in the database, so every
worker process knows them.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from assessment.cli import main
from server.timeutil import utcnow
from testkit.process import ServerProcess
from tests.security.test_server_township_scope import _townships
from tests.server.test_pages import PASSWORD, UI, csrf_of, operator, sign_in, token_of
from tests.server.townships import feed_counts


def _browser(server: ServerProcess, origin: str | None = None) -> httpx.Client:
    headers = {"Origin": origin or server.url}
    return httpx.Client(base_url=server.url, headers=headers, timeout=60)


def _set_idle(server: ServerProcess, minutes: int) -> None:
    """Make every session look idle for ``minutes`` (the clock cannot be moved)."""
    engine = server.engine()
    try:
        with engine.begin() as conn:
            conn.execute(text("UPDATE web_sessions SET seen_at = :t"),
                         {"t": utcnow() - timedelta(minutes=minutes)})
    finally:
        engine.dispose()


def test_the_admin_token_opens_no_page(shared_server: ServerProcess) -> None:
    with _browser(shared_server) as browser:
        form = browser.get(f"{UI}/login")
        signin = re.search(r'name="signin" value="([^"]+)"', form.text)
        assert signin is not None
        answer = browser.post(f"{UI}/login", data={"signin": signin.group(1),
                                                   "token": token_of(shared_server)})
        assert answer.status_code == 401
        assert browser.get(UI).status_code == 303


def test_a_reviewer_decides_under_their_name_and_cannot_set_up(
        shared_server: ServerProcess, tmp_path: Path) -> None:
    server = shared_server
    jia, _, a, b = _townships(server, tmp_path)
    b.outbox.record_many([("elder", "e-" + uuid.uuid4().hex, {"name": "甲"})])
    elder_id = b.outbox.record_ids("elder")[0]
    with b.client() as client:
        client.push()
    a.outbox.record_many([("elder", elder_id, {"name": "冒名"})])
    with a.client() as client:
        client.push()  # quarantined: a review item
    item = server.admin().call("GET", "/admin/review/quarantine",
                               params={"township": jia})[0]
    reviewer = operator(server, f"rev{uuid.uuid4().hex[:6]}", "reviewer")
    with _browser(server) as browser:
        csrf = sign_in(browser, server, reviewer, "reviewer")
        assert "审核员" in browser.get(UI).text
        held = feed_counts(server)
        refused = browser.post(f"{UI}/townships", data={"csrf": csrf, "code": "x" + reviewer,
                                                        "name": "不该有的乡镇"})
        assert refused.status_code == 403, refused.text
        assert "需要管理员账号" in refused.text
        assert feed_counts(server) == held
        done = browser.post(f"{UI}/review/quarantine/{item['id']}",
                            data={"csrf": csrf, "action": "dismiss", "note": "核实为误操作"})
        assert done.status_code == 303
    decided = {json.loads(detail)["id"]: actor for actor, detail in server.query(
        "SELECT actor, detail FROM audit WHERE action = 'review.quarantine'")}
    assert decided[item["id"]] == f"web:{reviewer}"
    a.close()
    b.close()


def test_posts_from_elsewhere_change_nothing_and_idle_sessions_end(
        shared_server: ServerProcess) -> None:
    server = shared_server
    with _browser(server) as browser:
        csrf = sign_in(browser, server)
        held = server.scalar("SELECT COUNT(*) FROM townships")
        form = {"csrf": csrf, "code": "o" + uuid.uuid4().hex[:8], "name": "外来表单"}
        for origin in ("http://evil.example", "null"):
            answer = browser.post(f"{UI}/townships", data=form, headers={"Origin": origin})
            assert answer.status_code == 403, origin
            assert "表单来源无法确认" in answer.text
        with httpx.Client(base_url=server.url, cookies=browser.cookies) as bare:
            assert bare.post(f"{UI}/townships", data=form).status_code == 403  # no origin
        assert server.scalar("SELECT COUNT(*) FROM townships") == held
        assert browser.get(UI).status_code == 200
        _set_idle(server, 29)
        assert browser.get(UI).status_code == 200  # still alive (and now fresh again)
        _set_idle(server, 31)
        answer = browser.get(UI)
        assert (answer.status_code, answer.headers["location"]) == (303, f"{UI}/login")


@pytest.fixture
def two_workers(tmp_path: Path) -> Iterator[ServerProcess]:
    """A server of two worker processes on one SQLite database."""
    process = ServerProcess(tmp_path / "county", extra_args=["--workers", "2"]).start()
    yield process
    process.stop()


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs /proc (Linux)")
def test_sessions_hold_across_worker_processes(two_workers: ServerProcess) -> None:
    server = two_workers
    assert len(_children(server.pid)) >= 2
    with _browser(server) as browser:
        form = browser.get(f"{UI}/login")
        signin = re.search(r'name="signin" value="([^"]+)"', form.text)
        assert signin is not None
        answer = browser.post(f"{UI}/login", data={
            "signin": signin.group(1), "username": operator(server), "password": PASSWORD})
        assert answer.status_code == 303
        pages = [browser.get(UI) for _ in range(24)]
        assert {p.status_code for p in pages} == {200}
        csrf = csrf_of(pages[-1].text)
        assert {csrf_of(p.text) for p in pages} == {csrf}
        code = "w" + uuid.uuid4().hex[:8]
        added = browser.post(f"{UI}/townships", data={"csrf": csrf, "code": code,
                                                      "name": "多进程"})
        assert added.status_code == 303
        assert "已添加" in browser.get(added.headers["location"]).text or \
            server.scalar("SELECT COUNT(*) FROM townships WHERE code = :c", c=code) == 1


def test_operator_accounts_from_the_county_command(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    county = ["county", "--data-dir", str(tmp_path / "county")]
    for weak in ("1234567", "zhangsan", " " * 8, "\u200b" * 8):
        monkeypatch.setenv("YINLING_PASSWORD", weak)
        assert main([*county, "operator", "add", "zhangsan", "张三", "--role", "审核员"]) == 1
        assert "密码" in capsys.readouterr().err
    monkeypatch.setenv("YINLING_PASSWORD", PASSWORD)
    assert main([*county, "operator", "add", "zhangsan", "张三", "--role", "审核员"]) == 0
    capsys.readouterr()
    assert main([*county, "operator", "list"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed == [{"username": "zhangsan", "display_name": "张三", "role": "审核员",
                       "disabled": False}]
    stored = (tmp_path / "county" / "county.sqlite3").read_bytes()
    assert PASSWORD.encode() not in stored
    assert main([*county, "operator", "disable", "zhangsan"]) == 0
