"""A merge across townships, with a laptop in each township and a real county server.

Laptop one (township A) holds an elder with finalized assessments; laptop three (township B)
registers the same person again (the same ID number) without knowing. The county merges A's
record into B's:

* B's laptop receives the history re-pointed to its record (with grades);
* A's laptop keeps a read-only view of the merged record, "已合并到其他乡镇的老人（B）", with
  its history, and takes no new assessment or edit; an edit it made offline before the news
  is quarantined at the county with code ``merged``, never applied;
* the county's heads of the moved assessments go to township B with them;
* undoing the merge gives A back its history and takes it off B's record on B's laptop.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from assessment.cli import main
from assessment.errors import InputRejected
from assessment.records.api import ElderProfile
from assessment.records.demo import DEMO_PASSWORD
from testkit.process import ServerProcess
from tests.server.townships import Fleet, graded_elder, shown_assessments


@pytest.fixture
def fleet(tmp_path: Path, capsys: pytest.CaptureFixture[str],
          monkeypatch: pytest.MonkeyPatch) -> Fleet:
    """Laptop one (township A) and laptop three (township B)."""
    monkeypatch.setenv("YINLING_PASSWORD", DEMO_PASSWORD)
    laptops = Fleet(tmp_path, capsys)
    laptops.add("one", 61, elders=5)
    laptops.add("three", 63, elders=3)
    return laptops


def _county(server: ServerProcess, capsys: pytest.CaptureFixture[str], *argv: str) -> object:
    base = ["county", "--data-dir", str(server.data_dir)]
    base += ["--db", server.db_url] if server.db_url else []
    code = main([*base, "registry", *argv])
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out)


def _figures(server: ServerProcess, capsys: pytest.CaptureFixture[str],
             towns: dict[str, str]) -> dict[str, tuple[int, int, int]]:
    """(elders on the roll, elders with a current grade, finalized assessments) per township
    key, as ``yinling county stats`` counts them."""
    base = ["county", "--data-dir", str(server.data_dir)]
    base += ["--db", server.db_url] if server.db_url else []
    assert main([*base, "stats"]) == 0
    rows = {r["township"]: r for r in json.loads(capsys.readouterr().out)["townships"]}
    return {key: (int(rows[code]["elders"]), int(rows[code]["assessed"]),
                  int(rows[code]["assessments"])) for key, code in towns.items()}


def _head_townships(server: ServerProcess, ids: set[str]) -> set[str]:
    names = ", ".join(f":a{i}" for i in range(len(ids)))
    return {str(code) for (code,) in server.query(
        "SELECT t.code FROM record_heads h JOIN townships t ON t.id = h.township_id "
        f"WHERE h.record_type = 'assessment' AND h.record_id IN ({names})",
        **{f"a{i}": a for i, a in enumerate(sorted(ids))})}


def test_merge_across_townships_reaches_both_laptops(
        shared_server: ServerProcess, fleet: Fleet,
        capsys: pytest.CaptureFixture[str]) -> None:
    server = shared_server
    admin = server.admin()
    towns = fleet.townships(server, admin, {"a": ["one"], "b": ["three"]})
    town_b = towns["b"]
    with fleet.open("one") as one:
        other = graded_elder(one)
        history = shown_assessments(one, other)
        person = one.elders.get(other)
    assert history
    # Township B registers the same person again.
    with fleet.open("three") as three:
        keep = three.elders.create(ElderProfile(
            "", person.name, person.id_number, person.sex, person.birth_date,
            person.township, "后沟村", None, None)).elder_id
    for name in ("one", "three"):
        fleet.ok(name, "run")
    before = _figures(server, capsys, towns)
    queue = _county(server, capsys, "duplicates")
    assert isinstance(queue, list)
    assert any({p["first"]["elder_id"], p["second"]["elder_id"]} == {keep, other}
               for p in queue)
    # Laptop one edits the elder offline; it has not heard of the merge yet.
    with fleet.open("one") as one:
        one.elders.save(dataclasses.replace(one.elders.get(other), phone="13900000066"))

    done = _county(server, capsys, "merge", keep, other, "--note", "两个乡镇重复登记")
    assert done == {"keep": keep, "other": other, "assessments": len(history),
                    "note": "两个乡镇重复登记"}
    assert _head_townships(server, set(history)) == {town_b}
    # The county's current statistics follow: A has one elder fewer, the assessments and the
    # current grade go with the history to B.
    after = _figures(server, capsys, towns)
    moved_count = before["a"][2] - after["a"][2]
    assert moved_count > 0
    assert after == {"a": (before["a"][0] - 1, before["a"][1] - 1, before["a"][2] - moved_count),
                     "b": (before["b"][0], before["b"][1] + 1, before["b"][2] + moved_count)}
    status = json.loads(server.scalar(
        "SELECT payload FROM record_heads WHERE record_type = 'elder_status' "
        "AND record_id = :r", r=other))
    assert (status["status"], status["merged_into"], status["into_township"]) == \
        ("merged", keep, f"{town_b}镇")

    # Township B's laptop gets the history re-pointed to its record, with grades.
    fleet.ok("three", "run")
    with fleet.open("three") as three:
        moved = shown_assessments(three, keep)
        assert set(moved) == set(history)
        assert {v[1:] for v in moved.values()} == {v[1:] for v in history.values()}
        assert three.elders.get(keep).status == "active"
        assert three.assessments.current(keep) is not None

    # Township A's laptop: its offline edit is held at the county, the record is read-only.
    fleet.ok("one", "run")
    held = server.query("SELECT code, status FROM quarantine WHERE record_type = 'elder' "
                        "AND record_id = :r", r=other)
    assert held == [("merged", "open")]
    profile = json.loads(server.scalar(
        "SELECT payload FROM record_heads WHERE record_type = 'elder' AND record_id = :r",
        r=other))
    assert profile["phone"] != "13900000066"
    with fleet.open("one") as one:
        merged = one.elders.get(other)
        assert (merged.status, merged.merged_into) == ("merged", keep)
        assert one.registry.status(other).label() == f"已合并到其他乡镇的老人（{town_b}镇）"
        assert set(shown_assessments(one, other)) == set(history)
        with pytest.raises(InputRejected):
            one.assessments.start(other, "即时评估")
        with pytest.raises(InputRejected):
            one.elders.save(dataclasses.replace(merged, phone="13900000067"))
        current = one.assessments.current(other)
        assert current is not None
        with pytest.raises(InputRejected):
            one.assessments.correct(current.assessment_id, "核对后更正")

    # Undoing the merge: A's record has its history back, B's record no longer shows it.
    _county(server, capsys, "unmerge", other, "--why", "经核实为两个人")
    assert _head_townships(server, set(history)) == {towns["a"]}
    assert _figures(server, capsys, towns) == before
    for name in ("three", "one"):
        fleet.ok(name, "run")
    with fleet.open("three") as three:
        assert shown_assessments(three, keep) == {}
        assert three.assessments.current(keep) is None
    with fleet.open("one") as one:
        assert one.elders.get(other).status == "active"
        back = shown_assessments(one, other)
        assert set(back) == set(history)
        assert all(back[a][0] > history[a][0] for a in history)
        assert one.assessments.current(other) is not None
    # Repeated syncs change nothing.
    for name in ("three", "one"):
        fleet.ok(name, "run")
    with fleet.open("three") as three:
        assert shown_assessments(three, keep) == {}
