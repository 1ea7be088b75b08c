"""County statistics over synced records, computed by the laptops' statistics code.

Against real servers (uvicorn, SQLite and PostgreSQL): an elder counts once, with the
server's grade of its latest finalized assessment (a superseded one never counts, a wrong
claimed grade neither); a transferred elder counts in its new township; the county's Excel
workbook (``yinling county stats --out`` and the dashboard download) agrees table for table
with what the township's own laptop computes over the same records after a pull; the
download needs a session; bad options are refused with nothing written.
"""

from __future__ import annotations

import io
import json
import random
import uuid
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest
import yaml
from sqlalchemy import insert

from assessment.cli import main
from assessment.documents.exports import read_statistics_xlsx
from assessment.documents.frames import statistics_input
from assessment.documents.statistics import (
    TOTAL,
    TOWNSHIP,
    VILLAGE,
    StatisticsInput,
    compute_statistics,
)
from assessment.eligibility.registry import bundled_lists_dir
from assessment.forms import default_form
from assessment.ids import new_id
from assessment.records.api import AssessmentRecord, AssessmentStatus, RegisterFilter
from assessment.records.demo import DEMO_PASSWORD
from assessment.records.workspace import Workspace
from assessment.scoring import Grader
from server import county
from server.config import Settings
from server.context import ServerContext
from server.county_lists import county_lists
from server.db.tables import list_versions
from server.stats import county_workbook
from server.stats_frames import county_statistics_input, county_townships
from server.web.session import SESSION_COOKIE
from testkit.process import ServerProcess
from testkit.synthetic import assessment_payload, elder_payload
from tests.server.conftest import ServerFactory
from tests.server.support import Laptop
from tests.server.test_pages import sign_in
from tests.server.townships import Fleet

UI = "/admin/ui"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Tables that do not depend on who computes them (not the names in the due list).
COMPARED = ("能力等级", "年龄与性别", "服务项目符合人数", "期间评估", "复评到期")


def county_argv(server: ServerProcess, *argv: str) -> list[str]:
    """``yinling county`` on the server's data folder and database."""
    return ["county", "--data-dir", str(server.data_dir),
            *(["--db", server.db_url] if server.db_url else []), *argv]


def row_of(summary: dict[str, Any], code: str) -> dict[str, Any]:
    """One township's row of a statistics summary."""
    row: dict[str, Any] = next(t for t in summary["townships"] if t["township"] == code)
    return row


# --- exact counts over hand-made records -----------------------------------------------------


def dated(payload: dict[str, Any], day: str | None, reason: str = "常规评估") -> dict[str, Any]:
    """An assessment payload with its reference date (A.1.2) and reason (A.1.3)."""
    if day is not None:
        payload["answers"]["A.1.2"] = payload["reference_date"] = day
    payload["answers"]["A.1.3"] = payload["reason"] = reason
    return payload


def test_each_elder_counts_once_with_the_server_grade_of_its_latest_finalized_assessment(
        shared_server: ServerProcess, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    server, tag = shared_server, uuid.uuid4().hex[:8]
    admin = server.admin()
    code = f"s{tag}"
    admin.setup_township(code, [f"s1{tag}"])
    laptop = Laptop.enrol(tmp_path / "laptop", server.url, admin.code(f"s1{tag}"))
    rng, grader, rules = random.Random(11), Grader(), server.rules_hash()

    def graded(elder_id: str, status: str = "finalized", *, avoid: set[int]) -> dict[str, Any]:
        while True:
            payload = assessment_payload(grader, rng, elder_id, status, rules_hash=rules)
            if payload["final_grade"] not in avoid:
                return payload

    twice, never, overdue, undated = new_id(), new_id(), new_id(), new_id()
    first = dated(graded(twice, avoid=set()), "2024-03-01", "首次评估")
    latest = dated(graded(twice, avoid={first["final_grade"]}), "2025-03-01")
    # A later-dated assessment that was superseded: never the current one.
    superseded = dated(graded(twice, "superseded", avoid={latest["final_grade"]}), "2025-06-01")
    wrong_claim = {**latest, "final_grade": (latest["final_grade"] + 1) % 5}
    draft = dated(graded(never, "draft", avoid=set()), "2025-07-01")
    old = dated(graded(overdue, avoid=set()), "2024-01-15", "首次评估")
    no_date = dated(graded(undated, avoid=set()), None)
    changes = [("elder", e, elder_payload(rng)) for e in (twice, never, overdue, undated)]
    changes += [("assessment", new_id(), p)
                for p in (first, wrong_claim, superseded, draft, old, no_date)]
    laptop.outbox.record_many(changes)
    with laptop.client() as client:
        report = client.push()
    assert (report.applied, report.quarantined) == (len(changes), 0)

    summary = admin.call("GET", "/admin/stats", params={"as_of": "2025-12-31"})
    assert (summary["as_of"], summary["period"]) == ("2025-12-31", ["2025-01-01", "2025-12-31"])
    row = row_of(summary, code)
    expected = Counter(str(p["final_grade"]) for p in (latest, old, no_date))
    assert row["grades"] == {str(g): expected.get(str(g), 0) for g in range(5)}
    assert (row["elders"], row["assessed"], row["never"]) == (4, 3, 1)
    # Finalized heads held: first, latest, old, no_date (the superseded one and the draft not).
    assert row["assessments"] == 4
    # Dated in 2025: latest and the superseded one (as the laptops count the period).
    assert row["period_assessments"] == 2
    assert (row["due"], row["due_soon"]) == (1, 0)
    assert summary["open"]["mismatches"] >= 1  # the wrong claim is for review, not counted

    code_cli = main(county_argv(server, "stats", "--as-of", "2025-12-31"))
    out, _ = capsys.readouterr()
    assert code_cli == 0
    assert row_of(json.loads(out), code) == row

    # The summary is kept between visits, but a new arrival shows at once.
    assert row_of(admin.call("GET", "/admin/stats", params={"as_of": "2025-12-31"}),
                  code) == row
    laptop.outbox.record("elder", new_id(), elder_payload(rng))
    with laptop.client() as client:
        assert client.push().applied == 1
    laptop.close()
    after = row_of(admin.call("GET", "/admin/stats", params={"as_of": "2025-12-31"}), code)
    assert (after["elders"], after["assessed"], after["never"]) == (5, 3, 2)


# --- laptops, a correction, a re-assessment and a transfer -----------------------------------


def _reassess(ws: Workspace, elder_id: str, *, correct: bool) -> AssessmentRecord:
    """A correction (same visit) or a routine re-assessment today, graded differently from
    the elder's current assessment; the new finalized assessment."""
    current = ws.assessments.current(elder_id)
    assert current is not None
    assert current.final_grade is not None
    draft = (ws.assessments.correct(current.assessment_id, "核对后更正") if correct
             else ws.assessments.start(elder_id, "常规评估"))
    answers = {k: v for k, v in current.answers.items() if k not in ("A.1.1", "B.3.9.state")}
    answers["A.1.2"], answers["A.1.3"] = draft.answers["A.1.2"], draft.answers["A.1.3"]
    lowest = current.final_grade != 4  # all lowest scores give 4, all highest never do
    for item in default_form().items:
        answers[item.key] = min(item.scores) if lowest else max(item.scores)
    if lowest:
        answers["B.3.9.state"] = "昏睡"
    ws.assessments.autosave(draft.assessment_id, answers)
    done = ws.assessments.finalize(draft.assessment_id)
    assert done.final_grade is not None
    assert done.final_grade != current.final_grade
    return done


def graded_elders(ws: Workspace) -> list[str]:
    """The elders of a laptop's roster with a current grade."""
    return [r.elder_id for r in ws.elders.page(RegisterFilter(), 0, 1000) if r.grade is not None]


def laptop_statistics(fleet: Fleet, name: str, as_of: date, *,
                      leaving: str | None = None) -> dict[str, pd.DataFrame]:
    """The laptop's own statistics tables over everything it holds (``leaving``: an elder it
    holds as transferred out, which it no longer reports)."""
    with fleet.open(name) as ws:
        source = statistics_input(ws, as_of)
    elders = source.elders[source.elders["elder_id"] != leaving]
    stats = compute_statistics(StatisticsInput(elders, source.assessments, source.eligibility,
                                               source.item_names), as_of=as_of)
    return stats.tables()


def by_village(table: pd.DataFrame, township: str | None = None) -> pd.DataFrame:
    """A per-village table without its 合计 row, of one township (all when None)."""
    rows = table[table[TOWNSHIP] != TOTAL]
    if township is not None:
        rows = rows[rows[TOWNSHIP] == township]
    out = rows.drop(columns=[TOWNSHIP]).groupby(VILLAGE).sum().sort_index()
    return out.astype("int64")


def assert_same_tables(county: dict[str, pd.DataFrame], township: str,
                       laptop: dict[str, pd.DataFrame]) -> None:
    """The county's rows of ``township`` equal the laptop's rows, table by table."""
    for title in COMPARED:
        mine = by_village(county[title], township)
        theirs = by_village(laptop[title])
        assert not mine.empty, title
        pd.testing.assert_frame_equal(mine, theirs, check_names=False, obj=title)


@pytest.fixture
def fleet(tmp_path: Path, capsys: pytest.CaptureFixture[str],
          monkeypatch: pytest.MonkeyPatch) -> Fleet:
    """Laptops one and two (township A) and three (township B)."""
    monkeypatch.setenv("YINLING_PASSWORD", DEMO_PASSWORD)
    laptops = Fleet(tmp_path, capsys)
    for seed, name in enumerate(("one", "two", "three"), start=71):
        laptops.add(name, seed, elders=8)
    return laptops


def test_county_statistics_and_workbook_agree_with_the_laptops(
        shared_server: ServerProcess, fleet: Fleet, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    server, tag = shared_server, uuid.uuid4().hex[:8]
    admin = server.admin()
    town_a, town_b = f"a{tag}", f"b{tag}"
    admin.setup_township(town_a, [f"a1{tag}", f"a2{tag}"])
    admin.setup_township(town_b, [f"b1{tag}"])
    for name, user in (("one", f"a1{tag}"), ("two", f"a2{tag}"), ("three", f"b1{tag}")):
        fleet.enrol(name, server, admin, user)

    with fleet.open("one") as one:
        corrected, reassessed = graded_elders(one)[:2]
        correction = _reassess(one, corrected, correct=True)
        routine = _reassess(one, reassessed, correct=False)
        statuses = sorted(r.status.value for r in one.assessments.for_elder(corrected))
        assert statuses == ["finalized", "superseded"]
    with fleet.open("two") as two:
        moving = graded_elders(two)[0]
        moving_current = two.assessments.current(moving)
        assert moving_current is not None
    for name in ("one", "two", "three"):
        fleet.ok(name, "run")
    moved = admin.call("POST", f"/admin/elders/{moving}/transfer", json={"to": town_b})
    assert moved["to"] == town_b
    for name in ("one", "three"):
        fleet.ok(name, "run")

    # The frames: one row per elder, the current grade of its latest finalized assessment,
    # the township the county holds it in.
    as_of = date.today()
    engine = server.engine()
    try:
        with engine.connect() as conn:
            source = county_statistics_input(conn, as_of)
    finally:
        engine.dispose()
    elders = source.elders.set_index("elder_id")
    assert elders.index.is_unique
    assert elders.at[corrected, "current_grade"] == correction.final_grade
    assert elders.at[reassessed, "current_grade"] == routine.final_grade
    assert routine.reference_date is not None
    assert elders.at[reassessed, "last_assessed"] == pd.Timestamp(routine.reference_date)
    assert elders.at[moving, "township_code"] == town_b
    assert elders.at[moving, "township"] == f"{town_b}镇"
    assert elders.at[moving, "current_grade"] == moving_current.final_grade

    # The summary counts what the laptops hold, per elder.
    with fleet.open("one") as one:
        roster_a = {r.elder_id: r.grade for r in one.elders.page(RegisterFilter(), 0, 1000)
                    if r.elder_id != moving}
        finalized_a = sum(1 for e in roster_a for r in one.assessments.for_elder(e)
                          if r.status is AssessmentStatus.FINALIZED)
    with fleet.open("three") as three:
        roster_b = {r.elder_id: r.grade for r in three.elders.page(RegisterFilter(), 0, 1000)}
    assert moving in roster_b
    summary = admin.call("GET", "/admin/stats", params={"as_of": as_of.isoformat()})
    for town, roster in ((town_a, roster_a), (town_b, roster_b)):
        row = row_of(summary, town)
        grades = Counter(g for g in roster.values() if g is not None)
        assert row["grades"] == {str(g): grades.get(g, 0) for g in range(5)}, town
        assert (row["elders"], row["never"]) == (len(roster), list(roster.values()).count(None))
    assert row_of(summary, town_a)["assessments"] == finalized_a

    # The workbook by command agrees with each township's laptop, table by table.
    out = tmp_path / "全县统计.xlsx"
    code = main(county_argv(server, "stats", "--out", str(out), "--as-of", as_of.isoformat()))
    printed, err = capsys.readouterr()
    assert code == 0, err
    assert f"已导出：{out}" in printed
    workbook = read_statistics_xlsx(out)
    assert_same_tables(workbook, f"{town_a}镇",
                       laptop_statistics(fleet, "one", as_of, leaving=moving))
    assert_same_tables(workbook, f"{town_b}镇", laptop_statistics(fleet, "three", as_of))
    assert not (workbook["服务项目汇总"]["符合"] == 0).all()

    # The dashboard shows the same counts and links the workbook, which needs a session.
    with httpx.Client(base_url=server.url, headers={"Origin": server.url}, timeout=300) as browser:
        answer = browser.get(f"{UI}/stats.xlsx")
        assert (answer.status_code, answer.headers["location"]) == (303, f"{UI}/login")
        with httpx.Client(base_url=server.url,
                          headers={"Origin": server.url},
                          cookies={SESSION_COOKIE: "made-up"}) as guess:
            assert guess.get(f"{UI}/stats.xlsx").status_code == 303
        sign_in(browser, server)
        dashboard = browser.get(UI).text
        assert f"{UI}/stats.xlsx" in dashboard
        assert "未评估" in dashboard
        assert "复评已到期" in dashboard
        answer = browser.get(f"{UI}/stats.xlsx")
        assert answer.status_code == 200
        assert answer.headers["content-type"] == XLSX
        assert "attachment" in answer.headers["content-disposition"]
        downloaded = pd.read_excel(io.BytesIO(answer.content), sheet_name=None)
        about = dict(zip(downloaded["说明"]["项目"], downloaded["说明"]["内容"], strict=True))
        assert about["期间评估起始日"] == f"{as_of.year}-01-01"
        pd.testing.assert_frame_equal(downloaded["能力等级"], workbook["能力等级"])
        refused = browser.get(f"{UI}/stats.xlsx", params={"as_of": "2025-13-01"})
        assert refused.status_code == 400
        assert "统计日期 应为 YYYY-MM-DD 格式的日期" in refused.text


# --- options, lists ---------------------------------------------------------------------------


def test_stats_command_refuses_bad_options_and_writes_nothing(
        shared_server: ServerProcess, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "统计.xlsx"
    for argv, message in ((["--out", str(tmp_path / "统计.csv")], "输出文件应为 .xlsx"),
                          (["--out", str(out), "--from", "2025-02-30"], "--from 应为"),
                          (["--out", str(out), "--from", "2025-06-01", "--to", "2025-01-01"],
                           "起始日晚于截止日"),
                          (["--from", "2025-01-01"], "只用于导出"),
                          (["--as-of", "昨天"], "--as-of 应为")):
        code = main(county_argv(shared_server, "stats", *argv))
        _, err = capsys.readouterr()
        assert code == 1, argv
        assert message in err, (argv, err)
    assert list(tmp_path.iterdir()) == []
    code = main(county_argv(shared_server, "stats", "--out",
                            str(tmp_path / "missing" / "统计.xlsx")))
    _, err = capsys.readouterr()
    assert code == 1
    assert "无法写入" in err


def test_published_lists_are_matched_and_a_bad_one_is_left_out(
        db_url: str, start_server: ServerFactory, tmp_path: Path) -> None:
    server = start_server(db_url)  # its own server: laptops elsewhere would install the lists
    admin, tag = server.admin(), uuid.uuid4().hex[:8]
    admin.setup_township(f"p{tag}", [f"p1{tag}"])
    provisional = yaml.safe_load((bundled_lists_dir() / "shanxi-provisional.yaml")
                                 .read_text(encoding="utf-8"))
    renamed = {**provisional, "version": "2024.9", "effective_from": "2024-01-01",
               "items": [{**item, "name": f"{item['name']}（县级发布）"}
                         for item in provisional["items"]]}
    admin.call("POST", "/admin/lists", json={"list_id": "shanxi-provisional", "version": 2,
                                             "content": yaml.safe_dump(renamed,
                                                                       allow_unicode=True)})
    broken = {"list_id": "shanxi-provisional", "version": 3, "content": "kind: service-list\n"}
    with httpx.Client(base_url=server.url, headers={"Origin": server.url}) as http:
        refused = http.post("/admin/lists", json=broken,
                            headers={"Authorization": f"Bearer {admin.token}"})
    assert refused.status_code == 400
    assert "清单文件无效" in refused.json()["detail"]
    # One stored anyway (by a county release that did not check): left out, not fatal.
    engine = server.engine()
    try:
        with engine.begin() as conn:
            conn.execute(insert(list_versions).values(
                list_id="shanxi-provisional", version=3, sha256="0" * 64,
                content=broken["content"], published_at=datetime.now(UTC)))
    finally:
        engine.dispose()
    laptop = Laptop.enrol(tmp_path / "laptop", server.url, admin.code(f"p1{tag}"))
    rng = random.Random(5)
    elder_id = new_id()
    laptop.outbox.record_many([("elder", elder_id, {**elder_payload(rng),
                                                    "birth_date": "1940-05-01"})])
    with laptop.client() as client:
        assert client.push().applied == 1
    laptop.close()

    engine = server.engine()
    try:
        with engine.connect() as conn:
            lists = county_lists(conn)
            stats = county_workbook(conn, as_of=date(2025, 6, 1))
    finally:
        engine.dispose()
    in_force = lists.version_on("shanxi-provisional", date(2025, 6, 1))
    assert in_force.ref == "shanxi-provisional@2024.9"
    assert in_force.file == "county:shanxi-provisional/2"
    assert not any(v.file.endswith("/3") for v in lists.versions)
    assert "shanxi-provisional@2026.12" in {v.ref for v in lists.versions}
    summary = stats.eligibility_summary.set_index("项目编号")
    assert summary.at["N02", "服务项目"] == "高龄津贴（县级发布）"
    assert summary.at["N02", "符合"] == 1  # 85 on the as-of date
    assert stats.grades.iloc[-1][TOTAL] == 1


def test_townships_of_one_name_are_told_apart_by_their_codes(db_url: str,
                                                             tmp_path: Path) -> None:
    with ServerContext.open(Settings(data_dir=tmp_path / "county", db_url=db_url)) as ctx:
        with ctx.engine.begin() as conn:
            for code, name in (("140404100", "西火镇"), ("140405100", "西火镇"),
                               ("140404101", "八义镇")):
                county.add_township(conn, code, name, "test")
        with ctx.engine.connect() as conn:
            labels = {t.code: t.label for t in county_townships(conn)}
    assert labels == {"140404100": "西火镇（140404100）", "140405100": "西火镇（140405100）",
                      "140404101": "八义镇"}
