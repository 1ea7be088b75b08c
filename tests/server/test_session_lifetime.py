"""How long a county operator's web session lives: 30 minutes without a request, eight hours
in any case; a request inside the idle limit keeps it alive. Time passes in the store (the
session's row), the server is real."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select, update

from server.db.tables import web_sessions
from server.web.session import IDLE_S, LIFETIME_S, SESSION_COOKIE
from testkit.process import ServerProcess
from tests.server.test_pages import UI, sign_in


@pytest.fixture
def browser(shared_server: ServerProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=shared_server.url,
                      headers={"Origin": shared_server.url}, timeout=120) as http:
        yield http


def age(server: ServerProcess, http: httpx.Client, *, idle: timedelta,
        age: timedelta = timedelta(0)) -> None:
    """Make the browser's session look ``idle`` since its last request and ``age`` old."""
    key = hashlib.sha256(http.cookies[SESSION_COOKIE].encode()).hexdigest()
    now = datetime.now(UTC)
    engine = server.engine()
    try:
        with engine.begin() as conn:
            changed = conn.execute(update(web_sessions).where(web_sessions.c.key_hash == key)
                                   .values(seen_at=now - idle, created_at=now - age)).rowcount
    finally:
        engine.dispose()
    assert changed == 1


def last_seen(server: ServerProcess, http: httpx.Client) -> datetime | None:
    key = hashlib.sha256(http.cookies[SESSION_COOKIE].encode()).hexdigest()
    engine = server.engine()
    try:
        with engine.connect() as conn:
            seen = conn.execute(select(web_sessions.c.seen_at)
                                .where(web_sessions.c.key_hash == key)).scalar()
    finally:
        engine.dispose()
    return None if seen is None else seen if seen.tzinfo else seen.replace(tzinfo=UTC)


def signed_out(answer: httpx.Response) -> bool:
    return (answer.status_code, answer.headers.get("location")) == (303, f"{UI}/login")


def test_the_limits_are_thirty_minutes_idle_and_eight_hours() -> None:
    assert (IDLE_S, LIFETIME_S) == (30 * 60, 8 * 3600)


def test_a_request_within_the_idle_limit_keeps_the_session(
        shared_server: ServerProcess, browser: httpx.Client) -> None:
    sign_in(browser, shared_server)
    age(shared_server, browser, idle=timedelta(minutes=29), age=timedelta(hours=7))
    assert browser.get(UI).status_code == 200
    seen = last_seen(shared_server, browser)
    assert seen is not None
    assert datetime.now(UTC) - seen < timedelta(minutes=1)  # the request renewed it


def test_thirty_minutes_idle_end_the_session(
        shared_server: ServerProcess, browser: httpx.Client) -> None:
    sign_in(browser, shared_server)
    age(shared_server, browser, idle=timedelta(minutes=31))
    assert signed_out(browser.get(UI))
    assert last_seen(shared_server, browser) is None  # the row is gone, not just ignored
    assert signed_out(browser.get(f"{UI}/review/conflicts"))


def test_eight_hours_end_a_busy_session(
        shared_server: ServerProcess, browser: httpx.Client) -> None:
    sign_in(browser, shared_server)
    age(shared_server, browser, idle=timedelta(0), age=timedelta(hours=8, minutes=1))
    assert signed_out(browser.get(UI))
    # Signing in again gives a fresh session.
    sign_in(browser, shared_server)
    assert browser.get(UI).status_code == 200
