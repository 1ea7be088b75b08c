"""Pushes broken by lost connections or a SIGKILLed server resume with no loss and no
duplicate, on SQLite and PostgreSQL."""

from __future__ import annotations

import random
import shutil
import threading
import time
from pathlib import Path

import pytest

from assessment.ids import new_id
from assessment.scoring import Grader
from assessment.sync.client import SyncClient, SyncError
from testkit.local_outbox import LocalOutbox
from testkit.process import ServerProcess
from testkit.synthetic import assessment_payload, elder_payload
from tests.server.conftest import ServerFactory
from tests.server.proxy import CuttingProxy
from tests.server.support import Laptop


def record(laptop: Laptop, visits: int, rules_hash: str) -> None:
    """``visits`` elders with one finalized assessment each."""
    rng, grader = random.Random(len(laptop.keys.device_id) + visits), Grader()
    items = []
    for _ in range(visits):
        elder_id = new_id()
        items.append(("elder", elder_id, elder_payload(rng)))
        items.append(("assessment", new_id(),
                      assessment_payload(grader, rng, elder_id, rules_hash=rules_hash)))
    laptop.outbox.record_many(items)


def exactly_once(server: ServerProcess, laptop: Laptop, total: int) -> None:
    """Every change of the laptop is held once, and acknowledged."""
    device = laptop.keys.device_id
    rows = server.query("SELECT seq FROM received_changes WHERE device_id = :d ORDER BY seq",
                        d=device)
    assert [r[0] for r in rows] == list(range(1, total + 1))
    heads = server.scalar("SELECT COUNT(*) FROM record_heads WHERE device_id = :d", d=device)
    assert heads == total
    assert server.scalar("SELECT acked_seq FROM devices WHERE device_id = :d", d=device) == total
    assert laptop.outbox.sync_state().acked_seq == total


def enrolled(server: ServerProcess, tmp: Path, tag: str) -> Laptop:
    """A laptop in a fresh township."""
    admin = server.admin()
    admin.setup_township(f"t{tag}", [f"u{tag}"])
    return Laptop.enrol(tmp / tag, server.url, admin.code(f"u{tag}"))


@pytest.mark.parametrize("mode", ["request", "response"])
def test_push_resumes_after_the_connection_drops_mid_batch(
        shared_server: ServerProcess, tmp_path: Path, mode: str) -> None:
    laptop = enrolled(shared_server, tmp_path, f"{mode[:3]}{new_id()[-6:]}")
    record(laptop, 100, shared_server.rules_hash())
    first_batch = len(str([c.to_json() for c in laptop.outbox.pending_changes(0, 40)]))
    proxy = CuttingProxy(shared_server.port, mode, first_batch * 3 // 2)
    with laptop.client(proxy.url, batch_size=40, retries=0) as client, \
            pytest.raises(SyncError, match="无法连接"):
        client.push()
    assert proxy.cut_done.is_set()
    acked = laptop.outbox.sync_state().acked_seq
    assert acked == 40  # the first batch was confirmed, the second broken
    with laptop.client(proxy.url, batch_size=40) as client:  # resume through the same proxy
        report = client.push()
    assert report.acked_seq == 200
    if mode == "response":
        # The batch applied before its answer was lost: learned from the county, not re-sent.
        assert (report.already_held, report.duplicates) == (40, 0)
    else:
        assert report.already_held == 0
    proxy.close()
    exactly_once(shared_server, laptop, 200)
    laptop.close()


def test_lost_acknowledgements_cost_one_request_and_a_restored_backup_is_not_trusted(
        shared_server: ServerProcess, tmp_path: Path) -> None:
    tag = f"ack{new_id()[-6:]}"
    laptop = enrolled(shared_server, tmp_path, tag)
    source = tmp_path / tag / "outbox.sqlite3"  # where Laptop.enrol keeps it
    rules = shared_server.rules_hash()

    def saved(name: str) -> Path:
        """A copy of the laptop's outbox file as it is now (closed to copy it whole)."""
        laptop.outbox.close()
        shutil.copy(source, tmp_path / name)
        laptop.outbox = LocalOutbox(source, laptop.keys.device_id)
        return tmp_path / name

    record(laptop, 3, rules)
    early = saved("early.sqlite3")  # 6 changes, before the last visits
    record(laptop, 2, rules)
    unacked = saved("unacked.sqlite3")  # all 10 changes, none acknowledged
    with laptop.client() as client:
        assert client.push().acked_seq == 10

    # Every acknowledgement lost: the county says what it holds; nothing is sent again.
    with LocalOutbox(unacked, laptop.keys.device_id) as lost, \
            SyncClient(shared_server.url, laptop.keys, lost) as client:
        report = client.push()
        assert (report.already_held, report.sent, report.acked_seq) == (10, 0, 10)
        assert lost.sync_state().acked_seq == 10

    # An older backup that went on recording: seqs 7–10 now hold other changes. The county's
    # word is not taken for them (marking them acknowledged unsent would lose them): they are
    # sent, and the county keeps them in quarantine as forks for review.
    with LocalOutbox(early, laptop.keys.device_id) as restored:
        rng, grader = random.Random(99), Grader()
        elder_id = new_id()
        restored.record_many([("elder", elder_id, elder_payload(rng))] + [
            ("assessment", new_id(), assessment_payload(grader, rng, elder_id,
                                                        rules_hash=rules))
            for _ in range(3)])
        with SyncClient(shared_server.url, laptop.keys, restored) as client:
            report = client.push()
        assert (report.already_held, report.sent) == (0, 10)
        assert (report.duplicates, report.quarantined) == (6, 4)
    forks = shared_server.scalar("SELECT COUNT(*) FROM quarantine WHERE device_id = :d AND "
                                 "code = 'fork'", d=laptop.keys.device_id)
    assert forks == 4
    exactly_once(shared_server, laptop, 10)
    laptop.close()


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_server_killed_mid_push_loses_nothing_and_duplicates_nothing(
        kind: str, start_server: ServerFactory, tmp_path: Path,
        request: pytest.FixtureRequest) -> None:
    url = "" if kind == "sqlite" else request.getfixturevalue("pg_url")
    server = start_server(url)
    laptop = enrolled(server, tmp_path, "k")
    record(laptop, 600, server.rules_hash())
    killed = threading.Event()
    rng = random.Random(7)

    def kill_soon() -> None:
        time.sleep(rng.random() * 0.05)  # lands inside one of the next batches
        server.kill()
        killed.set()

    def progress(_phase: str, done: int, _total: int) -> None:
        if done >= 300 and not killed.is_set() and not hasattr(progress, "armed"):
            progress.armed = True  # type: ignore[attr-defined]
            threading.Thread(target=kill_soon).start()

    with laptop.client(server.url, batch_size=100, retries=1, backoff=0.05) as client, \
            pytest.raises(SyncError):
        client.push(progress)
    killed.wait(10)
    acked = laptop.outbox.sync_state().acked_seq
    assert 300 <= acked < 1200
    server.start()  # same data folder, database and port
    with laptop.client(server.url, batch_size=100) as client:
        report = client.push()
    assert report.acked_seq == 1200
    exactly_once(server, laptop, 1200)
    laptop.close()
