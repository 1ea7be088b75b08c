"""Scale-out: 50 laptops pushing at once to one server with 4 worker processes on PostgreSQL.

* ``server_scale_push``: 50 enrolled laptops (5 townships × 10) each push ``size // 50``
  changes (elders and their assessments, batches of 100) at the same moment to ``python -m
  server --workers 4`` on a throw-away PostgreSQL cluster; the figure is records per second
  from the first request to the last acknowledgement. Floor: the same 50 laptops against the
  same server with one worker, in the same run (records per second too, so a ratio above 1 is
  what the extra workers give). Every record must arrive exactly once (counted on the server
  and compared with what the laptops sent, a failure otherwise), for both sides. Each side
  runs three times on a fresh database; the median is reported.

On a 2-core machine four workers cannot be much faster than one: the ratio shows what the
processes cost or give here, the exactly-once check is the point.
"""

from __future__ import annotations

import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from assessment.ids import new_id
from assessment.scoring import Grader
from assessment.sync.client import SyncClient
from assessment.sync.enrolment import enrol_online
from assessment.wire.device import DeviceKeys
from benchmarks.harness import MIN_RUNS, record
from testkit.local_outbox import LocalOutbox
from testkit.pgtemp import TempPostgres
from testkit.process import ServerProcess
from testkit.synthetic import assessment_payload, elder_payload

DEVICES = 50
TOWNSHIPS = 5


def _one_run(cluster: TempPostgres, work: Path, workers: int, size: int) -> tuple[float, float]:
    """Records per second of one run of all laptops against a fresh server and database,
    and the database's bytes per record afterwards (every table and index, less the empty
    schema's)."""
    url = cluster.create_database(f"scale_{workers}_{new_id()[-8:]}")
    folder = work / f"run-{workers}-{new_id()[-8:]}"
    folder.mkdir(parents=True)
    server = ServerProcess(folder / "county", url,
                           extra_args=["--workers", str(workers)]).start()
    empty = int(server.scalar("SELECT pg_database_size(current_database())"))
    per_device = max(2, size // DEVICES) // 2  # elder + assessment pairs
    try:
        admin = server.admin()
        rules = server.rules_hash()
        devices: list[tuple[str, DeviceKeys]] = []
        for t in range(TOWNSHIPS):
            users = [f"s{t}_{d}" for d in range(DEVICES // TOWNSHIPS)]
            admin.setup_township(f"sc{t}", users)
            for user in users:
                keys = DeviceKeys.generate()
                enrol_online(server.url, keys, admin.code(user), user)
                devices.append((f"sc{t}", keys))
        grader = Grader()
        for index, (township, keys) in enumerate(devices):
            rng = random.Random(index)
            with LocalOutbox(folder / f"l{index}.sqlite3", keys.device_id) as outbox:
                items = []
                for _ in range(per_device):
                    elder_id = new_id()
                    items.append(("elder", elder_id, elder_payload(rng, f"{township}镇")))
                    items.append(("assessment", new_id(),
                                  assessment_payload(grader, rng, elder_id, rules_hash=rules)))
                outbox.record_many(items)
        barrier = threading.Barrier(len(devices) + 1)

        def laptop(index: int) -> int:
            _, keys = devices[index]
            with LocalOutbox(folder / f"l{index}.sqlite3", keys.device_id) as outbox, \
                    SyncClient(server.url, keys, outbox, batch_size=100, retries=5,
                               backoff=0.2) as client:
                barrier.wait()
                client.push()
                return outbox.sync_state().acked_seq

        with ThreadPoolExecutor(max_workers=len(devices)) as pool:
            futures = [pool.submit(laptop, i) for i in range(len(devices))]
            barrier.wait()
            start = time.perf_counter()
            acked = [f.result() for f in futures]
            elapsed = time.perf_counter() - start
        sent = len(devices) * per_device * 2
        rows = server.query("SELECT device_id, seq FROM received_changes "
                            "WHERE record_type IN ('elder', 'assessment')")
        if acked != [per_device * 2] * len(devices) or len(rows) != sent \
                or len(set(rows)) != sent:
            raise RuntimeError(f"not exactly once: sent {sent}, held {len(rows)}, "
                               f"distinct {len(set(rows))}")
        used = int(server.scalar("SELECT pg_database_size(current_database())")) - empty
        return sent / elapsed, used / sent
    except Exception:
        print(server.log()[-4000:], file=sys.stderr)  # what the server said, for the report
        raise
    finally:
        server.stop()


def run(size: int = 20_000) -> list[dict[str, object]]:
    """``size`` records in all (elders and assessments), spread over 50 laptops."""
    work = Path(tempfile.mkdtemp(prefix="yinling-scale-"))
    cluster = TempPostgres().start()
    try:
        four: list[float] = []
        one: list[float] = []
        sizes: list[float] = []
        for _ in range(MIN_RUNS):  # interleaved, so both sides see the same load
            rate, per_record = _one_run(cluster, work, 4, size)
            four.append(rate)
            sizes.append(per_record)
            one.append(_one_run(cluster, work, 1, size)[0])
    finally:
        cluster.stop()
        shutil.rmtree(work, ignore_errors=True)
    figure, floor = statistics.median(four), statistics.median(one)
    return [record("server_scale_push", figure, "records/s", floor,
                   "每条记录恰好到达一次；4 个进程不慢于 1 个（比值 ≥ 1）", devices=DEVICES,
                   workers=4, records=size, runs_4=[round(x) for x in four],
                   runs_1=[round(x) for x in one],
                   pg_bytes_per_record=round(statistics.median(sizes)))]


if __name__ == "__main__":
    import json

    for line in run(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000):
        print(json.dumps(line, ensure_ascii=False))
