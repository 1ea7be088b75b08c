"""The registry's lifecycle across sync, with two demo laptops and a real county server.

A death recorded offline on one laptop meets an assessment started on the other laptop: the
county quarantines the assessment with code ``deregistered`` (never applied, never bringing
the elder back) and the news reaches the second laptop, which then refuses new work. A merge
decided at the county re-points the merged record's assessments on the county and on both
laptops, and undoing it puts everything back.
"""

from __future__ import annotations

import csv
import dataclasses
import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from assessment.cli import main
from assessment.errors import InputRejected
from assessment.records.api import AssessmentStatus, RegisterFilter
from assessment.records.demo import DEMO_PASSWORD, DEMO_SUPERVISOR
from testkit.process import ServerProcess
from tests.server.test_two_laptops import Laptops


@pytest.fixture
def laptops(tmp_path: Path, capsys: pytest.CaptureFixture[str],
            monkeypatch: pytest.MonkeyPatch) -> Laptops:
    monkeypatch.setenv("YINLING_PASSWORD", DEMO_PASSWORD)
    return Laptops(tmp_path, capsys)


def _county(server: ServerProcess, capsys: pytest.CaptureFixture[str], *argv: str) -> object:
    base = ["county", "--data-dir", str(server.data_dir)]
    base += ["--db", server.db_url] if server.db_url else []
    code = main([*base, "registry", *argv])
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out)


def _county_elders(server: ServerProcess, capsys: pytest.CaptureFixture[str],
                   township: str) -> int:
    """Elders on the roll in a township, as ``yinling county stats`` counts them."""
    base = ["county", "--data-dir", str(server.data_dir)]
    base += ["--db", server.db_url] if server.db_url else []
    assert main([*base, "stats"]) == 0
    summary = json.loads(capsys.readouterr().out)
    return int(next(r["elders"] for r in summary["townships"] if r["township"] == township))


def test_death_offline_meets_assessment_and_merge_reaches_both_laptops(
        shared_server: ServerProcess, laptops: Laptops,
        capsys: pytest.CaptureFixture[str]) -> None:
    server = shared_server
    admin = server.admin()
    tag = __import__("uuid").uuid4().hex[:8]
    township = f"r{tag}"
    admin.setup_township(township, [f"a{tag}", f"b{tag}"])
    laptops.ok("one", "enrol", "--server", server.url, "--code", admin.code(f"a{tag}"))
    laptops.ok("two", "enrol", "--server", server.url, "--code", admin.code(f"b{tag}"))
    for name in ("one", "two", "one", "two"):
        laptops.ok(name, "run")
    assert _county_elders(server, capsys, township) == 10

    # Laptop one records a death offline; laptop two starts an assessment of the same elder.
    with laptops.open("one") as one:
        elder_id = one.elders.page(RegisterFilter(), 0, 1)[0].elder_id
        one.registry.deregister(elder_id, "死亡", date.today() - timedelta(days=2), "村委会告知")
    with laptops.open("two") as two:
        draft = two.assessments.start(elder_id, "常规评估")
        two.assessments.autosave(draft.assessment_id, {**draft.answers, "B.1.1": 4})
        before = two.elders.get(elder_id)
        two.elders.save(dataclasses.replace(before, phone="13900000077"))
    laptops.ok("one", "run")
    laptops.ok("two", "run")
    held = server.query("SELECT code, status FROM quarantine WHERE record_id = :r",
                        r=draft.assessment_id)
    assert held
    assert {code for code, _ in held} == {"deregistered"}
    assert server.query("SELECT 1 FROM record_heads WHERE record_id = :r",
                        r=draft.assessment_id) == []
    # The profile edit made before the news is held for review too, never applied.
    assert {c for (c,) in server.query(
        "SELECT code FROM quarantine WHERE record_type = 'elder' AND record_id = :r",
        r=elder_id)} == {"deregistered"}
    held_profile = json.loads(server.scalar(
        "SELECT payload FROM record_heads WHERE record_type = 'elder' AND record_id = :r",
        r=elder_id))
    assert held_profile["phone"] != "13900000077"
    status = json.loads(server.scalar(
        "SELECT payload FROM record_heads WHERE record_type = 'elder_status' "
        "AND record_id = :r", r=elder_id))
    assert (status["status"], status["reason"]) == ("deregistered", "death")
    # Current statistics at the county leave the elder out.
    assert _county_elders(server, capsys, township) == 9
    with laptops.open("two") as two:
        assert two.elders.get(elder_id).status == "deregistered"
        with pytest.raises(InputRejected):
            two.assessments.start(elder_id, "即时评估")
        with pytest.raises(InputRejected):
            two.assessments.finalize(draft.assessment_id)

    # The county merges two records of the township; both laptops follow.
    with laptops.open("one") as one:
        graded = [r.elder_id for r in one.elders.page(RegisterFilter(), 0, 100)
                  if r.grade is not None and r.elder_id != elder_id]
        keep, other = graded[0], graded[1]
        moved = {a.assessment_id for a in one.assessments.for_elder(other)
                 if a.status is not AssessmentStatus.DRAFT}
    assert moved
    done = _county(server, capsys, "merge", keep, other, "--note", "同一人两次登记")
    assert done == {"keep": keep, "other": other, "assessments": len(moved),
                    "note": "同一人两次登记"}
    assert {str(r) for (r,) in server.query(
        "SELECT record_id FROM record_heads WHERE record_type = 'assessment' "
        "AND elder_id = :k", k=keep)} >= moved
    for name in ("one", "two"):
        laptops.ok(name, "run")
    for name in ("one", "two"):
        with laptops.open(name) as ws:
            merged = ws.elders.get(other)
            assert (merged.status, merged.merged_into) == ("merged", keep)
            assert moved <= {a.assessment_id for a in ws.assessments.for_elder(keep)}
            assert not moved & {a.assessment_id for a in ws.assessments.for_elder(other)}
            with pytest.raises(InputRejected):
                ws.assessments.start(other, "即时评估")
    queue = _county(server, capsys, "duplicates")
    assert isinstance(queue, list)

    # Undoing the merge puts both histories back where they were.
    _county(server, capsys, "unmerge", other, "--why", "经核实为两个人")
    # Within one township the feed needs no copies (they are for a kept record elsewhere).
    names = ", ".join(f":a{i}" for i in range(len(moved)))
    assert server.query(
        "SELECT record_id FROM received_changes WHERE source = 'transfer' "
        f"AND record_id IN ({names})", **{f"a{i}": a for i, a in enumerate(sorted(moved))}) == []
    for name in ("one", "two"):
        laptops.ok(name, "run")
    for name in ("one", "two"):
        with laptops.open(name) as ws:
            assert ws.elders.get(other).status == "active"
            assert moved <= {a.assessment_id for a in ws.assessments.for_elder(other)}
    actions = [a for (a,) in server.query(
        "SELECT action FROM audit WHERE action LIKE 'elder.%merge'")]
    assert "elder.merge" in actions
    assert "elder.unmerge" in actions


def test_county_roster_import_reaches_the_laptops_with_provenance(
        shared_server: ServerProcess, laptops: Laptops, capsys: pytest.CaptureFixture[str],
        tmp_path: Path) -> None:
    server = shared_server
    admin = server.admin()
    tag = __import__("uuid").uuid4().hex[:8]
    admin.setup_township(f"i{tag}", [f"a{tag}", f"b{tag}"])
    laptops.ok("one", "enrol", "--server", server.url, "--code", admin.code(f"a{tag}"))
    laptops.ok("two", "enrol", "--server", server.url, "--code", admin.code(f"b{tag}"))
    for name in ("one", "two", "one"):
        laptops.ok(name, "run")
    with laptops.open("one") as one:
        people = [one.elders.get(r.elder_id) for r in one.elders.page(RegisterFilter(), 0, 100)]
    chosen = [p for p in people if p.id_number][:2]
    unknown = "110101193001010018"
    roster = tmp_path / "tekun.csv"
    roster.write_bytes("\n".join(
        ["公民身份号码,姓名", *(f"{p.id_number},{p.name}" for p in chosen),
         f"{unknown},某人", "bad,坏行"]).encode("gbk"))
    args = [str(roster), "--kind", "tekun_centralized", "--source", "县民政局",
            "--as-of", date.today().isoformat()]
    dry = _county(server, capsys, "import", *args, "--dry-run")
    assert isinstance(dry, dict)
    assert (dry["dry_run"], dry["applied"], dry["matched"]) == (True, False, 2)
    summary = _county(server, capsys, "import", *args)
    assert isinstance(summary, dict)
    assert summary["applied"] is True
    assert summary["updated"] == dry["updated"] == 2
    assert summary["unknown_ids"] == [{"row": 4, "id_number": unknown}]
    assert [(r["row"], r["field"]) for r in summary["refused"]] == [(5, "公民身份号码")]
    assert summary["newly_eligible"], "特困 status opens service items"
    laptops.ok("one", "run")
    laptops.ok("two", "run")
    for name in ("one", "two"):
        with laptops.open(name) as ws:
            for person in chosen:
                got = ws.elders.get(person.elder_id)
                assert got.attributes["assistance_status"] == "tekun_centralized"
                assert got.provenance["assistance_status"]["import_id"] == \
                    summary["import_id"]
    # The county's registry export has the laptops' columns and, for this township's elders,
    # the laptops' cells (the township is the one the county holds them in).
    base = ["county", "--data-dir", str(server.data_dir)]
    base += ["--db", server.db_url] if server.db_url else []
    county_csv, laptop_csv = tmp_path / "county.csv", tmp_path / "laptop.csv"
    assert main([*base, "registry", "export", "--out", str(county_csv)]) == 0
    assert main(["registry", "export", "--out", str(laptop_csv), "--data-dir",
                 str(laptops.dirs["one"]), "--user", DEMO_SUPERVISOR]) == 0
    capsys.readouterr()
    assert county_csv.read_bytes().startswith(b"\xef\xbb\xbf")
    county_rows = list(csv.reader(county_csv.read_text(encoding="utf-8-sig").splitlines()))
    laptop_rows = list(csv.reader(laptop_csv.read_text(encoding="utf-8-sig").splitlines()))
    assert county_rows[0] == laptop_rows[0]
    town = county_rows[0].index("乡镇")
    cells = {r[0]: r[:town] + r[town + 1:] for r in county_rows[1:] if r[town] == f"i{tag}镇"}
    assert cells == {r[0]: r[:town] + r[town + 1:] for r in laptop_rows[1:]}
    status = county_rows[0].index("救助身份") - 1  # without the township column
    for person in chosen:
        assert cells[str(person.id_number)][status:status + 2] == [
            "特困人员（集中供养）", f"县民政局 {date.today().isoformat()}（导入 "
            f"{summary['import_id'][-8:]}）"]
    assert server.scalar("SELECT action FROM audit WHERE action = 'registry.export'") == \
        "registry.export"
    # An older roster that contradicts a newer entry goes to review, and the reviewer may
    # choose the roster's value.
    target = chosen[0]
    with laptops.open("one") as one:
        mine = one.elders.get(target.elder_id)
        one.elders.save(dataclasses.replace(mine, attributes={
            **mine.attributes, "fp_special_family": "none"}))
    laptops.ok("one", "run")
    old = tmp_path / "weijian.csv"
    old.write_text(f"公民身份号码,计生类别\n{target.id_number},失独\n", encoding="utf-8")
    summary = _county(server, capsys, "import", str(old), "--kind", "fp_special", "--source",
                      "县卫健局", "--as-of", "2020-01-01")
    assert isinstance(summary, dict)
    assert [c["id_number"] for c in summary["contradictions"]] == [target.id_number]
    assert summary["updated"] == 0
    conflicts = admin.call("GET", "/admin/review/conflicts", params={"township": f"i{tag}"})
    (item,) = [c for c in conflicts if c["field"] == "attributes.fp_special_family"]
    assert main([*base, "review", "resolve", "conflicts", str(item["id"]),
                 "prefer_other"]) == 0
    capsys.readouterr()
    laptops.ok("two", "run")
    with laptops.open("two") as two:
        assert two.elders.get(target.elder_id).attributes["fp_special_family"] == "shidu"
