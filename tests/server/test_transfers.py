"""Re-assigning an elder between townships, end to end on a real county server.

Laptops one and two belong to township A, three to township B (real encrypted demo
workspaces, ``yinling sync``), against SQLite and PostgreSQL. An elder of A with a finalized
and a superseded assessment moves to B through the admin API: B's laptop receives the elder
and its whole history with grades; A's laptops mark it transferred out and refuse a new
assessment or correction; an edit an A laptop made before it heard of the transfer is
accepted and reaches B. Bad requests are refused with nothing written, by the API and by
``yinling county transfer``; repeated syncs change nothing.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import httpx
import pytest

from assessment.cli import main
from assessment.errors import InputRejected
from assessment.records.api import RegisterFilter
from assessment.records.demo import DEMO_PASSWORD
from testkit.process import ServerProcess
from tests.server.townships import Fleet, feed_counts, graded_elder, shown_assessments


@pytest.fixture
def fleet(tmp_path: Path, capsys: pytest.CaptureFixture[str],
          monkeypatch: pytest.MonkeyPatch) -> Fleet:
    """Laptops one and two (township A) and three (township B)."""
    monkeypatch.setenv("YINLING_PASSWORD", DEMO_PASSWORD)
    laptops = Fleet(tmp_path, capsys)
    for seed, name in enumerate(("one", "two", "three"), start=51):
        laptops.add(name, seed, elders=5)
    return laptops


def _transfer(server: ServerProcess, elder_id: str, body: dict[str, str]) -> httpx.Response:
    with httpx.Client(base_url=server.url, timeout=60) as http:
        return http.post(f"/admin/elders/{elder_id}/transfer", json=body,
                         headers={"Authorization": f"Bearer {server.admin().token}"})


def _county(server: ServerProcess, *argv: str) -> list[str]:
    county = ["county", "--data-dir", str(server.data_dir)]
    return [*county, *(["--db", server.db_url] if server.db_url else []), *argv]


def test_transfer_moves_the_elder_and_its_history(shared_server: ServerProcess, fleet: Fleet,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    server = shared_server
    admin = server.admin()
    towns = fleet.townships(server, admin, {"a": ["one", "two"], "b": ["three"]})
    town_a, town_b = towns["a"], towns["b"]

    # Laptop one corrects an assessment of an elder: a superseded one and a finalized one.
    with fleet.open("one") as one:
        elder_id = graded_elder(one)
        current = one.assessments.current(elder_id)
        assert current is not None
        correction = one.assessments.correct(current.assessment_id, "核对后更正")
        one.assessments.finalize(correction.assessment_id)
        history = shown_assessments(one, elder_id)
        others = [r.elder_id for r in one.elders.page(RegisterFilter(), 0, 100)
                  if r.elder_id != elder_id]
    assert {status for _, status, _, _ in history.values()} == {"finalized", "superseded"}
    for name in ("one", "two", "three", "one"):
        fleet.ok(name, "run")
    # Laptop two edits the elder and has not synced when the county moves it.
    with fleet.open("two") as two:
        stale = dataclasses.replace(two.elders.get(elder_id), phone="13911112222")
        two.elders.save(stale)

    # Refused whole, nothing written: unknown elder, unknown township, the same township.
    held = feed_counts(server)
    for target, body, field in (("nobody", {"to": town_b}, "elder_id"),
                                (elder_id, {"to": "nowhere"}, "to"),
                                (elder_id, {"to": town_a}, "to"),
                                (elder_id, {"to": ""}, "to")):
        answer = _transfer(server, target, body)
        assert answer.status_code == 400, answer.text
        assert [p["field"] for p in answer.json()["problems"]] == [field]
    code = main(_county(server, "transfer", elder_id, "--to", "nowhere"))
    _, err = capsys.readouterr()
    assert code == 1
    assert "没有编码为 nowhere 的乡镇" in err
    assert feed_counts(server) == held

    answer = _transfer(server, elder_id, {"to": town_b, "note": "随女儿迁居"})
    assert answer.status_code == 200, answer.text
    done = answer.json()
    assert (done["from"], done["to"], done["sent_assessments"]) == (town_a, town_b, len(history))
    assert done["assessments"] >= len(history)
    heads = server.query(
        "SELECT h.record_type, t.code FROM record_heads h JOIN townships t "
        "ON t.id = h.township_id WHERE h.record_id = :e OR h.record_id IN "
        f"({', '.join(f':a{i}' for i in range(len(history)))})",
        e=elder_id, **{f"a{i}": a for i, a in enumerate(history)})
    assert {code for _, code in heads} == {town_b}
    assert len(heads) == len(history) + 1
    assert server.scalar("SELECT note FROM transfers WHERE id = :i",
                         i=done["transfer"]) == "随女儿迁居"
    assert server.scalar("SELECT action FROM audit ORDER BY id DESC LIMIT 1") == \
        "elder.transfer"

    # Township B receives the elder and its whole history, with grades.
    fleet.ok("three", "run")
    with fleet.open("three") as three:
        moved = three.elders.get(elder_id)
        assert moved.transferred_to is None
        assert shown_assessments(three, elder_id) == history
        row = next(r for r in three.elders.page(RegisterFilter(), 0, 1000)
                   if r.elder_id == elder_id)
        assert row.grade is not None
        assert row.transferred_to is None

    # Township A's laptop marks it transferred out and refuses new assessments for it.
    fleet.ok("one", "run")
    with fleet.open("one") as one:
        gone = one.elders.get(elder_id)
        assert gone.transferred_to == f"{town_b}镇"
        row = next(r for r in one.elders.page(RegisterFilter(), 0, 1000)
                   if r.elder_id == elder_id)
        assert row.transferred_to == f"{town_b}镇"
        with pytest.raises(InputRejected) as refused:
            one.assessments.start(elder_id, "即时评估")
        assert refused.value.problems[0].field == "elder_id"
        assert f"已迁出至{town_b}镇" in refused.value.problems[0].message
        current = one.assessments.current(elder_id)
        assert current is not None
        with pytest.raises(InputRejected):
            one.assessments.correct(current.assessment_id, "核对后更正")
        assert one.assessments.start(others[0], "即时评估").status.value == "draft"

    # The edit laptop two made before it heard of the transfer is kept and goes to B.
    fleet.ok("two", "run")
    township = server.scalar(
        "SELECT t.code FROM received_changes c JOIN townships t ON t.id = c.township_id "
        "WHERE c.device_id = :d AND c.record_id = :e ORDER BY c.id DESC LIMIT 1",
        d=fleet.status("two")["device_id"], e=elder_id)
    assert township == town_b
    assert server.scalar("SELECT COUNT(*) FROM quarantine WHERE record_id = :e",
                         e=elder_id) == 0
    with fleet.open("two") as two:
        assert two.elders.get(elder_id).transferred_to == f"{town_b}镇"
    fleet.ok("three", "run")
    with fleet.open("three") as three:
        assert three.elders.get(elder_id).phone == "13911112222"
    head = json.loads(server.scalar("SELECT payload FROM record_heads WHERE record_type = "
                                    "'elder' AND record_id = :e", e=elder_id))
    assert head["phone"] == "13911112222"

    # Repeated syncs change nothing anywhere.
    for name in ("one", "two", "three"):  # one pushes the draft started above
        fleet.ok(name, "run")
    before = {name: fleet.status(name) for name in ("one", "two", "three")}
    counts = feed_counts(server)
    for name in ("one", "two", "three", "two"):
        report = fleet.ok(name, "run")
        assert "已推送 0 条" in report
        assert "已拉取 0 条" in report
    assert {name: fleet.status(name) for name in ("one", "two", "three")} == before
    assert feed_counts(server) == counts

    # The command line moves an elder the same way.
    code = main(_county(server, "transfer", others[1], "--to", town_b, "--note", "县级调整"))
    out, err = capsys.readouterr()
    assert code == 0, err
    assert json.loads(out)["to"] == town_b
    assert "已拉取" in fleet.ok("three", "run")
    with fleet.open("three") as three:
        assert three.elders.get(others[1]).transferred_to is None
