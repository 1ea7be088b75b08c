"""Attack: a large bundle uploaded over HTTP costs the county its size in memory.

Before the fix both upload paths (the admin API's ``POST /admin/bundles`` and the page's
multipart form) read the whole bundle into memory, and the API copied it once more: a bundle
of 300 MB raised the server's peak resident size (``VmHWM``) by 300–600 MB, so a few uploads
near the 512 MB limit ran it out of memory. Now the body streams to a private file in the data
folder (``uploads``, 0600) and the import reads it from there as the command line does: the
peak grows by a few tens of MB whatever the size, and the file is gone afterwards.

The bundle is a real bundle's head (an enrolled laptop's manifest) followed by 300 MB of
frames and a forged signature: the county reads every byte (the signature pass hashes the
whole file) before it refuses the bundle, with nothing written. A bound, not a timing: the
figures are read from ``/proc``. A real bundle through the page afterwards still imports.
"""

from __future__ import annotations

import os
import re
import struct
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from assessment.wire.bundle import export_bundle
from assessment.wire.bundle_manifest import HEAD, MAGIC
from server.config import Settings
from server.context import ServerContext
from server.upload_spool import STALE_S, uploads_dir
from testkit.process import ServerProcess
from tests.security.test_server_body_memory import _status_mb
from tests.server.support import Laptop
from tests.server.test_pages import UI, sign_in

BUNDLE_MB = 300
FRAME_MB = 50
GROWTH_BOUND_MB = 100
BOUNDARY = "yinling-upload-boundary"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    """A server of its own (its memory is what the test measures), bundles up to 400 MB."""
    process = ServerProcess(tmp_path / "county", extra_args=["--max-bundle-mb", "400"]).start()
    yield process
    process.stop()


def _forged(head: bytes) -> tuple[int, Iterator[bytes]]:
    """A bundle of ``BUNDLE_MB`` MB: ``head``, frames of random bytes (the last one final),
    a signature of zeros; its size and its chunks."""
    frame_bytes = FRAME_MB * 1024 * 1024
    frames = BUNDLE_MB // FRAME_MB
    size = len(head) + frames * (struct.calcsize(">BI") + frame_bytes) + 64
    block = os.urandom(1024 * 1024)

    def chunks() -> Iterator[bytes]:
        yield head
        for index in range(frames):
            yield struct.pack(">BI", 1 if index == frames - 1 else 0, frame_bytes)
            for _ in range(FRAME_MB):
                yield block
        yield bytes(64)

    return size, chunks()


def _multipart(csrf: str, size: int, chunks: Iterator[bytes]) -> tuple[int, Iterator[bytes]]:
    """A multipart form (the CSRF field and the file) around ``chunks``, streamed."""
    before = (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n"
              f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"bundle\"; "
              f"filename=\"big.ylb\"\r\nContent-Type: application/octet-stream\r\n\r\n"
              ).encode("ascii")
    after = f"\r\n--{BOUNDARY}--\r\n".encode("ascii")

    def body() -> Iterator[bytes]:
        yield before
        yield from chunks
        yield after

    return len(before) + size + len(after), body()


def _head(bundle: bytes) -> bytes:
    (length,) = HEAD.unpack_from(bundle, len(MAGIC))
    return bundle[:len(MAGIC) + HEAD.size + length]


def _left_nothing(server: ServerProcess, baseline: float, uploads: Path) -> None:
    """After a refused upload: the server's peak grew by less than the bound, and no file
    waits in the uploads folder."""
    peak = _status_mb(server.pid, "VmHWM")
    assert peak - baseline < GROWTH_BOUND_MB, (baseline, peak)
    assert list(uploads.iterdir()) == []


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc (Linux)")
def test_large_uploads_stream_to_a_private_file(server: ServerProcess, tmp_path: Path) -> None:
    admin = server.admin()
    tag = uuid.uuid4().hex[:8]
    admin.setup_township(f"t{tag}", [f"u{tag}"])
    laptop = Laptop.enrol(tmp_path / "laptop", server.url, admin.code(f"u{tag}"))
    laptop.outbox.record_many([("elder", uuid.uuid4().hex, {"name": "张三"})])
    path = tmp_path / "real.ylb"
    manifest = export_bundle(laptop.outbox, laptop.keys, laptop.link.county_box_key(), path)
    assert manifest is not None
    real = path.read_bytes()
    uploads = server.data_dir / "uploads"

    def held() -> int:
        return int(server.scalar("SELECT COUNT(*) FROM received_changes"))

    with httpx.Client(base_url=server.url, headers={"Origin": server.url},
                      timeout=300) as browser:
        csrf = sign_in(browser, server)
        baseline = _status_mb(server.pid, "VmHWM")

        size, chunks = _forged(_head(real))
        answer = httpx.post(f"{server.url}/admin/bundles", content=chunks, timeout=300,
                            headers={"Authorization": f"Bearer {admin.token}",
                                     "Content-Length": str(size)})
        assert answer.status_code == 400, answer.text
        assert "签名无效" in answer.text
        _left_nothing(server, baseline, uploads)

        size, chunks = _forged(_head(real))
        length, body = _multipart(csrf, size, chunks)
        refused = browser.post(f"{UI}/bundles", content=body, headers={
            "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
            "Content-Length": str(length)})
        assert refused.status_code == 400, refused.text
        assert "数据包未导入" in refused.text
        _left_nothing(server, baseline, uploads)
        if os.name == "posix":
            assert uploads.stat().st_mode & 0o777 == 0o700
        assert held() == 0

        done = browser.post(f"{UI}/bundles", data={"csrf": csrf},
                            files={"bundle": ("real.ylb", real)})
        assert done.status_code == 200, done.text
        assert re.search(r"新增 1 条", done.text)
        assert held() == 1
        assert list(uploads.iterdir()) == []
    laptop.close()


def test_an_upload_left_by_a_stopped_server_is_removed_at_start(tmp_path: Path) -> None:
    """A server killed in the middle of an upload leaves its file; the next start removes
    it once it is old (an upload younger than that may be another worker's, in progress)."""
    data_dir = tmp_path / "county"
    folder = uploads_dir(data_dir)
    old, recent = folder / "upload-old.part", folder / "upload-recent.part"
    old.write_bytes(b"x" * 1024)
    recent.write_bytes(b"y" * 1024)
    stale = time.time() - 2 * STALE_S
    os.utime(old, (stale, stale))
    ServerContext.open(Settings(data_dir=data_dir)).close()
    assert not old.exists()
    assert recent.exists()
