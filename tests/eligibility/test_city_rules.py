"""The two city rules of the seed documents (spec service-lists.md §5), exactly."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from assessment.divisions import division_name
from tests.eligibility.conftest import Matcher

CHANGZHI, XINZHOU, TAIYUAN = "140402", "140902", "140105"
AS_OF = dt.date(2025, 6, 1)


def born(age: int) -> str:
    """A birth date giving ``age`` on AS_OF."""
    return dt.date(AS_OF.year - age, 1, 1).isoformat()


def result_of(match: Matcher, item: str, **profile: Any) -> str:
    return match(as_of=AS_OF, **profile).item(item).result


@pytest.mark.parametrize(
    ("profile", "expected"),
    [
        ({"birth_date": born(80), "dwelling": "community"}, "eligible"),
        (
            {
                "birth_date": born(79),
                "dwelling": "community",
                "living": ["与子女居住"],
                "assistance_status": "none",
            },
            "not_eligible",
        ),
        (
            {
                "birth_date": born(60),
                "dwelling": "community",
                "assistance_status": "dibao",
                "capability_grade": 1,
            },
            "eligible",
        ),
        (
            {
                "birth_date": born(59),
                "dwelling": "community",
                "assistance_status": "dibao",
                "capability_grade": 4,
                "living": ["独居"],
            },
            "not_eligible",
        ),
        (
            {
                "birth_date": born(65),
                "dwelling": "community",
                "assistance_status": "dibao_edge",
                "capability_grade": 3,
                "living": ["独居"],
            },
            "not_eligible",
        ),
        (
            {
                "birth_date": born(70),
                "dwelling": "community",
                "living": ["独居"],
                "assistance_status": "none",
            },
            "eligible",
        ),
        (
            {
                "birth_date": born(72),
                "dwelling": "community",
                "living": ["与配偶居住"],
                "assistance_status": "none",
            },
            "eligible",
        ),
        (
            {
                "birth_date": born(72),
                "dwelling": "community",
                "living": ["与配偶居住", "与子女居住"],
                "assistance_status": "none",
            },
            "not_eligible",
        ),
        (
            {
                "birth_date": born(69),
                "dwelling": "community",
                "living": ["独居"],
                "assistance_status": "none",
            },
            "not_eligible",
        ),
        ({"birth_date": born(90), "dwelling": "institution"}, "not_eligible"),
        ({"birth_date": born(90)}, "undetermined"),
    ],
)
def test_government_purchased_services(
    match: Matcher, profile: dict[str, Any], expected: str
) -> None:
    assert result_of(match, "C140400-GMFW", residence_code=CHANGZHI, **profile) == expected
    assert result_of(match, "C140900-GMFW", residence_code=XINZHOU, **profile) == expected


@pytest.mark.parametrize(
    ("dwelling", "grade", "expected", "standard"),
    [
        ("community_bed", 1, "eligible", "半失能 200元/人/月"),
        ("community_bed", 2, "eligible", "半失能 200元/人/月"),
        ("community_bed", 3, "eligible", "失能 300元/人/月"),
        ("community_bed", 4, "eligible", "失能 300元/人/月"),
        ("community_bed", 0, "not_eligible", "半失能 200元/人/月；失能 300元/人/月"),
        ("community", 4, "not_eligible", "半失能 200元/人/月；失能 300元/人/月"),
    ],
)
def test_bed_subsidy_amount_by_capability(
    match: Matcher, dwelling: str, grade: int, expected: str, standard: str
) -> None:
    for code, item in ((CHANGZHI, "C140400-CWBT"), (XINZHOU, "C140900-CWBT")):
        result = match(residence_code=code, dwelling=dwelling, capability_grade=grade).item(item)
        assert (result.result, result.standard) == (expected, standard)


def test_city_lists_apply_by_residence_code(match: Matcher) -> None:
    changzhi = [i.id for i in match(residence_code=CHANGZHI).items]
    xinzhou = [i.id for i in match(residence_code=XINZHOU).items]
    taiyuan = [i.id for i in match(residence_code=TAIYUAN).items]
    assert "C140400-GMFW" in changzhi
    assert "C140900-GMFW" not in changzhi
    assert "C140900-CWBT" in xinzhou
    assert "C140400-CWBT" not in xinzhou
    assert not [i for i in taiyuan if i.startswith("C")]


def test_unknown_residence_leaves_city_items_undetermined(match: Matcher) -> None:
    result = match(birth_date=born(85), dwelling="community")
    for item in ("C140400-GMFW", "C140900-GMFW"):
        city = result.item(item)
        assert city.result == "undetermined"
        assert city.missing == ("residence_code",)
        assert city.reasons[0] == "常住地：未登记 ?"


def test_city_results_cite_their_seed_document(match: Matcher) -> None:
    changzhi = match(residence_code=CHANGZHI, birth_date=born(85), dwelling="community")
    xinzhou = match(residence_code=XINZHOU, birth_date=born(85), dwelling="community")
    gmfw = changzhi.item("C140400-GMFW")
    assert gmfw.reasons[0] == "常住地：长治市潞州区（属于长治市） ✓"  # a name, never a bare code
    assert "002_a3b742768024cbb5.txt" in gmfw.reasons[-1]
    assert gmfw.list.startswith("changzhi@")
    assert "004_4d31d1e89d00c234.txt" in xinzhou.item("C140900-GMFW").reasons[-1]
    assert gmfw.standard == "不低于50元/人/月"
    assert changzhi.list.startswith("shanxi-provisional@")
    assert changzhi.to_json()["lists"][1] == gmfw.list


def test_a_residence_outside_the_table_says_so_instead_of_a_bare_code() -> None:
    assert division_name("140404") == "长治市上党区"
    assert division_name("140402") == "长治市潞州区"  # legacy code: named by its successor
    assert division_name("110101") is None
