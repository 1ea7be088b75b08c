"""The provisional list against the seed text (晋政办发〔2023〕34号): each rule with its sentence.

Every test quotes the sentence of the seed it checks; the list file must carry that sentence
(``quote``) for the item, and the elder's explanation ends with it.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from assessment.cli import main
from assessment.eligibility import ListRegistry, install_list_file, load_lists, match_frame
from assessment.eligibility.evaluate import evaluate_profile
from assessment.eligibility.frames import profiles_to_frame
from assessment.eligibility.listseal import COUNTY, public_of, seal_for, sign_list
from assessment.eligibility.plan import make_plan
from assessment.eligibility.profile import parse_profile
from assessment.eligibility.registry import bundled_lists_dir
from assessment.errors import InputRejected
from tests.eligibility.conftest import Matcher

SEED = "种子文件 003_9e25c00274b5eed5.txt"
AS_OF = dt.date(2026, 6, 1)
OLD = "1940-03-01"  # 86 on AS_OF


def quoted(lists: ListRegistry, item_id: str, sentence: str) -> None:
    """The bundled item cites the seed and carries ``sentence`` as its quote."""
    version = lists.version_on("shanxi-provisional", AS_OF)
    item = next(i for i in version.items if i.id == item_id)
    assert SEED in item.source
    assert sentence in item.quote


def result(match: Matcher, item: str, **profile: Any) -> str:
    return match(as_of=AS_OF, **profile).item(item).result


# §21 对分散供养特困人员中的高龄、失能、残疾老年人家庭实施居家适老化改造,有条件的县(市、区)
# 可将改造对象范围扩大到城乡低保对象中的高龄、失能、残疾老年人家庭。
N12_SENTENCE = (
    "对分散供养特困人员中的高龄、失能、残疾老年人家庭实施居家适老化改造,"
    "有条件的县(市、区)可将改造对象范围扩大到城乡低保对象中的高龄、失能、残疾老年人家庭。"
)


def test_n12_dispersed_tekun_who_are_old_disabled_or_handicapped(
    match: Matcher, lists: ListRegistry
) -> None:
    quoted(lists, "N12", N12_SENTENCE)
    base = {"assistance_status": "tekun_dispersed", "birth_date": "1955-01-01"}
    assert result(match, "N12", capability_grade=2, **base) == "eligible"  # 失能
    cert = {"category": "肢体", "grade": 3}
    assert result(match, "N12", capability_grade=0, disability_cert=cert, **base) == "eligible"
    old = base | {"birth_date": OLD}
    assert result(match, "N12", capability_grade=0, disability_cert="none", **old) == "eligible"
    healthy = {"capability_grade": 0, "disability_cert": "none"}
    assert result(match, "N12", **healthy, **base) == "not_eligible"


@pytest.mark.parametrize("status", ["tekun_centralized", "dibao_edge", "dibao", "none"])
def test_n12_not_for_centralized_tekun_dibao_edge_or_dibao_by_default(
    match: Matcher, status: str
) -> None:
    # 分散供养特困人员 only: 集中供养 elders live in an institution; 低保 needs the county option.
    item = match(
        as_of=AS_OF, assistance_status=status, birth_date=OLD, capability_grade=4
    ).item("N12")
    assert item.result == "not_eligible"
    if status == "dibao":
        assert "本县将居家适老化改造扩大到低保对象：否 ✗" in item.reasons


def test_n12_dibao_when_the_county_extends_it(tmp_path: Path) -> None:
    """有条件的县(市、区)可将改造对象范围扩大到城乡低保对象中的高龄、失能、残疾老年人家庭。"""
    data = yaml.safe_load(
        (bundled_lists_dir() / "shanxi-provisional.yaml").read_text(encoding="utf-8")
    )
    data["version"] = "2026.12-county"
    data["settings"]["n12_includes_dibao"] = True
    folder = tmp_path / "lists"
    source = tmp_path / "county.yaml"
    source.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    key = Ed25519PrivateKey.generate()  # the county's (installed lists carry a seal)
    install_list_file(source, folder, sealer=lambda raw: seal_for(
        COUNTY, raw, "county", public_of(key), sign_list(key, raw)))
    extended = load_lists(folder)
    assert extended.version_on("shanxi-provisional", AS_OF).version == "2026.12-county"
    profiles = [
        {"assistance_status": "dibao", "birth_date": OLD, "capability_grade": 0,
         "disability_cert": "none"},
        {"assistance_status": "dibao", "birth_date": "1955-01-01", "capability_grade": 0,
         "disability_cert": "none"},
        {"assistance_status": "dibao_edge", "birth_date": OLD},
        {"assistance_status": "dibao", "capability_grade": 0},
    ]
    vocabulary = extended.vocabulary
    parsed = [parse_profile(p, vocabulary) for p in profiles]
    plan = make_plan(extended, AS_OF)
    each = [evaluate_profile(plan, p).item("N12") for p in parsed]
    assert [i.result for i in each] == ["eligible", "not_eligible", "not_eligible", "undetermined"]
    assert "本县将居家适老化改造扩大到低保对象：是 ✓" in each[0].reasons
    batch = match_frame(profiles_to_frame(parsed, vocabulary), AS_OF, extended)
    assert [r.item("N12") for r in batch.to_match_results()] == each


# §13 对有集中供养意愿的特困老年人全部实现集中供养。
N06_SENTENCE = "对有集中供养意愿的特困老年人全部实现集中供养。"


def test_n06_every_tekun_elder_who_wants_it(match: Matcher, lists: ListRegistry) -> None:
    quoted(lists, "N06", N06_SENTENCE)
    for grade in (0, 2, 4):
        assert result(
            match, "N06", assistance_status="tekun_dispersed", birth_date=OLD,
            capability_grade=grade, wants_central_care=True,
        ) == "eligible"
    assert result(
        match, "N06", assistance_status="tekun_dispersed", birth_date=OLD,
        wants_central_care=False,
    ) == "not_eligible"
    assert result(
        match, "N06", assistance_status="dibao", birth_date=OLD, wants_central_care=True
    ) == "not_eligible"


def test_n06_bedridden_first_is_shown_not_required(match: Matcher) -> None:
    """生活不能自理 orders the priority only (the spec: shown in the reasons)."""
    base = {"assistance_status": "tekun_dispersed", "birth_date": OLD, "wants_central_care": True}
    first = match(as_of=AS_OF, capability_grade=4, **base).item("N06")
    later = match(as_of=AS_OF, capability_grade=1, **base).item("N06")
    assert (first.result, later.result) == ("eligible", "eligible")
    assert "生活不能自理者优先（能力等级3、4）：能力等级 4（完全失能） ✓" in first.reasons
    assert "生活不能自理者优先（能力等级3、4）：能力等级 1（轻度失能） ✗" in later.reasons
    unknown_grade = match(as_of=AS_OF, **base).item("N06")
    assert (unknown_grade.result, unknown_grade.missing) == ("eligible", ())


def test_wishes_are_unknown_by_default_and_asked(match: Matcher) -> None:
    """意愿 is never assumed: an otherwise qualifying elder is 待核实 and the assessor asks."""
    n06 = match(as_of=AS_OF, assistance_status="tekun_dispersed", birth_date=OLD).item("N06")
    assert (n06.result, n06.missing) == ("undetermined", ("wants_central_care",))
    assert "有集中供养意愿：未登记 ?" in n06.reasons
    n08 = match(
        as_of=AS_OF, assistance_status="dibao", birth_date=OLD, capability_grade=0,
        living=["独居"],
    ).item("N08")
    assert (n08.result, n08.missing) == ("undetermined", ("wants_public_institution",))


# §13 在满足特困人员集中供养需求的前提下,重点为经济困难的空巢、留守、失能、残疾、高龄、
# 计划生育特殊家庭老年人提供服务。
N08_SENTENCE = "重点为经济困难的空巢、留守、失能、残疾、高龄、计划生育特殊家庭老年人提供服务。"


@pytest.mark.parametrize(
    "group",
    [
        {"living": ["与配偶居住"]},  # 空巢
        {"area_type": "rural", "children_count": 2, "children_away": True},  # 留守
        {"capability_grade": 1},  # 失能
        {"disability_cert": {"category": "肢体", "grade": 4}},  # 残疾
        {"birth_date": OLD},  # 高龄
        {"fp_special_family": "shidu"},  # 计划生育特殊家庭
    ],
)
@pytest.mark.parametrize("status", ["dibao", "dibao_edge", "tekun_dispersed"])
def test_n08_each_group_of_the_sentence(
    match: Matcher, lists: ListRegistry, group: dict[str, Any], status: str
) -> None:
    quoted(lists, "N08", N08_SENTENCE)
    profile = {"birth_date": "1955-01-01", "assistance_status": status,
               "wants_public_institution": True} | group
    assert result(match, "N08", **profile) == "eligible"
    assert result(match, "N08", **(profile | {"wants_public_institution": False})) == (
        "not_eligible"
    )
    assert result(match, "N08", **(profile | {"assistance_status": "none",
                                              "econ_hardship_local": False})) == "not_eligible"


def test_n08_an_economically_troubled_elder_outside_the_groups(match: Matcher) -> None:
    profile = {
        "birth_date": "1955-01-01", "assistance_status": "dibao", "wants_public_institution": True,
        "living": ["与子女居住"], "area_type": "urban", "capability_grade": 0,
        "disability_cert": "none", "fp_special_family": "none",
    }
    assert result(match, "N08", **profile) == "not_eligible"


# §6 及时排查独居、空巢、留守、失能、重残、计划生育特殊家庭等老年人 — 空巢 is living alone or
# with the spouse only (docs/spec/service-lists.md §3).
N11_SENTENCE = (
    "及时排查独居、空巢、留守、失能、重残、计划生育特殊家庭等老年人,有针对性提供探访关爱服务。"
)


@pytest.mark.parametrize(
    ("living", "empty_nest"),
    [
        (["独居"], "✓"),
        (["与配偶居住"], "✓"),
        (["独居", "与配偶居住"], "✓"),
        (["与兄弟姐妹居住"], "✗"),
        (["与配偶居住", "与兄弟姐妹居住"], "✗"),
        (["与配偶居住", "与子女居住"], "✗"),
        (["养老机构"], "✗"),
        ([], "?"),
        (None, "?"),
    ],
)
def test_empty_nest_is_alone_or_with_the_spouse_only(
    match: Matcher, lists: ListRegistry, living: list[str] | None, empty_nest: str
) -> None:
    quoted(lists, "N11", N11_SENTENCE)
    item = match(as_of=AS_OF, birth_date="1950-01-01", living=living).item("N11")
    line = next(r for r in item.reasons if r.startswith("空巢"))
    assert line.endswith(empty_nest)
    if empty_nest == "?":
        assert "居住情况 未登记" in line
        assert "living" in item.missing


# §16 现役军人家属、参战退役军人和烈士、因公牺牲军人、病故军人的遗属,符合规定条件申请入住公办
# 养老机构的,同等条件下优先安排并提供适度优惠服务。
N10_SENTENCE = "现役军人家属、参战退役军人和烈士、因公牺牲军人、病故军人的遗属"


def test_active_servicemen_family_is_a_veteran_value(match: Matcher, lists: ListRegistry) -> None:
    quoted(lists, "N10", N10_SENTENCE)
    item = match(as_of=AS_OF, birth_date="1950-01-01", veteran_status=["现役军人家属"]).item("N10")
    assert item.result == "eligible"
    assert "现役军人家属" in "".join(item.reasons)


def test_every_item_names_its_source_and_the_explanation_ends_with_it(
    match: Matcher, lists: ListRegistry
) -> None:
    version = lists.version_on("shanxi-provisional", AS_OF)
    outcome = match(as_of=AS_OF, birth_date=OLD)
    for item in version.items:
        line = outcome.item(item.id).reasons[-1]
        assert line.startswith("依据（暂行清单）：")
        assert item.source in line
        if item.quote:
            assert line.endswith(f"“{item.quote}”")
    cited = {i.id for i in version.items if i.quote}
    # The items whose service the seed states; the others are national items (no seed text).
    assert cited == {"N01", "N03", "N04", "N06", "N08", "N10", "N11", "N12", "N13", "N14"}
    assert all("国家基本养老服务清单" in i.source for i in version.items if not i.quote and
               i.id.startswith("N"))


@pytest.mark.parametrize(
    ("code", "accepted"),
    [("140404", True), ("140402", True), ("140981", True), ("110101", False),
     ("999999", False), ("140400", False)],
)
def test_residence_code_must_be_a_county_of_the_division_table(
    match: Matcher, code: str, accepted: bool
) -> None:
    if accepted:
        match(as_of=AS_OF, residence_code=code)
        return
    with pytest.raises(InputRejected) as caught:
        match(as_of=AS_OF, residence_code=code)
    assert "residence_code" in str(caught.value)
    assert "区划表" in str(caught.value)


def run_match(
    tmp_path: Path, payload: Any, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, str]:
    path = tmp_path / "in.json"
    path.write_text(json.dumps(payload), encoding="utf-8")
    code = main(["match", str(path)])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"birth_date": "1899-12-31"}, "birth_date"),
        ([{"birth_date": "1950-01-01"}, {"birth_date": "1066-10-14"}], "[1].birth_date"),
        ([], "数组为空"),
        ({"residence_code": "110101"}, "residence_code"),
        ({"residence_code": "999999"}, "residence_code"),
    ],
)
def test_cli_match_refuses(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], payload: Any, field: str
) -> None:
    code, out, err = run_match(tmp_path, payload, capsys)
    assert (code, out) == (1, "")
    assert field in err
    assert err.startswith("错误：")


def test_cli_match_accepts_1900(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_match(tmp_path, {"birth_date": "1900-01-01", "as_of": "2026-01-01"}, capsys)
    assert code == 0
    assert json.loads(out)["items"][1]["reasons"][0] == "年龄 126 ≥ 80 ✓"
