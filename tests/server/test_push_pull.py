"""Online sync against a real uvicorn server, on SQLite and on PostgreSQL."""

from __future__ import annotations

import random
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from assessment.ids import new_id
from assessment.scoring import Grader
from assessment.sync.client import SyncError
from assessment.wire.changes import make_change
from assessment.wire.requestsig import sign_request
from testkit.process import ServerProcess
from testkit.synthetic import assessment_payload, elder_payload
from tests.server.support import Laptop


def visits(laptop: Laptop, count: int, seed: int, rules_hash: str | None = None
           ) -> list[dict[str, Any]]:
    """Record ``count`` elders with a finalized assessment each; return the elder payloads."""
    rng, grader = random.Random(seed), Grader()
    items: list[tuple[str, str, dict[str, Any]]] = []
    for _ in range(count):
        elder_id = new_id()
        items.append(("elder", elder_id, elder_payload(rng)))
        items.append(("assessment", new_id(),
                      assessment_payload(grader, rng, elder_id, rules_hash=rules_hash)))
    laptop.outbox.record_many(items)
    return [p for t, _, p in items if t == "elder"]


def setup(server: ServerProcess, tmp: Path) -> tuple[str, Laptop, Laptop, Laptop]:
    """A fresh township T (users a, b) and another (user c), one laptop each."""
    tag = uuid.uuid4().hex[:8]
    admin = server.admin()
    admin.setup_township(f"t{tag}", [f"a{tag}", f"b{tag}"])
    admin.setup_township(f"o{tag}", [f"c{tag}"])
    one, two, three = (Laptop.enrol(tmp / name, server.url, admin.code(f"{name}{tag}"))
                       for name in ("a", "b", "c"))
    return f"t{tag}", one, two, three


def count(server: ServerProcess, table: str, laptop: Laptop) -> int:
    """Rows of a table that belong to one laptop's device."""
    value: int = server.scalar(f"SELECT COUNT(*) FROM {table} WHERE device_id = :d",
                               d=laptop.keys.device_id)
    return value


def test_push_is_idempotent_and_pull_stays_in_the_township(
        shared_server: ServerProcess, tmp_path: Path) -> None:
    server = shared_server
    _, one, two, three = setup(server, tmp_path)
    elders = visits(one, 30, seed=1)
    with one.client(batch_size=25) as client:
        report = client.push()
        assert (report.sent, report.acked_seq, report.applied, report.batches) == (60, 60, 60, 3)
        assert client.push().sent == 0  # nothing pending: a no-op
        again = client.request("POST", "/sync/push", payload={
            "changes": [c.to_json() for c in one.outbox.pending_changes(0, 25)]})
        assert (again["applied"], again["duplicates"], again["acked_seq"]) == (0, 25, 60)
        assert client.pull().received == 0  # own changes never come back
    assert count(server, "received_changes", one) == 60
    assert count(server, "record_heads", one) == 60
    with two.client(batch_size=7) as client:
        pulled = client.pull(limit=7)
        assert pulled.received == 60
        assert client.pull().received == 0
    assert two.outbox.incoming_count() == 60
    assert len(two.outbox.record_ids("elder")) == 30
    with three.client() as client:
        assert client.pull().received == 0  # another township sees nothing
    # The server never logs personal data (the access log has paths only).
    time.sleep(0.2)
    log = server.log()
    assert "/sync/push" in log
    for elder in elders:
        for key in ("id_number", "name", "phone"):
            assert str(elder[key]) not in log
    for laptop in (one, two, three):
        laptop.close()


def test_two_laptops_editing_one_elder_record_a_conflict(
        shared_server: ServerProcess, tmp_path: Path) -> None:
    server = shared_server
    township, one, two, _three = setup(server, tmp_path)
    _three.close()
    elder_id = new_id()
    link = elder_payload(random.Random(5))
    one.outbox.record("elder", elder_id, link)
    with one.client() as c1, two.client() as c2:
        c1.push()
        c2.pull()
        # Both edit offline: the phone on both, the capability grade attribute on both.
        one.outbox.record("elder", elder_id, {**link, "phone": "13900000001",
                                              "attributes": {"capability_grade": 2}})
        two.outbox.record("elder", elder_id, {**link, "phone": "13900000002",
                                              "village": "新村",
                                              "attributes": {"capability_grade": 3}})
        c1.push()
        c2.push()
        c1.pull()
        c2.pull()
    head_one = one.outbox.head("elder", elder_id)
    head_two = two.outbox.head("elder", elder_id)
    assert head_one is not None
    assert head_two is not None
    assert head_one["payload"] == head_two["payload"]  # both laptops converge
    assert head_one["payload"]["village"] == "新村"  # a field only one edited is kept
    conflicts = server.admin().call("GET", "/admin/review/conflicts",
                                    params={"all": True, "township": township})
    by_field = {c["field"]: c for c in conflicts}
    assert set(by_field) == {"phone", "attributes.capability_grade"}
    assert by_field["attributes.capability_grade"]["review_required"] is True
    assert by_field["attributes.capability_grade"]["status"] == "open"
    assert by_field["phone"]["status"] == "auto"
    values = {by_field["phone"]["winner_value"], by_field["phone"]["loser_value"]}
    assert values == {"13900000001", "13900000002"}  # the losing value is kept
    assert head_one["payload"]["phone"] == by_field["phone"]["winner_value"]
    open_items = server.admin().call("GET", "/admin/review/conflicts",
                                     params={"township": township})
    assert [c["field"] for c in open_items] == ["attributes.capability_grade"]
    server.admin().call("POST", f"/admin/review/conflicts/{open_items[0]['id']}",
                        json={"action": "keep", "note": "已电话核实"})
    assert server.admin().call("GET", "/admin/review/conflicts",
                               params={"township": township}) == []
    one.close()
    two.close()


def gaps_of(admin: Any, laptop: Laptop) -> list[dict[str, Any]]:
    """Open chain breaks of one device."""
    return [g for g in admin.call("GET", "/admin/review/gaps")
            if g["device_id"] == laptop.keys.device_id]


def test_grade_mismatch_quarantine_gap_and_fork_are_reported(
        shared_server: ServerProcess, tmp_path: Path) -> None:
    server = shared_server
    township, one, two, three = setup(server, tmp_path)
    two.close()
    three.close()
    rng, grader, rules = random.Random(9), Grader(), server.rules_hash()
    elder_id = new_id()

    def graded() -> dict[str, Any]:
        return assessment_payload(grader, rng, elder_id, rules_hash=rules)

    good = graded()
    wrong = {**graded(), "final_grade": (good["final_grade"] + 1) % 5, "total": -1}
    broken = {**graded(), "answers": {"B.1.1": 99}}
    one.outbox.record_many([("elder", elder_id, elder_payload(rng)),
                            ("assessment", new_id(), good), ("assessment", new_id(), wrong),
                            ("assessment", new_id(), broken), ("assessment", new_id(), graded())])
    with one.client() as client:
        report = client.push()
    assert (report.acked_seq, report.applied, report.quarantined) == (5, 4, 1)
    admin = server.admin()
    scope = {"township": township}
    mismatches = admin.call("GET", "/admin/review/mismatches", params=scope)
    assert len(mismatches) == 1, [m["reason"] for m in mismatches]
    assert mismatches[0]["computed"]["total"] != -1
    quarantined = admin.call("GET", "/admin/review/quarantine", params=scope)
    assert [q["code"] for q in quarantined] == ["ungradable"]
    assert "B.1.1" in quarantined[0]["reason"]
    stats = admin.call("GET", "/admin/stats")
    t1 = next(t for t in stats["townships"] if t["township"] == township)
    assert (t1["elders"], t1["assessments"]) == (1, 3)

    # A hole in the chain: seqs 8–9 arrive before 6–7.
    tail = one.outbox.record_many([("elder", new_id(), elder_payload(rng)) for _ in range(4)])
    with one.client() as client:
        answer = client.request("POST", "/sync/push",
                                payload={"changes": [c.to_json() for c in tail[2:]]})
        assert (answer["acked_seq"], answer["gaps"]) == (5, [[6, 7]])
        assert [(g["from_seq"], g["to_seq"]) for g in gaps_of(admin, one)] == [(6, 7)]
        assert client.push().acked_seq == 9
        assert gaps_of(admin, one) == []
        # A fork: sequence 3 again with different content.
        forged = make_change(device_id=one.keys.device_id, seq=3, record_type="elder",
                             record_id=new_id(), version=1, hlc=1, payload={"name": "x"},
                             prev_hash=tail[0].prev_hash)
        answer = client.request("POST", "/sync/push", payload={"changes": [forged.to_json()]})
        assert (answer["quarantined"], answer["acked_seq"]) == (1, 9)
    assert [g["kind"] for g in gaps_of(admin, one)] == ["fork"]
    assert count(server, "received_changes", one) == 9
    one.close()


def test_requests_are_authenticated_and_scoped(
        shared_server: ServerProcess, tmp_path: Path) -> None:
    server = shared_server
    _, one, two, three = setup(server, tmp_path)
    visits(one, 2, seed=3)
    body = b'{"changes": []}'
    with httpx.Client(base_url=server.url, timeout=30) as http:
        assert http.post("/sync/push", content=body).status_code == 401
        headers = sign_request(one.keys.device_id, one.keys.sign_key, "POST", "/sync/push", body)
        assert http.post("/sync/push", content=body, headers=headers).status_code == 200
        replay = http.post("/sync/push", content=body, headers=headers)
        assert replay.status_code == 401
        assert "重放" in replay.json()["detail"]
        fresh = sign_request(one.keys.device_id, one.keys.sign_key, "POST", "/sync/push", body)
        tampered = http.post("/sync/push", content=b'{"changes": [1]}', headers=fresh)
        assert tampered.status_code == 401
        stale = sign_request(one.keys.device_id, one.keys.sign_key, "POST", "/sync/push", body,
                             timestamp_ms=int(time.time() * 1000) - 3_600_000)
        assert http.post("/sync/push", content=body, headers=stale).status_code == 401
        other = sign_request(three.keys.device_id, one.keys.sign_key, "POST", "/sync/push", body)
        assert http.post("/sync/push", content=body, headers=other).status_code == 401
        # Absurd nesting is a bad request, not a server error.
        deep = b'{"changes": ' + b"[" * 5000 + b"]" * 5000 + b"}"
        signed = sign_request(one.keys.device_id, one.keys.sign_key, "POST", "/sync/push", deep)
        refused = http.post("/sync/push", content=deep, headers=signed)
        assert refused.status_code == 400
        assert "嵌套层数超过" in refused.json()["detail"]
    # Pushing someone else's changes is refused whole.
    with two.client() as client, pytest.raises(SyncError, match="本设备"):
        client.request("POST", "/sync/push", payload={
            "changes": [c.to_json() for c in one.outbox.pending_changes(0, 4)]})
    admin = server.admin()
    admin.call("POST", f"/admin/devices/{one.keys.device_id}/revoke")
    admin.call("POST", f"/admin/accounts/{two.link.account}/revoke")
    with one.client(retries=0) as client, pytest.raises(SyncError, match="停用") as info:
        client.push()
    assert info.value.status == 403
    assert info.value.revoked  # the machine-readable code, not the wording, says so
    with two.client(retries=0) as client, pytest.raises(SyncError, match="账号已被停用") as acc:
        client.pull()
    assert acc.value.revoked
    with three.client() as client:
        pulled = client.pull()
    assert pulled.notices.revoked_devices == ()  # revocations of other townships stay there
    with httpx.Client(base_url=server.url) as http:
        assert http.get("/admin/devices").status_code == 401
        assert http.get("/admin/devices",
                        headers={"Authorization": "Bearer wrong"}).status_code == 401
    for laptop in (one, two, three):
        laptop.close()
