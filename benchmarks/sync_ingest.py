"""County ingest: 10,000 finalized assessments pushed over loopback HTTP into PostgreSQL.

Workloads (one JSON line each):

* ``sync_push_ingest``: a laptop pushes ``size`` finalized assessments (batches of 1,000) to
  a real ``python -m server`` on a throw-away PostgreSQL cluster; the server verifies every
  hash and the chain, grades every assessment again and writes the change and the record
  head. Three laptops push their own ``size`` each; the median is reported. Floor: ``COPY`` of
  the same rows (the ``received_changes`` and ``record_heads`` rows the server wrote for the
  first laptop) in one transaction into a fresh database on the same cluster, as the
  server's ingest streams them; median of three. Goal: ratio ≤ 3.
* ``sync_push_repeat``: pushing the same changes again (a laptop that lost every
  acknowledgement: the client learns what the county holds and sends nothing it holds).
  Floor: the first push. Goal: ratio ≤ 0.2.
* ``sync_push_resend``: the same changes sent again in full, batch by batch (what the county
  answers when a laptop does re-send: one indexed lookup per batch, nothing parsed). Floor:
  the first push. Goal: ratio ≤ 0.2.
* ``sync_bundle_roundtrip``: a demo township of ``10 × size`` elders (100,000 at full size,
  with their assessments, in a real laptop store) exported to one bundle (seal and sign) and
  imported on the county (verify, decrypt, apply, sign the receipt), in records per second;
  median of three round trips, each into a fresh database. Goal: ≥ 5,000 records/s.

Alone: ``python -m benchmarks.sync_ingest [SIZE] [--bundle-only]``.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select

from assessment.ids import new_id
from assessment.scoring import Grader
from assessment.sync.client import SyncClient
from assessment.sync.enrolment import enrol_online
from assessment.wire.bundle import export_bundle
from assessment.wire.changes import CHANGE_LINES, change_lines
from assessment.wire.device import DeviceKeys
from assessment.wire.enrolment import build_request
from assessment.wire.outbox import pending_wire
from benchmarks.harness import MIN_RUNS, record
from server import county
from server.bundles import import_bundle
from server.config import Settings
from server.context import ServerContext
from server.db.engine import make_engine, upgrade
from server.db.tables import accounts, devices, received_changes, record_heads, townships
from server.enrolment import enrol
from testkit.local_outbox import LocalOutbox
from testkit.pgtemp import TempPostgres
from testkit.process import ServerProcess
from testkit.synthetic import assessment_payload


def _fill(outbox: LocalOutbox, size: int, rules_hash: str) -> None:
    rng, grader = random.Random(42), Grader()
    elder_ids = [new_id() for _ in range(max(size // 4, 1))]
    outbox.record_many(("assessment", new_id(),
                        assessment_payload(grader, rng, rng.choice(elder_ids),
                                           rules_hash=rules_hash))
                       for _ in range(size))


def _copy_rows(raw: Any, table: Any, rows: list[dict[str, Any]]) -> None:
    """``COPY table FROM STDIN`` of ``rows`` through psycopg (JSON values as their text)."""
    if not rows:
        return
    columns = list(rows[0])
    sql = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
    with raw.cursor() as cursor, cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row([json.dumps(v, ensure_ascii=False) if isinstance(v, (dict, list))
                            else v for v in row.values()])


def _floor(cluster: TempPostgres, source_url: str, device_id: str) -> float:
    """``COPY`` the rows the server wrote (changes and heads) into a fresh database, in one
    transaction, as the server's own ingest streams them; the median of
    :data:`~benchmarks.harness.MIN_RUNS` runs, each into a new database."""
    source = make_engine(source_url)
    try:
        with source.connect() as conn:
            changes = [dict(r) for r in conn.execute(
                select(received_changes).where(received_changes.c.device_id == device_id)
            ).mappings()]
            heads = [dict(r) for r in conn.execute(
                select(record_heads).where(record_heads.c.device_id == device_id)).mappings()]
            device = dict(conn.execute(select(devices).where(
                devices.c.device_id == device_id)).mappings().one())
            township = dict(conn.execute(select(townships)).mappings().first() or {})
            account = dict(conn.execute(select(accounts).where(
                accounts.c.id == device["account_id"])).mappings().one())
    finally:
        source.dispose()
    for row in changes:
        row.pop("id")
    times = []
    for _ in range(MIN_RUNS):
        target = make_engine(cluster.create_database(f"floor_{uuid.uuid4().hex[:8]}"))
        try:
            upgrade(target)
            with target.begin() as conn:
                conn.execute(insert(townships), [township])
                conn.execute(insert(accounts), [account])
                conn.execute(insert(devices), [device])
            with target.connect() as conn:
                raw = conn.connection.driver_connection
                assert raw is not None
                start = time.perf_counter()
                with raw.transaction():
                    _copy_rows(raw, received_changes, changes)
                    _copy_rows(raw, record_heads, heads)
                times.append(time.perf_counter() - start)
        finally:
            target.dispose()
    return statistics.median(times)


def _resend(client: SyncClient, outbox: LocalOutbox, batch: int) -> int:
    """Send every change again as push batches, whatever the county holds; the duplicates
    the county counted."""
    after, duplicates = 0, 0
    while changes := pending_wire(outbox, after, batch):
        answer = client.request("POST", "/sync/push", content=change_lines(changes),
                                content_type=CHANGE_LINES)
        duplicates += int(answer["duplicates"])
        after = changes[-1].seq
    return duplicates


def run(size: int = 10_000) -> list[dict[str, object]]:
    """Run the three workloads; return their benchmark lines."""
    work = Path(tempfile.mkdtemp(prefix="yinling-bench-"))
    cluster = TempPostgres().start()
    lines: list[dict[str, object]] = []
    try:
        url = cluster.create_database("ingest")
        server = ServerProcess(work / "county", url).start()
        try:
            admin = server.admin()
            users = [f"bench{i}" for i in range(MIN_RUNS)]
            admin.setup_township("bench", users)
            # Three laptops, each pushing its own ``size`` changes for the first time: the
            # figure is the median of the three first pushes.
            laptops = []
            for user in users:
                device = DeviceKeys.generate()
                enrol_online(server.url, device, admin.code(user), user)
                path = work / f"outbox-{user}.sqlite3"
                with LocalOutbox(path, device.device_id) as outbox:
                    _fill(outbox, size, server.rules_hash())
                laptops.append((device, path))
            keys, outbox_path = laptops[0]
            shutil.copy(outbox_path, work / "copy.sqlite3")
            shutil.copy(outbox_path, work / "resend.sqlite3")
            pushes = []
            for device, path in laptops:
                with LocalOutbox(path, device.device_id) as outbox, \
                        SyncClient(server.url, device, outbox, batch_size=1000) as client:
                    start = time.perf_counter()
                    pushed = client.push()
                    pushes.append(time.perf_counter() - start)
                assert pushed.applied == size, pushed
            first = statistics.median(pushes)
            with LocalOutbox(work / "copy.sqlite3", keys.device_id) as outbox, \
                    SyncClient(server.url, keys, outbox, batch_size=1000) as client:
                start = time.perf_counter()
                again = client.push()
                repeat = time.perf_counter() - start
            assert (again.already_held, again.sent, again.applied) == (size, 0, 0), again
            with LocalOutbox(work / "resend.sqlite3", keys.device_id) as outbox, \
                    SyncClient(server.url, keys, outbox, batch_size=1000) as client:
                start = time.perf_counter()
                duplicates = _resend(client, outbox, 1000)
                resend = time.perf_counter() - start
            assert duplicates == size, duplicates
        finally:
            server.stop()
        floor = _floor(cluster, url, keys.device_id)
        lines.append(record("sync_push_ingest", first, "s", floor, "ratio <= 3", size=size,
                            records_per_s=round(size / first)))
        lines.append(record("sync_push_repeat", repeat, "s", first, "ratio <= 0.2", size=size))
        lines.append(record("sync_push_resend", resend, "s", first, "ratio <= 0.2", size=size))
        lines.append(_bundle(cluster, work, size))
    finally:
        cluster.stop()
        shutil.rmtree(work, ignore_errors=True)
    return lines


def _bundle(cluster: TempPostgres, work: Path, size: int) -> dict[str, object]:
    """Export a demo township's changes (``10 × size`` elders: 100,000 at full size, with
    their assessments) from a real laptop store as one bundle and import it on a county
    enrolled with that laptop's keys; three round trips, each into a fresh database."""
    from assessment.records.demo import DEMO_PASSWORD, DEMO_SUPERVISOR
    from assessment.records.workspace import Workspace
    from benchmarks.gui_startup import demo_database

    elders = size * 10
    laptop = work / "demo-laptop"
    shutil.copytree(demo_database(elders), laptop)  # the cached demo stays untouched
    ws = Workspace.open(laptop, DEMO_SUPERVISOR, DEMO_PASSWORD)
    try:
        keys = ws.device_keys()
        times, records, path = [], 0, work / "demo.ylb"
        for run_no in range(MIN_RUNS):
            ctx = ServerContext.open(Settings(data_dir=work / f"county-b{run_no}",
                                              db_url=cluster.create_database(
                                                  f"b{run_no}_{uuid.uuid4().hex[:6]}")))
            try:
                with ctx.engine.begin() as conn:
                    county.add_township(conn, "t1", "示范镇", "bench")
                    county.add_account(conn, "pinggu", "评估员", "t1", "bench")
                    code = county.new_enrolment_code(conn, "pinggu", "bench")
                    enrol(conn, build_request(keys, code, "演示笔记本"), ctx.keys, "bench")
                start = time.perf_counter()
                manifest = export_bundle(ws.outbox, keys, ctx.keys.box.public_key(), path)
                outcome = import_bundle(ctx, path, "bench")
                times.append(time.perf_counter() - start)
            finally:
                ctx.close()
            assert manifest is not None
            records = manifest.count
            assert outcome.result.applied + outcome.result.quarantined == records, outcome
    finally:
        ws.close()
    elapsed = statistics.median(times)
    info: dict[str, Any] = {"records": records, "elders": elders, "seconds": round(elapsed, 3),
                            "bundle_bytes": path.stat().st_size, "data": "demo"}
    return record("sync_bundle_roundtrip", records / elapsed, "records/s", None,
                  ">= 5000 records/s", **info)


def run_bundle(size: int = 10_000) -> list[dict[str, object]]:
    """Only ``sync_bundle_roundtrip`` (quicker iterations on the bundle path)."""
    work = Path(tempfile.mkdtemp(prefix="yinling-bench-"))
    cluster = TempPostgres().start()
    try:
        return [_bundle(cluster, work, size)]
    finally:
        cluster.stop()
        shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    """``python -m benchmarks.sync_ingest [SIZE] [--bundle-only]``: JSON lines."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.sync_ingest")
    parser.add_argument("size", nargs="?", type=int, default=10_000, help="assessments")
    parser.add_argument("--bundle-only", action="store_true",
                        help="only sync_bundle_roundtrip")
    args = parser.parse_args(argv)
    for line in (run_bundle if args.bundle_only else run)(args.size):
        print(json.dumps(line, ensure_ascii=False), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
