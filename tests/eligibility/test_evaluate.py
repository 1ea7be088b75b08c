"""Per-person matching: ages, unknowns, effective periods, explanations."""

from __future__ import annotations

import datetime as dt

import pytest

from assessment.eligibility import ListRegistry, age_on
from tests.eligibility.conftest import Matcher

TAIYUAN = "140105"


def test_spec_example_reason_format(match: Matcher) -> None:
    result = match(as_of=dt.date(2026, 11, 22), birth_date="1944-05-01")
    n02 = result.item("N02")
    assert n02.result == "eligible"
    assert n02.reasons[0] == "年龄 82 ≥ 80 ✓"
    assert n02.missing == ()
    assert n02.standard == "按当地标准"


def test_eighty_on_the_eightieth_birthday(match: Matcher) -> None:
    on_birthday = match(as_of=dt.date(2025, 6, 1), birth_date="1945-06-01").item("N02")
    day_before = match(as_of=dt.date(2025, 5, 31), birth_date="1945-06-01").item("N02")
    assert on_birthday.result == "eligible"
    assert on_birthday.reasons[0] == "年龄 80 ≥ 80 ✓"
    assert day_before.result == "not_eligible"
    assert day_before.reasons[0] == "年龄 79 ≥ 80 ✗"


@pytest.mark.parametrize(
    ("born", "as_of", "age"),
    [
        (dt.date(1960, 2, 29), dt.date(2025, 2, 28), 64),
        (dt.date(1960, 2, 29), dt.date(2025, 3, 1), 65),
        (dt.date(1944, 2, 29), dt.date(2024, 2, 28), 79),
        (dt.date(1944, 2, 29), dt.date(2024, 2, 29), 80),
        (dt.date(1945, 12, 31), dt.date(2025, 12, 30), 79),
        (dt.date(1945, 12, 31), dt.date(2025, 12, 31), 80),
    ],
)
def test_age_in_whole_years_with_29_february(born: dt.date, as_of: dt.date, age: int) -> None:
    assert age_on(born, as_of) == age


def test_leap_day_birth_turns_65_on_1_march(match: Matcher) -> None:
    before = match(as_of=dt.date(2025, 2, 28), birth_date="1960-02-29").item("N15")
    after = match(as_of=dt.date(2025, 3, 1), birth_date="1960-02-29").item("N15")
    assert (before.result, after.result) == ("not_eligible", "eligible")


def test_unknown_attribute_gives_undetermined_naming_it(match: Matcher) -> None:
    result = match(birth_date="1950-01-01")
    n07 = result.item("N07")
    assert n07.result == "undetermined"
    assert n07.missing == ("assistance_status",)
    assert "救助身份：未登记 ?" in n07.reasons
    n02 = match().item("N02")
    assert (n02.result, n02.missing) == ("undetermined", ("birth_date",))
    assert n02.reasons[0] == "年龄：未登记 ?"


def test_only_missing_attributes_that_matter_are_named(match: Matcher) -> None:
    old = match(birth_date="1940-01-01", assistance_status="dibao").item("N03")
    assert (old.result, old.missing) == ("eligible", ())
    younger = match(birth_date="1955-01-01", assistance_status="dibao").item("N03")
    assert (younger.result, younger.missing) == ("undetermined", ("capability_grade",))
    unknown_status = match(birth_date="1955-01-01", capability_grade=2).item("N03")
    assert unknown_status.missing == ("assistance_status", "econ_hardship_local")


def test_false_condition_decides_despite_unknowns(match: Matcher) -> None:
    result = match(birth_date="1980-01-01").item("N03")
    assert (result.result, result.missing) == ("not_eligible", ())
    assert result.reasons[0].endswith("✗")


def test_predicate_lines_show_values(match: Matcher) -> None:
    n04 = match(birth_date="1950-01-01", assistance_status="dibao", capability_grade=2).item("N04")
    assert n04.result == "eligible"
    assert "经济困难：救助身份 最低生活保障对象，本地认定经济困难老年人 未登记 ✓" in n04.reasons
    assert "失能（能力等级≥1）：能力等级 2（中度失能） ✓" in n04.reasons


def test_v2026_is_effective_only_in_2026(match: Matcher) -> None:
    profile = {"birth_date": "1950-01-01", "capability_grade": 3}
    in_2025 = match(as_of=dt.date(2025, 12, 31), **profile).item("V2026")
    in_2026 = match(as_of=dt.date(2026, 1, 1), **profile).item("V2026")
    end_2026 = match(as_of=dt.date(2026, 12, 31), **profile).item("V2026")
    in_2027 = match(as_of=dt.date(2027, 1, 1), **profile).item("V2026")
    assert [r.result for r in (in_2025, in_2026, end_2026, in_2027)] == [
        "not_eligible",
        "eligible",
        "eligible",
        "not_eligible",
    ]
    assert "不在有效期内 ✗" in in_2025.reasons[0]
    assert in_2026.standard == "最高800元/人/月"


def test_out_of_period_item_is_not_eligible_even_with_unknowns(match: Matcher) -> None:
    result = match(as_of=dt.date(2025, 1, 1)).item("V2026")
    assert (result.result, result.missing) == ("not_eligible", ())


def test_list_not_yet_in_force(match: Matcher) -> None:
    result = match(as_of=dt.date(2023, 1, 1), birth_date="1930-01-01").item("N02")
    assert result.result == "not_eligible"
    assert "清单《" in result.reasons[0]
    assert "不在有效期内 ✗" in result.reasons[0]


def test_every_item_appears_and_names_the_list(match: Matcher, lists: ListRegistry) -> None:
    result = match(residence_code=TAIYUAN)
    provincial = lists.version_on("shanxi-provisional", dt.date(2025, 6, 1))
    assert [i.id for i in result.items] == [i.id for i in provincial.items]
    assert result.list == f"shanxi-provisional@{provincial.version}"
    assert result.to_json()["list"] == result.list
    assert all(item.provisional for item in result.items)
    assert all(item.reasons[-1].startswith("依据（暂行清单）：") for item in result.items)


def test_disability_certificate_none_is_known_false(match: Matcher) -> None:
    profile = {"birth_date": "1955-01-01", "assistance_status": "tekun_dispersed"}
    without = match(capability_grade=0, disability_cert="none", **profile).item("N12")
    assert without.result == "not_eligible"
    assert "持有残疾证：否 ✗" in without.reasons
    held = match(capability_grade=0, disability_cert={"category": "肢体", "grade": 3}, **profile)
    assert held.item("N12").result == "eligible"
    severe = match(disability_cert={"category": "视力", "grade": 2}, **profile).item("N11")
    assert severe.result == "eligible"


def test_missing_lists_profile_attribute_for_certificate_fields(match: Matcher) -> None:
    result = match(
        birth_date="1950-01-01",
        living=["与子女居住"],
        area_type="urban",
        capability_grade=0,
        fp_special_family="none",
    ).item("N11")
    assert (result.result, result.missing) == ("undetermined", ("disability_cert",))


def test_match_result_json_shape(match: Matcher) -> None:
    data = match(as_of=dt.date(2026, 11, 22), birth_date="1944-05-01").to_json()
    assert data["as_of"] == "2026-11-22"
    item = data["items"][1]
    assert {k: item[k] for k in ("id", "name", "result", "missing")} == {
        "id": "N02",
        "name": "高龄津贴",
        "result": "eligible",
        "missing": [],
    }
    assert item["reasons"][0] == "年龄 82 ≥ 80 ✓"
