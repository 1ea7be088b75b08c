"""Every endpoint of the county API keeps answering bad input with a 4xx, never a 5xx.

Schemathesis generates requests from the app's own OpenAPI schema (valid and invalid bodies,
parameters and paths), a bounded number per endpoint, and sends them to a real uvicorn server
on SQLite and on PostgreSQL, once without credentials and once with the admin token.

The county's web pages are kept out of the API schema, so their own schema is built here from
their routes (path and query parameters; forms are read by the pages themselves) and sent with
a signed-in 管理员 session: every POST carries the session's CSRF token and the pages' origin,
so a generated request reaches the page's own checks rather than stopping at the CSRF check.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from hypothesis import HealthCheck, settings

from server.app import create_app
from server.config import Settings
from server.routes.pages import (
    accounts,
    bundles,
    dashboard,
    devices,
    elders,
    enrolment,
    lists,
    registry,
    review,
    signin,
)
from server.web.session import SESSION_COOKIE
from testkit.process import ServerProcess
from tests.server.test_pages import sign_in

EXAMPLES = 6
"""Generated requests per endpoint and credential (bounded: the suite must stay quick)."""

# The app's schema, built without starting it (the served app hides it: openapi_url=None).
SCHEMA = schemathesis.openapi.from_dict(
    create_app(Settings(data_dir=Path("unused"))).openapi())


@pytest.mark.parametrize("credential", ["none", "admin"])
@SCHEMA.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_no_endpoint_answers_a_server_error(case: Any, shared_server: ServerProcess,
                                            credential: str) -> None:
    headers = dict(case.headers or {})
    if credential == "admin":
        headers["Authorization"] = f"Bearer {shared_server.admin().token}"
    response = case.call(base_url=shared_server.url, headers=headers, timeout=60)
    assert response.status_code < 500, (
        f"{case.method} {case.formatted_path} → {response.status_code}: "
        f"{response.text[:500]}")


def _page_schema() -> dict[str, Any]:
    """An OpenAPI schema of the county pages (signing out left out: it ends the session)."""
    routes = [APIRoute(route.path, route.endpoint, methods=sorted(route.methods or ()),
                       name=route.name, include_in_schema=True)
              for group in (signin, dashboard, review, bundles, devices, elders, accounts,
                            enrolment, lists, registry)
              for route in group.router.routes
              if isinstance(route, APIRoute) and not route.path.endswith("/logout")]
    return get_openapi(title="county pages", version="1", routes=routes)


PAGES = schemathesis.openapi.from_dict(_page_schema())
_SESSIONS: dict[str, tuple[str, str]] = {}


def _session(server: ServerProcess) -> tuple[str, str]:
    """A signed-in 管理员 session on ``server`` (cookie, CSRF token), made once per server."""
    if server.url not in _SESSIONS:
        with httpx.Client(base_url=server.url, headers={"Origin": server.url},
                          timeout=60) as browser:
            csrf = sign_in(browser, server)
            _SESSIONS[server.url] = (browser.cookies[SESSION_COOKIE], csrf)
    return _SESSIONS[server.url]


@PAGES.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_no_page_answers_a_server_error(case: Any, shared_server: ServerProcess) -> None:
    cookie, csrf = _session(shared_server)
    headers = {**dict(case.headers or {}), "Origin": shared_server.url,
               "Cookie": f"{SESSION_COOKIE}={cookie}"}
    extra: dict[str, Any] = {}
    if case.method.upper() == "POST":
        extra["data"] = {"csrf": csrf}
    response = case.call(base_url=shared_server.url, headers=headers, timeout=60,
                         allow_redirects=False, **extra)
    assert response.status_code < 500, (
        f"{case.method} {case.formatted_path} → {response.status_code}: "
        f"{response.text[:500]}")
