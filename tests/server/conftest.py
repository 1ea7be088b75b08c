"""Real servers for the server tests: PostgreSQL started by the tests, uvicorn subprocesses."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from server import county
from server.config import Settings
from server.context import ServerContext
from testkit.pgtemp import TempPostgres, find_bin_dir
from testkit.process import ServerProcess


@pytest.fixture(scope="session")
def pg() -> Iterator[TempPostgres]:
    """One throw-away PostgreSQL cluster for the whole session.

    PostgreSQL is the county's production database: without it the tests fail (they do not
    skip), and ``python3 tools/run.py test`` installs it."""
    if find_bin_dir() is None:
        pytest.fail("未安装 PostgreSQL 服务器程序（initdb/postgres）：请用 python3 tools/run.py "
                    "test 运行测试（会自动安装），或 apt-get install postgresql")
    cluster = TempPostgres().start()
    yield cluster
    cluster.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest) -> str:
    """An empty database of each kind ("" = the SQLite file in the data folder)."""
    if request.param == "sqlite":
        return ""
    cluster: TempPostgres = request.getfixturevalue("pg")
    return cluster.create_database(f"t_{uuid.uuid4().hex[:12]}")


@pytest.fixture
def pg_url(pg: TempPostgres) -> str:
    """An empty PostgreSQL database."""
    return pg.create_database(f"t_{uuid.uuid4().hex[:12]}")


@contextlib.contextmanager
def one_township(db_url: str, folder: Path) -> Iterator[ServerContext]:
    """A county (data in ``folder``) with township t1 (一镇) and its account ``ua``."""
    context = ServerContext.open(Settings(data_dir=folder, db_url=db_url))
    try:
        with context.engine.begin() as conn:
            county.add_township(conn, "t1", "一镇", "test")
            county.add_account(conn, "ua", "甲", "t1", "test")
        yield context
    finally:
        context.close()


@pytest.fixture
def township_county(db_url: str, tmp_path: Path) -> Iterator[ServerContext]:
    """:func:`one_township` on each database kind."""
    with one_township(db_url, tmp_path / "county") as context:
        yield context


ServerFactory = Callable[[str], ServerProcess]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def shared_server(request: pytest.FixtureRequest,
                  tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One server per module and database kind (tests use their own townships)."""
    url = ""
    if request.param == "postgresql":
        cluster: TempPostgres = request.getfixturevalue("pg")
        url = cluster.create_database(f"m_{uuid.uuid4().hex[:12]}")
    process = ServerProcess(tmp_path_factory.mktemp("county") / "data", url).start()
    yield process
    process.stop()


@pytest.fixture
def start_server(tmp_path: Path) -> Iterator[ServerFactory]:
    """Start ``python -m server`` processes on a database URL; all stopped at the end."""
    started: list[ServerProcess] = []

    def start(url: str) -> ServerProcess:
        process = ServerProcess(tmp_path / f"county{len(started)}", url).start()
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()
