"""Attack: memory before authentication (issue: security, item 3).

48 concurrent 31 MB pushes that can never be accepted, against a real uvicorn subprocess: half
carry no signature at all, half name an enrolled device with a fresh timestamp and nonce but a
forged signature (so they pass every check that needs no body). Before the fix the county read
every body before checking anything and grew from about 190 MB to 2 GB, and stayed there. Now
the first half is refused from the headers alone and the second reads its bodies a few at a
time: the server's peak resident size (``VmHWM``) stays under 300 MB and it comes back near
where it started. A bound, not a timing: the figures are read from ``/proc``.

Also refused before any body is read: a timestamp of 4,301 digits or with ``²`` (a 401 with a
message naming the header, where it was a 500), a declared length over the limit of small
endpoints.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from assessment.wire.requestsig import (
    HEADER_DEVICE,
    HEADER_NONCE,
    HEADER_SIGNATURE,
    HEADER_TIMESTAMP,
    sign_request,
)
from testkit.process import ServerProcess
from tests.server.support import Laptop

ATTACKERS = 48
BODY_MB = 31
PEAK_BOUND_MB = 300
BACK_NEAR_MB = 60


def _status_mb(pid: int, field: str) -> float:
    """One ``kB`` field of ``/proc/<pid>/status`` in MB."""
    for line in Path(f"/proc/{pid}/status").read_text(encoding="ascii").splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"{field} missing")


def _body() -> Iterator[bytes]:
    chunk = b"x" * (1024 * 1024)
    for _ in range(BODY_MB):
        yield chunk


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    """A server of its own (its memory is what the test measures)."""
    process = ServerProcess(tmp_path / "county").start()
    yield process
    process.stop()


def _push(url: str, headers: dict[str, str], outcomes: list[object]) -> None:
    try:
        with httpx.Client(base_url=url, timeout=120) as http:
            response = http.post("/sync/push", content=_body(), headers={
                **headers, "Content-Length": str(BODY_MB * 1024 * 1024)})
        outcomes.append(response.status_code)
    except httpx.TransportError as exc:  # refused and closed while the body was being sent
        outcomes.append(type(exc).__name__)


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc (Linux)")
def test_large_bodies_that_cannot_be_accepted_cost_no_memory(server: ServerProcess,
                                                             tmp_path: Path) -> None:
    admin = server.admin()
    tag = uuid.uuid4().hex[:8]
    admin.setup_township(f"t{tag}", [f"u{tag}"])
    laptop = Laptop.enrol(tmp_path / "laptop", server.url, admin.code(f"u{tag}"))
    device_id = laptop.keys.device_id
    baseline = _status_mb(server.pid, "VmRSS")
    print(f"server peak before the attack: {_status_mb(server.pid, 'VmHWM'):.0f} MB")

    outcomes: list[object] = []
    forged: list[dict[str, str]] = [{HEADER_DEVICE: device_id, HEADER_TIMESTAMP: str(stamp_ms()),
               HEADER_NONCE: os.urandom(16).hex(), HEADER_SIGNATURE: "A" * 86 + "=="}
              for _ in range(ATTACKERS // 2)]
    threads = [threading.Thread(target=_push, args=(server.url, headers, outcomes))
               for headers in [*([{}] * (ATTACKERS // 2)), *forged]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    peak = _status_mb(server.pid, "VmHWM")
    after = _status_mb(server.pid, "VmRSS")
    print(f"server RSS: baseline {baseline:.0f} MB, peak {peak:.0f} MB, after {after:.0f} MB")
    assert len(outcomes) == ATTACKERS
    assert not [o for o in outcomes if (isinstance(o, int) and o < 400) or o == 500], outcomes
    assert peak < PEAK_BOUND_MB, f"peak {peak:.0f} MB (baseline {baseline:.0f} MB)"
    assert after < baseline + BACK_NEAR_MB, f"after {after:.0f} MB (baseline {baseline:.0f})"
    # The server still serves its devices.
    laptop.outbox.record_many([("elder", uuid.uuid4().hex, {"name": "张三"})])
    with laptop.client() as client:
        assert client.push().applied == 1
    laptop.close()


def stamp_ms() -> int:
    """Now, in milliseconds (the request timestamp format)."""
    import time

    return time.time_ns() // 1_000_000


# "²" travels as its Latin-1 byte 0xB2, which the server decodes back to "²".
@pytest.mark.parametrize("stamp", [b"9" * 4301, "²".encode("latin-1") * 3, b"1" * 16])
def test_malformed_timestamps_are_refused_naming_the_header(shared_server: ServerProcess,
                                                            tmp_path: Path,
                                                            stamp: bytes) -> None:
    admin = shared_server.admin()
    tag = uuid.uuid4().hex[:8]
    admin.setup_township(f"t{tag}", [f"u{tag}"])
    laptop = Laptop.enrol(tmp_path / "laptop", shared_server.url, admin.code(f"u{tag}"))
    headers = {name.encode("ascii"): value.encode("ascii") for name, value in sign_request(
        laptop.keys.device_id, laptop.keys.sign_key, "GET", "/sync/state", b"").items()}
    headers[HEADER_TIMESTAMP.encode("ascii")] = stamp
    with httpx.Client(base_url=shared_server.url, timeout=60) as http:
        answer = http.get("/sync/state", headers=headers)
        assert answer.status_code == 401, answer.text
        assert HEADER_TIMESTAMP in answer.json()["detail"]
        # A small endpoint refuses a large declared body before reading it.
        signed = sign_request(laptop.keys.device_id, laptop.keys.sign_key, "GET",
                              "/sync/state", b"")
        big = http.request("GET", "/sync/state", content=b"x" * (64 * 1024), headers=signed)
        assert big.status_code == 413, big.text
    laptop.close()
