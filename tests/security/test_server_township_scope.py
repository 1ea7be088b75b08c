"""Attack: a laptop of one township changes another township's elders (issue: security, item 1).

A device enrolled in 甲 pushes a signed change to an elder that 乙 holds, by push and by
bundle, against a real uvicorn server on SQLite and on PostgreSQL. Before the fix the county
answered ``applied: 1`` and served the change in 乙's feed. Now it is quarantined with code
``foreign_township``, nothing of it is applied, and it shows in the review queue of the JSON
API, the county command and the review page. A stale edit made before a transfer still
reaches the new township; an edit written after the transfer does not.
"""

from __future__ import annotations

import json
import random
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from assessment.cli import main
from assessment.ids import new_id
from assessment.scoring import Grader
from assessment.wire.bundle import encode_bundle
from testkit.process import ServerProcess
from testkit.synthetic import assessment_payload, elder_payload
from tests.server.support import Laptop
from tests.server.test_pages import UI, sign_in

CODE = "foreign_township"


def _townships(server: ServerProcess, tmp: Path) -> tuple[str, str, Laptop, Laptop]:
    """Townships 甲 (laptop a) and 乙 (laptop b), freshly made."""
    tag = uuid.uuid4().hex[:8]
    admin = server.admin()
    admin.setup_township(f"jia{tag}", [f"a{tag}"])
    admin.setup_township(f"yi{tag}", [f"b{tag}"])
    a = Laptop.enrol(tmp / "a", server.url, admin.code(f"a{tag}"))
    b = Laptop.enrol(tmp / "b", server.url, admin.code(f"b{tag}"))
    return f"jia{tag}", f"yi{tag}", a, b


def _head(server: ServerProcess, elder_id: str) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads(server.scalar(
        "SELECT payload FROM record_heads WHERE record_type = 'elder' AND record_id = :r",
        r=elder_id))
    return payload


def _quarantined(server: ServerProcess, township: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = server.admin().call(
        "GET", "/admin/review/quarantine", params={"township": township})
    return items


def _county_cli(server: ServerProcess, capsys: pytest.CaptureFixture[str],
                *argv: str) -> str:
    db = ["--db", server.db_url] if server.db_url else []
    assert main(["county", "--data-dir", str(server.data_dir), *db, *argv]) == 0
    return capsys.readouterr().out


def test_a_device_cannot_change_another_townships_elder(
        shared_server: ServerProcess, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    server = shared_server
    jia, _, a, b = _townships(server, tmp_path)
    rng = random.Random(12)
    elder_id = new_id()
    original = elder_payload(rng)
    b.outbox.record_many([("elder", elder_id, original)])
    with b.client() as client:
        assert client.push().applied == 1
    # The attack: 甲's device overwrites name and phone of 乙's elder, then files an
    # assessment for it.
    forged = {**original, "name": "冒名顶替", "phone": "13000000000"}
    assessment = assessment_payload(Grader(), rng, elder_id, rules_hash=server.rules_hash())
    a.outbox.record_many([("elder", elder_id, forged), ("assessment", new_id(), assessment)])
    with a.client() as client:
        answer = client.request("POST", "/sync/push", payload={
            "changes": [c.to_json() for c in a.outbox.pending_changes(0, 10)]})
    assert (answer["applied"], answer["quarantined"]) == (0, 2), answer
    assert answer["acked_seq"] == 2  # received, kept for review, not resent
    head = _head(server, elder_id)
    assert (head["name"], head["phone"]) == (original["name"], original["phone"])
    assert server.scalar("SELECT COUNT(*) FROM record_heads WHERE record_type = 'assessment' "
                         "AND elder_id = :e", e=elder_id) == 0
    with b.client() as client:
        assert client.pull().received == 0  # nothing reached 乙's feed
    # Visible for review: JSON API, county command, review page.
    items = _quarantined(server, jia)
    assert [(q["code"], q["device_id"]) for q in items] == [(CODE, a.keys.device_id)] * 2
    listed = json.loads(_county_cli(server, capsys, "review", "list", "quarantine",
                                    "--township", jia))
    assert [q["code"] for q in listed] == [CODE, CODE]
    with httpx.Client(base_url=server.url, headers={"Origin": server.url},
                      timeout=60) as http:
        sign_in(http, server)
        page = http.get(f"{UI}/review/quarantine", params={"township": jia}).text
    assert page.count(CODE) == 2
    a.close()
    b.close()


def test_a_bundle_cannot_change_another_townships_elder(
        shared_server: ServerProcess, tmp_path: Path) -> None:
    server = shared_server
    jia, _, a, b = _townships(server, tmp_path)
    rng = random.Random(13)
    elder_id = new_id()
    original = elder_payload(rng)
    b.outbox.record_many([("elder", elder_id, original)])
    with b.client() as client:
        client.push()
    own = new_id()
    changes = a.outbox.record_many([("elder", own, elder_payload(rng)),
                                    ("elder", elder_id, {**original, "name": "冒名顶替"})])
    data, _ = encode_bundle(a.keys, a.link.county_box_key(), changes)
    receipt = server.admin().call("POST", "/admin/bundles", content=data)
    assert (receipt["applied"], receipt["quarantined"]) == (1, 1), receipt
    assert _head(server, elder_id)["name"] == original["name"]
    assert [(q["code"], q["record_id"]) for q in _quarantined(server, jia)] == \
        [(CODE, elder_id)]
    with b.client() as client:
        assert client.pull().received == 0
    a.close()
    b.close()


def test_edits_written_before_a_transfer_still_arrive_later_ones_do_not(
        shared_server: ServerProcess, tmp_path: Path) -> None:
    server = shared_server
    jia, yi, a, b = _townships(server, tmp_path)
    rng = random.Random(14)
    elder_id = new_id()
    original = elder_payload(rng)
    a.outbox.record_many([("elder", elder_id, original)])
    with a.client() as client:
        client.push()
    a.outbox.record_many([("elder", elder_id, {**original, "phone": "13911112222"})])
    server.admin().call("POST", f"/admin/elders/{elder_id}/transfer", json={"to": yi})
    with a.client() as client:  # the stale edit: written while 甲 held the elder
        assert (client.push().applied, _quarantined(server, jia)) == (1, [])
    assert _head(server, elder_id)["phone"] == "13911112222"
    with b.client() as client:
        client.pull()
    moved = b.outbox.head("elder", elder_id)
    assert moved is not None
    assert moved["payload"]["phone"] == "13911112222"
    # Written after the transfer: 甲 no longer holds the elder.
    a.outbox.record_many([("elder", elder_id, {**original, "phone": "13800000000"})])
    with a.client() as client:
        report = client.push()
    assert (report.applied, report.quarantined) == (0, 1)
    assert _head(server, elder_id)["phone"] == "13911112222"
    assert [q["code"] for q in _quarantined(server, jia)] == [CODE]
    a.close()
    b.close()
