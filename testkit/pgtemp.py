"""A throw-away PostgreSQL cluster for tests, benchmarks and trial runs.

``initdb`` in a temporary folder, ``postgres`` listening on 127.0.0.1 at a free port with
trust authentication, stopped and deleted on exit. PostgreSQL refuses to run as root, so when
the current user is root the cluster runs as ``nobody`` (via ``runuser``). Binaries are found
on ``PATH`` or under ``/usr/lib/postgresql/<version>/bin``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg

SUPERUSER = "postgres"


def find_bin_dir() -> Path | None:
    """The folder holding ``initdb`` and ``postgres``, or None when not installed."""
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    root = Path("/usr/lib/postgresql")
    if root.is_dir():
        versions = sorted((p for p in root.iterdir() if (p / "bin" / "initdb").exists()),
                          key=lambda p: int(p.name) if p.name.isdigit() else 0, reverse=True)
        if versions:
            return versions[0] / "bin"
    return None


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class TempPostgres:
    """A running throw-away cluster; ``url(db)`` gives SQLAlchemy URLs for its databases."""

    def __init__(self, bin_dir: Path | None = None) -> None:
        found = bin_dir or find_bin_dir()
        if found is None:
            raise FileNotFoundError("未找到 PostgreSQL 程序（initdb/postgres）")
        self.bin_dir = found
        self.port = free_port()
        self._root = Path(tempfile.mkdtemp(prefix="yinling-pg-"))
        self.data = self._root / "data"
        self.socket_dir = self._root / "sock"
        self._process: subprocess.Popen[bytes] | None = None
        self._as_user: list[str] = []
        if os.geteuid() == 0:
            self._as_user = ["runuser", "-u", "nobody", "--"]
            os.chmod(self._root, 0o755)
        self.socket_dir.mkdir()
        if self._as_user:
            shutil.chown(self._root, "nobody")
            shutil.chown(self.socket_dir, "nobody")
        self._log = self._root / "postgres.log"

    def _run(self, *args: str) -> None:
        subprocess.run([*self._as_user, *args], check=True, capture_output=True)

    def start(self) -> TempPostgres:
        """initdb and start; wait until it accepts connections."""
        self._run(str(self.bin_dir / "initdb"), "-D", str(self.data), "-U", SUPERUSER,
                  "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync")
        log = open(self._log, "wb")  # noqa: SIM115 - owned by the process, closed in stop()
        self._logfile = log
        self._process = subprocess.Popen(
            [*self._as_user, str(self.bin_dir / "postgres"), "-D", str(self.data),
             "-p", str(self.port), "-h", "127.0.0.1", "-k", str(self.socket_dir),
             "-c", "fsync=off", "-c", "synchronous_commit=off",
             "-c", "full_page_writes=off", "-c", "max_connections=300",
             "-c", "shared_buffers=128MB"],
            stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while True:
            try:
                with psycopg.connect(self.dsn("postgres"), connect_timeout=2):
                    return self
            except psycopg.OperationalError:
                if self._process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("PostgreSQL 启动失败") from None
                time.sleep(0.1)

    def dsn(self, database: str) -> str:
        """A libpq connection string."""
        return f"host=127.0.0.1 port={self.port} user={SUPERUSER} dbname={database}"

    def url(self, database: str) -> str:
        """A SQLAlchemy URL (psycopg 3 driver)."""
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """Create an empty database; return its SQLAlchemy URL."""
        with psycopg.connect(self.dsn("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"'.encode())
        return self.url(name)

    def drop_database(self, name: str) -> None:
        """Drop a database (its disk space back at once: large benchmarks make several)."""
        with psycopg.connect(self.dsn("postgres"), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE "{name}"'.encode())

    def stop(self) -> None:
        """Stop the server (fast shutdown) and delete its folder."""
        if self._process is not None:
            if self._process.poll() is None:
                self._process.terminate()
                try:
                    self._process.wait(30)
                except subprocess.TimeoutExpired:
                    self._process.kill()
                    self._process.wait()
            self._process = None
            self._logfile.close()
        shutil.rmtree(self._root, ignore_errors=True)


@contextlib.contextmanager
def temp_postgres() -> Iterator[TempPostgres]:
    """A started cluster for the duration of the block."""
    cluster = TempPostgres().start()
    try:
        yield cluster
    finally:
        cluster.stop()
