"""Every endpoint of the county API keeps answering bad input with a 4xx, never a 5xx.

Schemathesis generates requests from the app's own OpenAPI schema (valid and invalid bodies,
parameters and paths), a bounded number per endpoint, and sends them to a real uvicorn server
on SQLite and on PostgreSQL, once without credentials and once with the admin token.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from server.app import create_app
from server.config import Settings
from testkit.process import ServerProcess

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
