"""探访关爱 end to end: visits recorded offline on laptops reach the county — one by push,
one in a bundle on the same per-device chain — the other laptop of the township sees them
after a pull, and the county's monthly visit rate (admin API, dashboard, workbook) matches
the laptop's own. A laptop may not record visits about another township's elder."""

from __future__ import annotations

import io
import json
from datetime import date, timedelta
from pathlib import Path

import httpx
import pandas as pd
import pytest

from assessment.records.demo import DEMO_PASSWORD, DEMO_SUPERVISOR
from assessment.records.workspace import Workspace
from assessment.usecases.visits import visit_plan
from server.visit_stats import county_visit_measure
from testkit.process import ServerProcess
from tests.records.conftest import complete_answers, elder
from tests.server.test_county_stats import row_of
from tests.server.test_pages import UI, sign_in
from tests.server.townships import Fleet
from tests.visits.conftest import visit

TODAY = date.today()
MONTH = TODAY.strftime("%Y-%m")


@pytest.fixture
def fleet(tmp_path: Path, capsys: pytest.CaptureFixture[str],
          monkeypatch: pytest.MonkeyPatch) -> Fleet:
    """Laptops one and two (township A, two carries bundles) and three (township B)."""
    monkeypatch.setenv("YINLING_PASSWORD", DEMO_PASSWORD)
    laptops = Fleet(tmp_path, capsys)
    for seed, name in enumerate(("one", "two", "three"), start=71):
        laptops.add(name, seed, elders=6)
    return laptops


def first_in_plan(ws: Workspace) -> str:
    return visit_plan(ws, TODAY).rows[0].elder_id


def test_visits_reach_the_county_rate_by_push_and_by_bundle(
        shared_server: ServerProcess, fleet: Fleet, tmp_path: Path) -> None:
    server = shared_server
    admin = server.admin()
    towns = fleet.townships(server, admin, {"a": ["one", "two"], "b": ["three"]})
    for name in ("one", "two", "three"):
        fleet.ok(name, "run")  # every laptop's elders reach the county
    fleet.ok("one", "pull")
    fleet.ok("two", "pull")
    with fleet.open("one") as one:
        elder_one = first_in_plan(one)
        one.visits.record(elder_one, visit(referrals=[
            {"kind": "department", "target": "乡镇卫生院", "note": "血压高"}]))
        laptop_rate = one.visits.measure(MONTH, TODAY)
    fleet.ok("one", "push")
    with fleet.open("two") as two:
        plan_two = visit_plan(two, TODAY)
        others = [r.elder_id for r in plan_two.rows if r.elder_id != elder_one]
        two.visits.record(others[0], visit(change_found=True, change_note="摔了一跤"))
    bundle = tmp_path / "usb" / "two.ylb"
    bundle.parent.mkdir()
    fleet.ok("two", "export-bundle", "--out", str(bundle))
    receipt = admin.call("POST", "/admin/bundles", content=bundle.read_bytes())
    receipt_file = bundle.parent / "receipt.json"
    receipt_file.write_text(json.dumps(receipt, ensure_ascii=False), encoding="utf-8")
    fleet.ok("two", "import-receipt", str(receipt_file))
    assert fleet.status("two")["pending"] == 0

    # Laptop one pulls laptop two's visit: the township's rate is the same on both laptops.
    fleet.ok("one", "pull")
    with fleet.open("one") as one:
        pulled = one.visits.measure(MONTH, TODAY)
        assert len(one.visits.visits_for(others[0])) == 1
    total = pulled.iloc[-1]
    assert total["本月已探访人数"] == laptop_rate.iloc[-1]["本月已探访人数"] + 1 == 2

    # The county: same figures for township A, nothing visited in B.
    summary = admin.call("GET", "/admin/stats", params={"as_of": TODAY.isoformat()})
    assert summary["visit_month"] == MONTH
    row_a, row_b = row_of(summary, towns["a"]), row_of(summary, towns["b"])
    assert (row_a["visits_planned"], row_a["visited"]) == \
        (int(total["应探访人数"]), 2)
    assert row_a["visit_rate"] == pytest.approx(float(total["月探访率（%）"]))
    assert (row_a["referrals_open"], row_a["referrals_closed"]) == (1, 0)
    assert row_b["visited"] == 0
    assert row_b["visits_planned"] > 0

    with httpx.Client(base_url=server.url, headers={"Origin": server.url},
                      timeout=300) as browser:
        sign_in(browser, server)
        dashboard = browser.get(UI).text
        assert f"探访关爱（{MONTH}）" in dashboard
        assert "月探访率" in dashboard
        assert "未保存历史" in dashboard  # how a month's tiers are computed, said on screen
        workbook = browser.get(f"{UI}/stats.xlsx", params={"as_of": TODAY.isoformat()})
        sheets = pd.read_excel(io.BytesIO(workbook.content), sheet_name=None)
    county_total = sheets["月探访率"].iloc[-1]
    assert county_total["本月已探访人数"] == 2
    assert county_total["转介未办结"] == 1
    about = dict(zip(sheets["说明"]["项目"], sheets["说明"]["内容"], strict=True))
    assert "按当前记录计算" in about["月探访率口径"]

    # Last month at the county and on a laptop of the township: the same elders to visit,
    # each with the grade of the assessment current then (赵六: grade 0 last month, not in
    # the plan; grade 4 this month, 重点).
    month_end = TODAY.replace(day=1) - timedelta(days=1)
    last_month = month_end.strftime("%Y-%m")
    with fleet.open("one") as one:
        zhao = one.elders.create(elder(
            "赵六", sequence=907, birth=date(1950, 5, 1), village="东关村",
            attributes={"assistance_status": "none", "living": ["与子女居住"],
                        "area_type": "urban", "fp_special_family": "none",
                        "disability_cert": "none"}))
        signers = {"sign.assessor_1": DEMO_SUPERVISOR, "sign.assessor_2": "pinggu1"}
        for day, score in ((month_end.replace(day=10), "max"), (TODAY, "min")):
            draft = one.assessments.start(zhao.elder_id, "首次评估")
            one.assessments.autosave(draft.assessment_id, complete_answers(
                draft.answers, {"A.1.2": day.isoformat(), **signers}, score=score))
            one.assessments.finalize(draft.assessment_id)
        laptop_then = one.visits.measure(last_month, TODAY)
    fleet.ok("one", "push")
    engine = server.engine()
    try:
        with engine.connect() as conn:
            county_then = county_visit_measure(conn, last_month, TODAY, by_code=True)
            county_now = county_visit_measure(conn, MONTH, TODAY, by_code=True)
    finally:
        engine.dispose()

    def villages(table: pd.DataFrame) -> dict[str, int]:
        mine = table[table["乡镇（街道）"] == towns["a"]]
        return {str(v): int(n) for v, n in zip(mine["村（社区）"], mine["应探访人数"],
                                               strict=True)}

    assert villages(county_now)["东关村"] == 1
    assert "东关村" not in villages(county_then)
    assert "东关村" not in set(laptop_then["村（社区）"])
    assert villages(county_then)["小计"] == int(laptop_then.iloc[-1]["应探访人数"])


def test_a_visit_about_another_townships_elder_is_quarantined(
        shared_server: ServerProcess, fleet: Fleet) -> None:
    """Attack: laptop three (township B) pushes a visit naming an elder of township A."""
    server = shared_server
    admin = server.admin()
    towns = fleet.townships(server, admin, {"a": ["one"], "b": ["three"]})
    fleet.ok("one", "run")
    with fleet.open("one") as one:
        foreign = first_in_plan(one)
    with fleet.open("three") as three:
        # The laptop refuses it for an elder it does not hold …
        with pytest.raises(LookupError):
            three.visits.record(foreign, visit())
        # … so the attacker writes the change into its own chain by hand.
        from assessment.records import changelog

        with three._store.writing() as (session, state):
            changelog.append_change(session, state, three._store.clock, record_type="visit",
                                    record_id="01a24c68-0000-7000-8000-000000000001",
                                    version=1, payload={
                                        "elder_id": foreign, "plan": "shanxi-visits@2026.12",
                                        "tier": "高风险", "created_by": "guanli",
                                        "entry": visit()})
    fleet.ok("three", "push")
    summary = admin.call("GET", "/admin/stats", params={"as_of": TODAY.isoformat()})
    assert [row_of(summary, towns[t])["visited"] for t in ("a", "b")] == [0, 0]
    queue = admin.call("GET", "/admin/review/quarantine")
    assert any(q.get("record_type") == "visit" and q.get("code") == "foreign_township"
               for q in queue), queue
