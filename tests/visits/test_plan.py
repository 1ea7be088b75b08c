"""The visit plan as data: file validation, tiers from the seed's groups, calendar periods."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from assessment.eligibility import load_vocabulary
from assessment.eligibility.listseal import local_seal
from assessment.errors import FormFileError
from assessment.visits.plan import load_plan_file, parse_plan
from assessment.visits.plans import bundled_plans_dir, install_plan_bytes, load_plans
from assessment.visits.schedule import month_bounds, period_of, visit_status
from assessment.visits.tiers import TierCalculator

VOCABULARY = load_vocabulary()
BUNDLED = bundled_plans_dir() / "shanxi-visits.yaml"
AS_OF = dt.date(2026, 12, 6)


def plan_data() -> dict[str, Any]:
    data = yaml.safe_load(BUNDLED.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_bundled_plan_loads_with_three_tiers() -> None:
    plan = load_plan_file(BUNDLED, VOCABULARY)
    assert [t.id for t in plan.tiers] == ["high", "key", "general"]
    assert [t.frequency_label for t in plan.tiers] == ["每周", "每月", "每季度"]
    assert plan.record.methods == ("上门", "电话", "视频")
    assert list(plan.record.checklist) == ["生活", "安全", "健康", "精神", "赡养"]
    assert plan.target_rate == 100
    assert "探访关爱" in plan.quote


@pytest.mark.parametrize(
    ("change", "key", "reason"),
    [
        (lambda d: d["tiers"][0].update(frequency="daily"), "high", "探访频次"),
        (lambda d: d["tiers"][0].update(methods=["上门", "飞鸽"]), "high.methods", "飞鸽"),
        (lambda d: d["tiers"][1].update(rule="agee >= 80"), "key", "规则无效"),
        (lambda d: d["tiers"][1].update(colour="red"), "key", "未知字段"),
        (lambda d: d["tiers"][2].update(id="high"), "tiers", "重复"),
        (lambda d: d.update(tiers=[]), "tiers", "没有分级"),
        (lambda d: d.update(kind="service-list"), "kind", "visit-plan"),
        (lambda d: d.update(target_rate=120), "target_rate", "1–100"),
        (lambda d: d["record"].update(methods=[]), "record.methods", "非空"),
        (lambda d: d.update(effective_from="2026-02-30"), "effective_from", "无效"),
    ],
)
def test_bad_plan_file_is_refused_naming_the_key(change: Any, key: str, reason: str) -> None:
    data = copy.deepcopy(plan_data())
    change(data)
    with pytest.raises(FormFileError) as caught:
        parse_plan(data, VOCABULARY, "plan.yaml")
    assert (caught.value.file, caught.value.key) == ("plan.yaml", key)
    assert reason in caught.value.reason


def test_install_keeps_old_versions_and_refuses_a_changed_same_version(tmp_path: Path) -> None:
    data = plan_data()
    data["version"] = "2027.1"
    data["effective_from"] = dt.date(2027, 1, 1)
    data["tiers"][1]["frequency"] = "week"
    path = tmp_path / "new.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    folder = tmp_path / "plans"
    key = Ed25519PrivateKey.generate()

    def install_plan_file(source: Path, target: Path) -> Any:
        return install_plan_bytes(source.read_bytes(), str(source), target,
                                  sealer=lambda raw: local_seal(key, "admin", raw))

    installed = install_plan_file(path, folder)
    assert installed.ref == "shanxi-visits@2027.1"
    plans = load_plans(folder)
    assert plans.in_force(dt.date(2026, 12, 31)).version == "2026.12"
    assert plans.in_force(dt.date(2027, 1, 2)).tier("key").frequency == "week"
    data["tiers"][1]["frequency"] = "quarter"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(FormFileError, match="已安装且内容不同"):
        install_plan_file(path, folder)
    # A plan changed after install, or one without a seal, is refused on load.
    (folder / "shanxi-visits@2027.1.yaml").write_text(
        yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(FormFileError, match="改动"):
        load_plans(folder)
    (folder / "shanxi-visits@2027.1.yaml.seal.json").unlink()
    with pytest.raises(FormFileError, match="签发记录"):
        load_plans(folder)


# Seed 003 §6: 及时排查独居、空巢、留守、失能、重残、计划生育特殊家庭等老年人,
# 有针对性提供探访关爱服务。
@pytest.mark.parametrize(
    ("profile", "tier"),
    [
        ({"birth_date": "1940-01-01", "living": ["独居"]}, "高风险"),  # 80+ 独居
        ({"birth_date": "1950-01-01", "living": ["独居"], "capability_grade": 4}, "高风险"),
        ({"birth_date": "1950-01-01", "living": ["与子女居住"], "capability_grade": 2}, "重点"),
        ({"birth_date": "1950-01-01", "assistance_status": "tekun_dispersed",
          "capability_grade": 0}, "重点"),
        ({"birth_date": "1950-01-01", "fp_special_family": "shidu", "capability_grade": 0},
         "重点"),
        ({"birth_date": "1950-01-01", "living": ["与配偶居住"], "capability_grade": 0,
          "assistance_status": "none", "fp_special_family": "none"}, "一般"),  # 空巢
        ({"birth_date": "1950-01-01", "living": ["与子女居住"], "area_type": "rural",
          "capability_grade": 0, "assistance_status": "none", "fp_special_family": "none",
          "children_count": 2, "children_away": True, "disability_cert": "none"}, "一般"),  # 留守
        ({"birth_date": "1950-01-01", "living": ["与子女居住"], "area_type": "urban",
          "capability_grade": 0, "assistance_status": "none", "fp_special_family": "none",
          "disability_cert": "none"}, ""),  # none of the groups
        ({"birth_date": "1970-01-01", "living": ["独居"]}, ""),  # not yet 60
        ({"birth_date": "1950-01-01"}, "待核实"),
    ],
)
def test_tier_of_the_seed_groups(profile: dict[str, Any], tier: str) -> None:
    plan = load_plans().in_force(AS_OF)
    assert TierCalculator(plan, AS_OF).tier_of(profile).label == tier


def test_tier_names_what_to_ask_when_a_higher_tier_is_open() -> None:
    plan = load_plans().in_force(AS_OF)
    result = TierCalculator(plan, AS_OF).tier_of(
        {"birth_date": "1950-01-01", "capability_grade": 2})
    assert result.label == "重点"
    assert "居住情况" in result.missing  # 独居 would make it 高风险


def test_tier_follows_the_attributes_and_grade() -> None:
    plan = load_plans().in_force(AS_OF)
    calc = TierCalculator(plan, AS_OF)
    profile = {"birth_date": "1950-01-01", "living": ["独居"], "capability_grade": 0,
               "disability_cert": "none"}
    assert calc.tier_of(profile).label == "一般"
    assert calc.tier_of(profile | {"capability_grade": 3}).label == "高风险"
    assert calc.tier_of(profile | {"living": ["与子女居住"], "area_type": "urban",
                                   "assistance_status": "none",
                                   "fp_special_family": "none"}).label == ""


@pytest.mark.parametrize(
    ("frequency", "day", "first", "last"),
    [
        ("week", dt.date(2026, 12, 6), dt.date(2026, 11, 30), dt.date(2026, 12, 6)),
        ("week", dt.date(2026, 12, 31), dt.date(2026, 12, 28), dt.date(2027, 1, 3)),
        ("month", dt.date(2024, 2, 10), dt.date(2024, 2, 1), dt.date(2024, 2, 29)),
        ("month", dt.date(2026, 12, 31), dt.date(2026, 12, 1), dt.date(2026, 12, 31)),
        ("quarter", dt.date(2026, 11, 5), dt.date(2026, 10, 1), dt.date(2026, 12, 31)),
        ("quarter", dt.date(2026, 3, 31), dt.date(2026, 1, 1), dt.date(2026, 3, 31)),
    ],
)
def test_calendar_periods(frequency: str, day: dt.date, first: dt.date, last: dt.date) -> None:
    assert period_of(frequency, day) == (first, last)


def test_status_done_due_overdue_never() -> None:
    today = dt.date(2026, 12, 16)
    assert visit_status("month", None, today).code == "never"
    assert visit_status("month", dt.date(2026, 12, 1), today).code == "done"
    assert visit_status("month", dt.date(2026, 12, 1), today).due_by == dt.date(2027, 1, 31)
    assert visit_status("month", dt.date(2026, 11, 30), today).code == "due"
    assert visit_status("month", dt.date(2026, 11, 30), today).due_by == dt.date(2026, 12, 31)
    assert visit_status("month", dt.date(2026, 10, 31), today).code == "overdue"
    assert visit_status("week", dt.date(2026, 12, 13), today).code == "due"
    assert visit_status("week", dt.date(2026, 12, 6), today).code == "overdue"


@pytest.mark.parametrize("month", ["2026-13", "2026-1", "26-01", "2026-01-01", "十二月"])
def test_bad_month_is_refused(month: str) -> None:
    with pytest.raises(ValueError, match="月份"):
        month_bounds(month)
