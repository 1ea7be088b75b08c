"""Fixtures of the attack tests: the real servers of the server tests (PostgreSQL started by
the tests, uvicorn subprocesses), shared rather than repeated."""

from tests.server.conftest import db_url, pg, pg_url, shared_server, start_server

__all__ = ["db_url", "pg", "pg_url", "shared_server", "start_server"]
