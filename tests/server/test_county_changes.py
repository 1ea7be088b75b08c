"""The county's "prefer_other" decision reaches the laptops as a change of its own.

Two demo laptops of township A and one of township B, a real county server (SQLite and
PostgreSQL). Laptops of A edit one elder concurrently; the county resolves the review conflict
with the losing value through the admin API. After the next sync both A laptops hold that
value, their local copies of the conflict are closed, and the county's field state agrees;
"keep" changes no value but closes the laptops' copies of that conflict too; a decision over
a field written again since is refused; B sees none of it; repeated syncs change nothing.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import httpx
import pytest

from assessment.records.api import RegisterFilter
from assessment.records.demo import DEMO_PASSWORD
from assessment.wire.countydevice import county_device_id
from testkit.process import ServerProcess
from tests.server.townships import Fleet, feed_counts

FIELD = "attributes.assistance_status"


@pytest.fixture
def fleet(tmp_path: Path, capsys: pytest.CaptureFixture[str],
          monkeypatch: pytest.MonkeyPatch) -> Fleet:
    """Laptops one and two (township A) and three (township B)."""
    monkeypatch.setenv("YINLING_PASSWORD", DEMO_PASSWORD)
    laptops = Fleet(tmp_path, capsys)
    for seed, name in enumerate(("one", "two", "three"), start=31):
        laptops.add(name, seed)
    return laptops


def _field(server: ServerProcess, elder_id: str, path: str) -> list[object]:
    """[value, hlc, device, version] of one field of an elder's stored field state."""
    text = server.scalar("SELECT fields FROM elder_field_state WHERE record_id = :r",
                         r=elder_id)
    state: list[object] = json.loads(str(text))[path]
    return state


def _resolve(admin_url: str, token: str, item: int, action: str) -> httpx.Response:
    with httpx.Client(base_url=admin_url, timeout=60) as http:
        return http.post(f"/admin/review/conflicts/{item}",
                         headers={"Authorization": f"Bearer {token}"},
                         json={"action": action, "note": "已电话核实"})


def test_prefer_other_reaches_every_laptop_of_the_township(shared_server: ServerProcess,
                                                            fleet: Fleet) -> None:
    server = shared_server
    admin = server.admin()
    town_a = fleet.townships(server, admin, {"a": ["one", "two"], "b": ["three"]})["a"]
    for name in ("one", "two", "three", "one"):
        fleet.ok(name, "run")

    # Both A laptops change one elder's list attribute (reviewed) and phone (automatic).
    with fleet.open("one") as one:
        elder_id = one.elders.page(RegisterFilter(), 0, 1)[0].elder_id
        base = one.elders.get(elder_id)
        one.elders.save(dataclasses.replace(
            base, phone="13900000001",
            attributes={**base.attributes, "assistance_status": "dibao_edge"}))
    with fleet.open("two") as two:
        base = two.elders.get(elder_id)
        two.elders.save(dataclasses.replace(
            base, phone="13900000002",
            attributes={**base.attributes, "assistance_status": "tekun_centralized"}))
    for name in ("one", "two", "one"):
        fleet.ok(name, "run")
    with fleet.open("one") as one, fleet.open("two") as two:
        assert one.elders.get(elder_id).attributes["assistance_status"] == \
            two.elders.get(elder_id).attributes["assistance_status"]
        assert FIELD in [c.field for c in one.outbox.conflicts(elder_id)]
        assert FIELD in [c.field for c in two.outbox.conflicts(elder_id)]

    listed = admin.call("GET", "/admin/review/conflicts",
                        params={"township": town_a, "all": "true"})
    by_field = {c["field"]: c for c in listed}
    reviewed, automatic = by_field[FIELD], by_field["phone"]
    assert (reviewed["status"], automatic["status"]) == ("open", "auto")
    loser = reviewed["loser_value"]
    assert loser != reviewed["winner_value"]

    # "keep" changes no value: one county change of no field, in A's feed.
    held = feed_counts(server)
    phone_before = _field(server, elder_id, "phone")
    assert _resolve(server.url, admin.token, automatic["id"], "keep").status_code == 200
    after_keep = feed_counts(server)
    assert after_keep[0] == held[0] + 1  # the county's change telling the laptops
    assert after_keep[2] == held[2] + 1  # one audit entry
    assert _field(server, elder_id, "phone") == phone_before

    # "prefer_other" becomes a county change in A's feed.
    answer = _resolve(server.url, admin.token, reviewed["id"], "prefer_other")
    assert answer.status_code == 200, answer.text
    county = county_device_id(
        httpx.get(server.url + "/county").json()["county_sign_public"])
    rows = server.query(
        "SELECT c.seq, c.source, c.hlc, t.code, c.payload FROM received_changes c "
        "JOIN townships t ON t.id = c.township_id WHERE c.device_id = :d AND c.record_id = :r",
        d=county, r=elder_id)
    rows = sorted(rows, key=lambda r: int(r[0]))
    assert len(rows) == 2  # the "keep", then the "prefer_other"
    kept = json.loads(rows[0][4])
    assert (kept["changed"], kept["county"]["action"], kept["county"]["field"]) == \
        ([], "keep", "phone")
    seq, source, hlc, township, payload = rows[1]
    assert (source, township) == ("county", town_a)
    assert json.loads(payload)["changed"] == [FIELD]
    stamps = server.query("SELECT winner_hlc, loser_hlc FROM conflicts WHERE record_id = :r "
                          "AND field = :f", r=elder_id, f=FIELD)
    assert all(int(hlc) > max(int(w), int(lo)) for w, lo in stamps)
    value, _hlc, device, _version = _field(server, elder_id, FIELD)
    assert (value, device) == (loser, county)
    head = json.loads(server.scalar("SELECT payload FROM record_heads WHERE record_type = "
                                    "'elder' AND record_id = :r", r=elder_id))
    assert head["attributes"]["assistance_status"] == loser
    resolution = json.loads(server.scalar("SELECT resolution FROM conflicts WHERE id = :i",
                                          i=reviewed["id"]))
    assert resolution["change"] == {"device_id": county, "seq": seq}
    # The same item again is refused.
    assert _resolve(server.url, admin.token, reviewed["id"], "prefer_other").status_code == 404

    # Both A laptops take the county's value and close their copies of both conflicts.
    for name in ("one", "two"):
        assert "已拉取 2 条" in fleet.ok(name, "run")
    for name in ("one", "two"):
        with fleet.open(name) as ws:
            assert ws.elders.get(elder_id).attributes["assistance_status"] == loser
            assert ws.outbox.conflicts(elder_id) == []
            settled = [c for c in ws.outbox.conflicts(elder_id, include_resolved=True)
                       if c.field == FIELD]
            assert settled
            assert all(c.resolved_at is not None for c in settled)
    # Township B saw nothing of it.
    with fleet.open("three") as three:
        assert elder_id not in {r.elder_id for r in three.elders.page(RegisterFilter(), 0, 1000)}

    # Repeated syncs change nothing anywhere.
    before = {name: fleet.status(name) for name in ("one", "two", "three")}
    counts = feed_counts(server)
    for name in ("one", "two", "three", "one"):
        report = fleet.ok(name, "run")
        assert "已推送 0 条" in report
        assert "已拉取 0 条" in report
    assert {name: fleet.status(name) for name in ("one", "two", "three")} == before
    assert feed_counts(server) == counts


def test_prefer_other_over_a_newer_write_is_refused(shared_server: ServerProcess,
                                                    fleet: Fleet) -> None:
    server = shared_server
    admin = server.admin()
    town = fleet.townships(server, admin, {"s": ["one", "two"]})["s"]
    for name in ("one", "two", "one"):
        fleet.ok(name, "run")
    with fleet.open("one") as one:
        elder_id = one.elders.page(RegisterFilter(), 0, 1)[0].elder_id
        one.elders.save(dataclasses.replace(one.elders.get(elder_id), phone="13900000011"))
    with fleet.open("two") as two:
        two.elders.save(dataclasses.replace(two.elders.get(elder_id), phone="13900000012"))
    for name in ("one", "two", "one"):
        fleet.ok(name, "run")
    conflict = next(c for c in admin.call("GET", "/admin/review/conflicts",
                                          params={"township": town, "all": "true"})
                    if c["field"] == "phone")
    # The phone is written again after the conflict: the decision no longer applies.
    with fleet.open("one") as one:
        one.elders.save(dataclasses.replace(one.elders.get(elder_id), phone="13900000013"))
    fleet.ok("one", "push")
    held = feed_counts(server)
    refused = _resolve(server.url, admin.token, conflict["id"], "prefer_other")
    assert refused.status_code == 409
    assert "又被修改过" in refused.json()["detail"]
    assert feed_counts(server) == held
    assert _resolve(server.url, admin.token, conflict["id"], "keep").status_code == 200
