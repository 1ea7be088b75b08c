"""Scale-out: 50 simulated laptops against one server running 4 worker processes on PostgreSQL.

Real uvicorn with ``--workers 4`` on 127.0.0.1; bounded (50 devices × 20 changes). Asserted,
never timed: every record arrives at the county exactly once, every laptop has all its changes
acknowledged, and the county statistics every worker answers with follow what another worker
took in (each worker keeps its summary only as long as the database's data version is the
one it was computed for).
"""

from __future__ import annotations

import os
import random
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from assessment.ids import new_id
from assessment.scoring import Grader
from assessment.sync.client import SyncClient
from assessment.sync.enrolment import enrol_online
from assessment.wire.device import DeviceKeys
from testkit.local_outbox import LocalOutbox
from testkit.process import Admin, ServerProcess
from testkit.synthetic import assessment_payload, elder_payload

WORKERS = 4
TOWNSHIPS = 5
PER_TOWNSHIP = 10
VISITS = 10
STATS_CALLS = 16  # enough that every worker answers some (the kernel spreads connections)


def worker_pids(parent: int) -> set[int]:
    """The server's worker processes (children of the uvicorn supervisor)."""
    children: set[int] = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == parent:
                children.add(int(entry.name))
    return children


def elders_counted(admin: Admin) -> list[int]:
    """The county's elder total as :data:`STATS_CALLS` separate requests see it."""
    totals = []
    for _ in range(STATS_CALLS):
        answer: dict[str, Any] = admin.call("GET", "/admin/stats")
        totals.append(sum(int(row["elders"]) for row in answer["townships"]))
    return totals


def test_fifty_devices_against_four_workers_arrive_exactly_once(pg_url: str,
                                                               tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "county", pg_url,
                           extra_args=["--workers", str(WORKERS)]).start()
    try:
        assert len(worker_pids(server.pid)) >= WORKERS  # (uvicorn may add a helper process)
        admin = server.admin()
        rules = server.rules_hash()
        devices: list[tuple[str, DeviceKeys]] = []
        for t in range(TOWNSHIPS):
            users = [f"w{t}_{d}" for d in range(PER_TOWNSHIP)]
            admin.setup_township(f"wk{t}", users)
            for user in users:
                keys = DeviceKeys.generate()
                enrol_online(server.url, keys, admin.code(user), user)
                devices.append((f"wk{t}", keys))
        assert set(elders_counted(admin)) == {0}  # every worker has a summary kept now
        start = threading.Barrier(len(devices))

        def laptop(index: int) -> tuple[str, set[str], int]:
            township, keys = devices[index]
            rng, grader = random.Random(index), Grader()
            with LocalOutbox(tmp_path / f"w{index}.sqlite3", keys.device_id) as outbox:
                items = []
                for _ in range(VISITS):
                    elder_id = new_id()
                    items.append(("elder", elder_id, elder_payload(rng, f"{township}镇")))
                    items.append(("assessment", new_id(),
                                  assessment_payload(grader, rng, elder_id, rules_hash=rules)))
                outbox.record_many(items)
                start.wait()
                with SyncClient(server.url, keys, outbox, batch_size=5, retries=5,
                                backoff=0.2) as client:
                    client.push()
                    client.pull(limit=25)
                    client.push()  # nothing left: a second push sends nothing twice
                return keys.device_id, {r for _, r, _ in items}, outbox.sync_state().acked_seq

        with ThreadPoolExecutor(max_workers=len(devices)) as pool:
            results = list(pool.map(laptop, range(len(devices))))
        assert all(acked == 2 * VISITS for *_, acked in results)
        rows = server.query("SELECT device_id, seq FROM received_changes "
                            "WHERE record_type IN ('elder', 'assessment')")
        assert len(rows) == len(set(rows)) == len(devices) * 2 * VISITS
        per_device: dict[str, int] = {}
        for device_id, _ in rows:
            per_device[device_id] = per_device.get(device_id, 0) + 1
        assert per_device == {device_id: 2 * VISITS for device_id, _, _ in results}
        held = {str(r[0]) for r in server.query("SELECT record_id FROM record_heads")}
        assert held == set().union(*(own for _, own, _ in results))
        # Whichever worker answers, the statistics include what the others took in.
        assert set(elders_counted(admin)) == {len(devices) * VISITS}
    finally:
        server.stop()
    assert os.path.exists(server.log_path)
