"""``python -m server`` as a child process, and a client of its admin endpoints.

For tests, benchmarks and trial runs against a real server: uvicorn on 127.0.0.1 at a free
port (:func:`testkit.pgtemp.free_port`), its log kept in a file beside the data folder.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, text

from assessment.sync.client import tls_context
from server.db.cipher import database_key
from server.db.engine import make_engine
from testkit.pgtemp import free_port

ROOT = Path(__file__).resolve().parents[1]  # the folder holding the ``server`` package


class ServerProcess:
    """``python -m server`` on 127.0.0.1 at a free port, its log kept in a file."""

    def __init__(self, data_dir: Path, db_url: str = "", port: int | None = None,
                 extra_args: Sequence[str] = ()) -> None:
        self.data_dir = data_dir
        self.db_url = db_url
        self.port = port or free_port()
        self.extra_args = tuple(extra_args)
        self.log_path = data_dir.parent / f"server-{self.port}.log"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Base URL."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ServerProcess:
        """Start and wait until ``/health`` answers."""
        args = [sys.executable, "-m", "server", "--data-dir", str(self.data_dir),
                "--port", str(self.port)]
        if self.db_url:
            args += ["--db", self.db_url]
        args += self.extra_args
        with open(self.log_path, "ab") as log:
            self._process = subprocess.Popen(args, cwd=ROOT, stdout=log, stderr=log,
                                             env={**os.environ, "PYTHONUNBUFFERED": "1"})
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(self.url + "/health", timeout=2,
                             verify=tls_context()).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            if self._process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("服务器未能启动：\n" + self.log())
            time.sleep(0.1)

    @property
    def pid(self) -> int:
        """The process id of the running server."""
        assert self._process is not None, "server not running"
        return self._process.pid

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flushing."""
        if self._process is not None:
            self._process.send_signal(signal.SIGKILL)
            self._process.wait()
            self._process = None

    def stop(self) -> None:
        """Graceful stop (SIGTERM), SIGKILL if it hangs."""
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(30)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None

    def log(self) -> str:
        """Everything the server wrote to stdout and stderr."""
        return self.log_path.read_text(encoding="utf-8", errors="replace") \
            if self.log_path.exists() else ""

    def database_url(self) -> str:
        """The URL of the server's database (the SQLite file unless a URL was given)."""
        return self.db_url or f"sqlite:///{(self.data_dir / 'county.sqlite3').as_posix()}"

    def engine(self) -> Engine:
        """An engine on the server's database (the pilot's SQLite file is encrypted: keyed
        like the server keys it); the caller disposes of it."""
        key = None if self.db_url else database_key(self.data_dir)
        return make_engine(self.database_url(), key)

    def query(self, sql: str, **params: Any) -> list[tuple[Any, ...]]:
        """Rows of one SQL query on the server's database (read only, engine disposed)."""
        engine = self.engine()
        try:
            with engine.connect() as conn:
                return [tuple(row) for row in conn.execute(text(sql), params)]
        finally:
            engine.dispose()

    def scalar(self, sql: str, **params: Any) -> Any:
        """The single value of a query."""
        return self.query(sql, **params)[0][0]

    def rules_hash(self) -> str:
        """The scoring-rules hash the server grades under (``GET /county``)."""
        with httpx.Client(base_url=self.url, verify=tls_context()) as http:
            value: str = http.get("/county").json()["rules_hash"]
        return value

    def admin(self) -> Admin:
        """An admin client for this server."""
        token = (self.data_dir / "admin.token").read_text(encoding="ascii").strip()
        return Admin(self.url, token)


class Admin:
    """The county admin endpoints."""

    def __init__(self, url: str, token: str) -> None:
        self.url = url
        self.token = token

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """One admin request; raise on failure."""
        with httpx.Client(base_url=self.url, timeout=120, verify=tls_context()) as http:
            response = http.request(method, path, headers={"Authorization":
                                                           f"Bearer {self.token}"}, **kwargs)
        response.raise_for_status()
        return response.json()

    def setup_township(self, code: str, users: list[str]) -> None:
        """A township and its assessors."""
        self.call("POST", "/admin/townships", json={"code": code, "name": f"{code}镇"})
        for user in users:
            self.call("POST", "/admin/accounts",
                      json={"username": user, "display_name": f"评估员{user}",
                            "township": code})

    def code(self, username: str) -> str:
        """A one-time enrolment code."""
        code: str = self.call("POST", "/admin/enrolment-codes", json={"username": username})["code"]
        return code
