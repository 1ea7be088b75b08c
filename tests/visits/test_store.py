"""Visit records in the real store: append-only, on the device chain, referrals to closure."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from assessment.eligibility.listseal import signed_list_text
from assessment.errors import FormFileError, InputRejected
from assessment.records.schema import ChangeEntry
from assessment.records.visit_schema import ReferralRow, VisitRow
from assessment.records.workspace import Workspace
from assessment.usecases.visits import visit_measure, visit_plan
from assessment.visits.plans import bundled_plans_dir
from tests.records.conftest import PASSWORD, complete_answers, elder
from tests.visits.conftest import TODAY, add_elders, visit


def counts(ws: Workspace) -> tuple[int, int, int]:
    with ws._store.engine.connect() as conn:
        return (conn.execute(select(func.count()).select_from(VisitRow)).scalar_one(),
                conn.execute(select(func.count()).select_from(ReferralRow)).scalar_one(),
                conn.execute(select(func.count()).select_from(ChangeEntry).where(
                    ChangeEntry.record_type.in_(["visit", "referral"]))).scalar_one())


def test_a_visit_is_stored_with_its_referrals_and_travels_on_the_chain(
        workspace: Workspace) -> None:
    zhang, _, _ = add_elders(workspace)
    before = counts(workspace)
    record = workspace.visits.record(zhang.elder_id, visit(referrals=[
        {"kind": "item", "target": "N12", "note": "需加装扶手"},
        {"kind": "department", "target": "乡镇卫生院", "note": "血压高"}]))
    assert record.tier == "高风险"
    assert record.plan_ref == "shanxi-visits@2026.12"
    assert counts(workspace) == (before[0] + 1, before[1] + 2, before[2] + 3)
    with workspace._store.engine.connect() as conn:
        kinds = conn.execute(select(ChangeEntry.record_type).order_by(ChangeEntry.seq.desc())
                             .limit(6)).scalars().all()
    assert sorted(k for k in kinds if k != "audit") == ["referral", "referral", "visit"]
    assert workspace.visits.visits_for(zhang.elder_id)[0].entry["checklist"]["安全"]["note"] == \
        "煤炉无烟囱"


def test_a_bad_visit_is_refused_whole_and_writes_nothing(workspace: Workspace) -> None:
    zhang, _, _ = add_elders(workspace)
    before = counts(workspace)
    bad = visit(method="飞鸽", visit_date=(TODAY + dt.timedelta(days=1)).isoformat(),
                referrals=[{"kind": "item", "target": "N12"},
                           {"kind": "department", "target": "外星局"}])
    with pytest.raises(InputRejected) as caught:
        workspace.visits.record(zhang.elder_id, bad)
    fields = {p.field for p in caught.value.problems}
    assert {"method", "visit_date", "referrals[1].target"} <= fields
    assert counts(workspace) == before


def test_referral_closed_in_a_new_version_and_only_once(workspace: Workspace) -> None:
    zhang, _, _ = add_elders(workspace)
    workspace.visits.record(zhang.elder_id, visit(referrals=[
        {"kind": "item", "target": "N12", "note": "需加装扶手"}]))
    (open_ref,) = workspace.visits.referrals(status="open")
    closed = workspace.visits.close_referral(open_ref.referral_id, "已纳入改造名单", TODAY)
    assert (closed.status, closed.version, closed.outcome) == ("closed", 2, "已纳入改造名单")
    assert workspace.visits.referrals(status="open") == []
    with pytest.raises(InputRejected, match="已办结"):
        workspace.visits.close_referral(open_ref.referral_id, "再次办结", TODAY)
    with workspace._store.engine.connect() as conn:
        versions = conn.execute(select(ChangeEntry.version).where(
            ChangeEntry.record_id == open_ref.referral_id)).scalars().all()
    assert sorted(versions) == [1, 2]


def test_the_store_offers_no_way_to_change_a_visit(workspace: Workspace) -> None:
    names = {n for n in dir(workspace.visits) if not n.startswith("_")}
    assert not {n for n in names if n.startswith(("update", "edit", "delete", "remove"))}


def test_plan_status_follows_visits_and_attribute_changes(workspace: Workspace) -> None:
    _zhang, li, wang = add_elders(workspace)
    plan = visit_plan(workspace, TODAY)
    tiers = {r.name: (r.tier, r.ask) for r in plan.rows}
    # 李四 was never assessed: 失能 is unknown, so he is 待核实 and the visitor asks.
    assert tiers == {"张三": ("高风险", ""), "王五": ("一般", "能力等级"),
                     "李四": ("待核实", "能力等级")}
    assert {r.status for r in plan.rows} == {"never"}
    workspace.visits.record(wang.elder_id, visit())
    rows = {r.name: r for r in visit_plan(workspace, TODAY).rows}
    assert rows["王五"].status == "done"
    # 李四 now lives alone: he is 一般 at once (the tier is computed, not stored).
    profile = workspace.elders.get(li.elder_id)
    workspace.elders.save(dataclasses.replace(
        profile, attributes={**profile.attributes, "living": ["独居"]}))
    assert {r.name: r.tier for r in visit_plan(workspace, TODAY).rows}["李四"] == "一般"
    only = visit_plan(workspace, TODAY, village="王家庄村").rows
    assert {r.name for r in only} == {"李四", "王五"}


def test_a_change_found_proposes_an_immediate_reassessment(workspace: Workspace) -> None:
    zhang, _, _ = add_elders(workspace)
    workspace.visits.record(zhang.elder_id, visit(change_found=True, change_note="跌倒一次"))
    row = next(r for r in visit_plan(workspace, TODAY).rows if r.name == "张三")
    assert row.reassess.startswith("状况发生变化")
    assert "跌倒一次" in row.reassess
    with pytest.raises(InputRejected, match="写明变化"):
        workspace.visits.record(zhang.elder_id, visit(change_found=True))


def test_monthly_rate_per_village_township_and_total(workspace: Workspace) -> None:
    _zhang, _, wang = add_elders(workspace)
    workspace.visits.record(wang.elder_id, visit(referrals=[
        {"kind": "department", "target": "乡镇卫生院", "note": "血压高"}]))
    month = TODAY.strftime("%Y-%m")
    table = visit_measure(workspace, month, today=TODAY)
    rows = {(r["乡镇（街道）"], r["村（社区）"]): r for r in table.to_dict("records")}
    # 王家庄村: 王五 visited, 李四 (待核实) not yet; 李家庄村: 张三 never visited.
    assert rows[("荫城镇", "王家庄村")]["应探访人数"] == 2
    assert rows[("荫城镇", "王家庄村")]["月探访率（%）"] == 50.0
    assert rows[("荫城镇", "李家庄村")]["月探访率（%）"] == 0.0
    assert rows[("荫城镇", "李家庄村")]["从未探访"] == 1
    assert rows[("荫城镇", "小计")]["应探访人数"] == 3
    assert rows[("合计", "")]["本月已探访人数"] == 1
    assert rows[("合计", "")]["月探访率（%）"] == 33.3
    assert rows[("合计", "")]["转介未办结"] == 1
    assert rows[("荫城镇", "王家庄村")]["转介未办结"] == 1
    last_month = (TODAY.replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
    earlier = visit_measure(workspace, last_month, today=TODAY)
    assert earlier.iloc[-1]["本月已探访人数"] == 0


def test_only_a_supervisor_installs_a_plan(tmp_path: Path, workspace: Workspace) -> None:
    data = yaml.safe_load((bundled_plans_dir() / "shanxi-visits.yaml").read_text("utf-8"))
    data["version"] = "2027.1"
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    workspace.accounts.add("pinggu9", "another-secret-1", "评估员九")
    other = Workspace.open(workspace.data_dir, "pinggu9", "another-secret-1")
    try:
        with pytest.raises(InputRejected, match="只有管理员"):
            other.visits.install_plan(path)
    finally:
        other.close()
    assert workspace.visits.install_plan(path).ref == "shanxi-visits@2027.1"
    # Sealed with the supervisor's own key (no county here), checked on every load.
    installed = workspace.visits.plans_dir / "shanxi-visits@2027.1.yaml"
    seal = json.loads((installed.parent / (installed.name + ".seal.json")).read_text("utf-8"))
    assert (seal["origin"], seal["signer"]) == ("local", "admin")
    assert {p.ref for p in workspace.visits.plans().versions} >= {"shanxi-visits@2027.1"}
    installed.write_text(installed.read_text("utf-8") + "\n# changed\n", encoding="utf-8")
    with pytest.raises(FormFileError, match="改动"):
        workspace.visits.plans()
    # A county-signed file cannot be checked on a laptop that has no county.
    signed = tmp_path / "signed.json"
    signed.write_text(signed_list_text(path.read_text("utf-8"), "AAAA"), encoding="utf-8")
    with pytest.raises(FormFileError, match="尚未登记"):
        workspace.visits.install_plan(signed)
    assert PASSWORD


def test_a_deregistered_elder_leaves_the_plan_from_that_day(workspace: Workspace) -> None:
    zhang, _, _ = add_elders(workspace)
    yesterday = TODAY - dt.timedelta(days=1)
    workspace.registry.deregister(zhang.elder_id, "死亡", TODAY)
    assert "张三" in {r.name for r in visit_plan(workspace, yesterday).rows}
    assert "张三" not in {r.name for r in visit_plan(workspace, TODAY).rows}
    with pytest.raises(InputRejected, match="已注销"):
        workspace.visits.record(zhang.elder_id, visit())


def finalize_with(ws: Workspace, elder_id: str, day: dt.date, score: str) -> int | None:
    """Finalize an assessment dated ``day``: ``max`` scores give grade 0, ``min`` grade 4."""
    draft = ws.assessments.start(elder_id, "首次评估")
    ws.assessments.autosave(draft.assessment_id,
                complete_answers(draft.answers, {"A.1.2": day.isoformat()}, score=score))
    return ws.assessments.finalize(draft.assessment_id).final_grade


def test_a_past_months_plan_uses_the_grade_and_status_of_that_month(
        workspace: Workspace) -> None:
    """Who had to be visited last month: the grade then, not today's (a 失能 found this
    month puts 赵六 in the 重点 tier from this month on); the basis is stated."""
    workspace.accounts.add("pinggu2", PASSWORD, "李评估")
    person = workspace.elders.create(elder(
        "赵六", sequence=107, birth=dt.date(1950, 5, 1), village="东关村",
        attributes={"assistance_status": "none", "living": ["与子女居住"], "area_type": "urban",
                    "fp_special_family": "none", "disability_cert": "none"}))
    last_month_day = (TODAY.replace(day=1) - dt.timedelta(days=1)).replace(day=10)
    assert finalize_with(workspace, person.elder_id, last_month_day, "max") == 0
    assert finalize_with(workspace, person.elder_id, TODAY, "min") == 4

    def planned(month: str) -> dict[str, int]:
        table = visit_measure(workspace, month, today=TODAY)
        assert "未保存历史" in table.attrs["basis"]
        return {str(r["村（社区）"]): int(r["应探访人数"]) for r in table.to_dict("records")}

    assert planned(TODAY.strftime("%Y-%m"))["东关村"] == 1  # 重点 (失能) now
    assert "东关村" not in planned(last_month_day.strftime("%Y-%m"))  # grade 0 then
    assert workspace.visits.grades_on(last_month_day - dt.timedelta(days=1)) == {}
    assert "赵六" not in [r.name for r in visit_plan(workspace, last_month_day).rows]
    assert "赵六" in [r.name for r in visit_plan(workspace, TODAY).rows]
