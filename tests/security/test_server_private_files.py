"""Attack: reading the county's files as another user (issue: security, item 6, county side).

Against a real uvicorn server on SQLite: before the fix ``county.sqlite3`` was 0644 in a 0755
folder, with every ID number and name in plain text. Now the folder is 0700, every file in it
0600, the database (and its WAL) is SQLCipher-encrypted with a key from a 0600 file or the
environment, a plain database from before is encrypted at the next start, and looser modes
found at start are reported in the log.
"""

from __future__ import annotations

import os
import random
import stat
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import text

from server.datafolder import loose_entries
from server.db.cipher import KEY_ENV, KEY_FILE, is_plain
from server.db.engine import make_engine, upgrade
from testkit.process import ServerProcess
from testkit.synthetic import elder_payload
from tests.server.support import Laptop

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _push_an_elder(server: ServerProcess, tmp: Path) -> dict[str, object]:
    admin = server.admin()
    tag = uuid.uuid4().hex[:8]
    admin.setup_township(f"t{tag}", [f"u{tag}"])
    laptop = Laptop.enrol(tmp / "laptop", server.url, admin.code(f"u{tag}"))
    profile = elder_payload(random.Random(11))
    laptop.outbox.record("elder", uuid.uuid4().hex, profile)
    with laptop.client() as client:
        assert client.push().applied == 1
    laptop.close()
    return profile


def test_the_data_folder_is_private_and_the_database_encrypted(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "county").start()
    try:
        profile = _push_an_elder(server, tmp_path)
        folder = server.data_dir
        assert _mode(folder) == 0o700
        files = [p for p in folder.iterdir() if p.is_file()]
        assert {p.name for p in files} >= {"county.sqlite3", KEY_FILE, "admin.token"}
        assert {p.name: _mode(p) for p in files} == {p.name: 0o600 for p in files}
        stored = b"".join(p.read_bytes() for p in files if p.name.startswith("county.sqlite3"))
        for value in (profile["id_number"], profile["name"]):
            assert str(value).encode() not in stored
        assert not is_plain(folder / "county.sqlite3")
        assert server.scalar("SELECT COUNT(*) FROM record_heads") == 1  # keyed, it reads
        assert "权限过宽" not in server.log()
    finally:
        server.stop()


def test_a_plain_database_is_encrypted_at_start_and_loose_modes_are_reported(
        tmp_path: Path) -> None:
    folder = tmp_path / "county"
    folder.mkdir(mode=0o755)
    os.chmod(folder, 0o755)
    plain = make_engine(f"sqlite:///{folder / 'county.sqlite3'}")
    upgrade(plain)
    with plain.begin() as conn:
        conn.execute(text("INSERT INTO townships (code, name, created_at) "
                          "VALUES ('old', '旧镇', CURRENT_TIMESTAMP)"))
    plain.dispose()
    os.chmod(folder / "county.sqlite3", 0o644)
    assert is_plain(folder / "county.sqlite3")
    server = ServerProcess(folder).start()
    try:
        assert not is_plain(folder / "county.sqlite3")
        assert server.scalar("SELECT name FROM townships WHERE code = 'old'") == "旧镇"
        log = server.log()
        assert "数据目录权限过宽" in log
        assert f"chmod 700 '{folder}'" in log
    finally:
        server.stop()


def test_the_key_may_come_from_the_environment(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, "ab" * 32)
    server = ServerProcess(tmp_path / "county").start()
    try:
        _push_an_elder(server, tmp_path)
        assert not (server.data_dir / KEY_FILE).exists()
        assert server.scalar("SELECT COUNT(*) FROM record_heads") == 1
    finally:
        server.stop()
    monkeypatch.setenv(KEY_ENV, "cd" * 32)  # the wrong key opens nothing
    with pytest.raises(RuntimeError, match="服务器未能启动"):
        ServerProcess(tmp_path / "county").start()


def test_uploads_waiting_in_the_data_folder_are_checked_too(tmp_path: Path) -> None:
    folder = tmp_path / "county"
    uploads = folder / "uploads"
    uploads.mkdir(parents=True)
    os.chmod(folder, 0o700)
    os.chmod(uploads, 0o755)
    waiting = uploads / "upload-1.part"
    waiting.write_bytes(b"YINLINGB")
    os.chmod(waiting, 0o644)
    assert {(entry.name, mode) for entry, mode in loose_entries(folder)} == {
        ("uploads", 0o755), ("upload-1.part", 0o644)}
