"""Load: 50 simulated laptops push and pull concurrently against one server on PostgreSQL.

Bounded (50 devices × 30 changes, loopback only); correctness is asserted, never time: every
record arrives at the county exactly once and at every other laptop of its township exactly
once.
"""

from __future__ import annotations

import random
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from assessment.ids import new_id
from assessment.scoring import Grader
from assessment.sync.client import SyncClient
from assessment.sync.enrolment import enrol_online
from assessment.wire.device import DeviceKeys
from testkit.local_outbox import LocalOutbox
from testkit.synthetic import assessment_payload, elder_payload
from tests.server.conftest import ServerFactory

TOWNSHIPS = 5
PER_TOWNSHIP = 10
VISITS = 15


def test_fifty_devices_push_and_pull_concurrently(start_server: ServerFactory, pg_url: str,
                                                  tmp_path: Path) -> None:
    server = start_server(pg_url)
    admin = server.admin()
    rules = server.rules_hash()
    devices: list[tuple[str, DeviceKeys]] = []
    for t in range(TOWNSHIPS):
        users = [f"u{t}_{d}" for d in range(PER_TOWNSHIP)]
        admin.setup_township(f"load{t}", users)
        for user in users:
            keys = DeviceKeys.generate()
            enrol_online(server.url, keys, admin.code(user), user)
            devices.append((f"load{t}", keys))
    start = threading.Barrier(len(devices))

    def laptop(index: int) -> tuple[str, str, set[str], int]:
        township, keys = devices[index]
        rng, grader = random.Random(index), Grader()
        with LocalOutbox(tmp_path / f"l{index}.sqlite3", keys.device_id) as outbox:
            items = []
            for _ in range(VISITS):
                elder_id = new_id()
                items.append(("elder", elder_id, elder_payload(rng)))
                items.append(("assessment", new_id(),
                              assessment_payload(grader, rng, elder_id, rules_hash=rules)))
            outbox.record_many(items)
            own = {record_id for _, record_id, _ in items}
            start.wait()
            with SyncClient(server.url, keys, outbox, batch_size=10, retries=5,
                            backoff=0.2) as client:
                client.push()
                client.pull(limit=25)
            return township, keys.device_id, own, outbox.sync_state().acked_seq

    with ThreadPoolExecutor(max_workers=len(devices)) as pool:
        results = list(pool.map(laptop, range(len(devices))))
    assert all(acked == 2 * VISITS for *_, acked in results)
    rows = server.query("SELECT device_id, seq FROM received_changes")
    assert len(rows) == len(set(rows)) == len(devices) * 2 * VISITS
    heads = server.scalar("SELECT COUNT(*) FROM record_heads")
    assert heads == len(devices) * 2 * VISITS

    # Everyone pulls again (changes pushed after their first pull), then compare.
    def final_pull(index: int) -> set[str]:
        _, keys = devices[index]
        with LocalOutbox(tmp_path / f"l{index}.sqlite3", keys.device_id) as outbox:
            with SyncClient(server.url, keys, outbox, retries=5, backoff=0.2) as client:
                client.pull(limit=100)
            assert outbox.incoming_count() == (PER_TOWNSHIP - 1) * 2 * VISITS
            return set(outbox.record_ids("elder")) | set(outbox.record_ids("assessment"))

    with ThreadPoolExecutor(max_workers=len(devices)) as pool:
        seen = list(pool.map(final_pull, range(len(devices))))
    for index, (township, _, _, _) in enumerate(results):
        expected = set().union(*(own for t, _, own, _ in results if t == township))
        assert seen[index] == expected  # exactly its township's records, its own included
