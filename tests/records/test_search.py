"""Search as you type and the roster: pinyin, name, ID tail, village, filters, sort, paging."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date

import pytest

from assessment.records import register
from assessment.records.api import RegisterFilter, RegisterKey, RegisterSort
from assessment.records.search import (
    KEY_MARK,
    KEY_SORT,
    elder_terms,
    name_readings,
    parse_search_text,
    prefix_key,
    sort_key,
    village_keys,
    village_matches,
)
from assessment.records.workspace import Workspace
from tests.records.conftest import complete_answers, elder


@pytest.fixture
def township(workspace: Workspace) -> Workspace:
    """Five elders in two villages, two of them assessed."""
    people = [
        elder("张三", sequence=11, birth=date(1940, 5, 6), village="李家庄村"),
        elder("张三丰", sequence=13, birth=date(1950, 1, 2), village="李家庄村"),
        elder("王秀英", sequence=12, male=False, birth=date(1938, 7, 8), village="东沟村"),
        elder("单雄信", sequence=15, birth=date(1955, 3, 4), village="东沟村"),
        elder("欧阳秀兰", sequence=14, male=False, birth=date(1960, 9, 9), village="东沟村"),
    ]
    created = [workspace.elders.create(p) for p in people]
    for person, score in ((created[0], "max"), (created[2], "min")):
        draft = workspace.assessments.start(person.elder_id, "首次评估")
        workspace.assessments.autosave(draft.assessment_id, complete_answers(draft.answers,
                                                                             score=score))
        workspace.assessments.finalize(draft.assessment_id)
    return workspace


def names(ws: Workspace, flt: RegisterFilter) -> list[str]:
    """The names the roster shows, in order."""
    rows = ws.elders.page(flt, 0, 100)
    assert len(rows) == ws.elders.count(flt)
    return [r.name for r in rows]


def test_pinyin_initials_and_full(township: Workspace) -> None:
    assert names(township, RegisterFilter(text="zs")) == ["张三", "张三丰"]
    assert names(township, RegisterFilter(text="zsf")) == ["张三丰"]
    assert names(township, RegisterFilter(text="zhangsan")) == ["张三", "张三丰"]
    assert names(township, RegisterFilter(text="ZhangSanF")) == ["张三丰"]
    assert names(township, RegisterFilter(text="xy")) == ["王秀英"]
    assert names(township, RegisterFilter(text="xiuying")) == ["王秀英"]
    assert names(township, RegisterFilter(text="oyxl")) == ["欧阳秀兰"]


def test_surname_readings(township: Workspace) -> None:
    assert names(township, RegisterFilter(text="shanxiongxin")) == ["单雄信"]
    assert names(township, RegisterFilter(text="sxx")) == ["单雄信"]
    assert names(township, RegisterFilter(text="danxiong")) == ["单雄信"]  # common reading too
    assert name_readings("曾国藩")[0][0] == "zeng"


def test_chinese_prefix_and_substring(township: Workspace) -> None:
    assert names(township, RegisterFilter(text="张")) == ["张三", "张三丰"]
    assert names(township, RegisterFilter(text="三丰")) == ["张三丰"]
    assert names(township, RegisterFilter(text="秀")) == ["欧阳秀兰", "王秀英"]


def test_id_tail(township: Workspace) -> None:
    person = next(r for r in township.elders.page(RegisterFilter(text="单雄信"), 0, 1))
    profile = township.elders.get(person.elder_id)
    assert profile.id_number is not None
    for tail in (profile.id_number[-4:], profile.id_number[-6:], profile.id_number):
        assert names(township, RegisterFilter(text=tail)) == ["单雄信"]
    assert person.id_masked == profile.id_number[:6] + "********" + profile.id_number[-4:]


def test_id_tail_with_x() -> None:
    query = parse_search_text("123x")
    assert query is not None
    assert query.is_id_tail
    assert any(t.startswith(query.prefix) for t in elder_terms("某", "14042119450301123X"))


def test_village_search_and_filter(township: Workspace) -> None:
    assert names(township, RegisterFilter(text="东沟")) == ["欧阳秀兰", "单雄信", "王秀英"]
    assert names(township, RegisterFilter(text="donggou")) == ["欧阳秀兰", "单雄信", "王秀英"]
    assert names(township, RegisterFilter(village="李家庄村")) == ["张三", "张三丰"]
    assert names(township, RegisterFilter(text="zs", village="东沟村")) == []
    assert township.elders.villages() == ["东沟村", "李家庄村"]


def test_grade_filter_due_and_sorts(township: Workspace) -> None:
    assert names(township, RegisterFilter(grade=0)) == ["张三"]
    assert names(township, RegisterFilter(grade=4)) == ["王秀英"]
    assert len(names(township, RegisterFilter(grade=-1))) == 3
    assert names(township, RegisterFilter(due_only=True, as_of=date(2999, 1, 1))) == [
        "王秀英", "张三"]
    by_age = names(township, RegisterFilter(sort=RegisterSort.AGE, descending=True))
    assert by_age[0] == "王秀英"  # the oldest first
    by_grade = names(township, RegisterFilter(sort=RegisterSort.GRADE))
    assert by_grade == ["欧阳秀兰", "单雄信", "张三丰", "张三", "王秀英"]  # never assessed first
    by_grade_desc = names(township, RegisterFilter(sort=RegisterSort.GRADE, descending=True))
    assert by_grade_desc[:2] == ["王秀英", "张三"]
    by_name_desc = names(township, RegisterFilter(descending=True))
    assert by_name_desc == list(reversed(names(township, RegisterFilter())))


def test_paging_and_row_fields(township: Workspace) -> None:
    everyone = names(township, RegisterFilter())
    assert everyone == ["欧阳秀兰", "单雄信", "王秀英", "张三", "张三丰"]  # pinyin order
    flt = RegisterFilter()
    pages = [r.name for off in (0, 2, 4) for r in township.elders.page(flt, off, 2)]
    assert pages == everyone
    row = township.elders.page(RegisterFilter(text="zsf"), 0, 1)[0]
    assert (row.sex, row.age, row.village, row.grade) == ("男", _age(date(1950, 1, 2)),
                                                           "李家庄村", None)


def _age(birth: date) -> int:
    today = date.today()
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def test_nothing_matches(township: Workspace) -> None:
    assert township.elders.count(RegisterFilter(text="qqq")) == 0
    assert township.elders.page(RegisterFilter(text="   "), 0, 10) != []


def test_search_follows_edits(township: Workspace) -> None:
    row = township.elders.page(RegisterFilter(text="张三丰"), 0, 1)[0]
    profile = township.elders.get(row.elder_id)
    township.elders.save(replace(profile, name="李四"))
    assert names(township, RegisterFilter(text="zsf")) == []
    assert names(township, RegisterFilter(text="ls")) == ["李四"]


def test_prefix_keys_of_an_elder() -> None:
    terms = elder_terms("王秀英", "14042119450301123X")
    keys = {t for t in terms if t.startswith(KEY_MARK)}
    assert {t for t in terms - keys if not t.startswith("#")} >= {"wangxiuying", "wxy", "秀英"}
    sort = sort_key("王秀英")
    for prefix in ("w", "wa", "wan", "wang", "wangx", "x", "xiu", "xy", "王", "秀", "英"):
        assert KEY_MARK + prefix + KEY_SORT + sort in keys
    assert len(keys) == len({k.split(KEY_SORT)[0] for k in keys})  # one row per prefix
    assert not any(k.startswith((KEY_MARK + "wangxi", KEY_MARK + "王秀")) for k in keys)
    assert prefix_key("wangx") is not None
    assert prefix_key("wangxi") is None
    assert prefix_key("王秀") is None
    assert prefix_key("#321") is None


# Names that stress the keys: shared prefixes, repeated characters, two surname readings,
# compound surnames, Latin letters, the same name twice (ties broken by the row number).
_NAMES = ("王秀英", "王秀英", "汪秀英", "王王", "万贵", "王家庄", "张三", "张三丰", "章山",
          "单雄信", "曾国藩", "欧阳秀兰", "秀秀", "李四", "李家宝", "Anna李", "万福", "娃娜",
          "长孙无忌", "乐乐", "杨扬", "英")


@pytest.fixture
def crowd(workspace: Workspace) -> Workspace:
    """Many elders with overlapping names in villages whose names overlap the names."""
    villages = ("王家庄村", "李家沟村", "万安村")
    for i, name in enumerate(_NAMES):
        workspace.elders.create(elder(name, sequence=100 + i, birth=date(1940 + i, 1, 2),
                                     village=villages[i % 3], male=i % 2 == 0))
    return workspace


def _matches(profile_terms: set[str], village: str | None, typed: str) -> bool:
    query = parse_search_text(typed)
    assert query is not None
    if any(t.startswith(query.prefix) for t in profile_terms if not t.startswith(KEY_MARK)):
        return True
    if village is None or query.is_id_tail or len(query.prefix) < 2:
        return False
    return village_matches(village, village_keys(village), query)


@pytest.mark.parametrize("broad", [3000, 0])
def test_every_plan_agrees_with_the_terms(crowd: Workspace, monkeypatch: pytest.MonkeyPatch,
                                          broad: int) -> None:
    monkeypatch.setattr(register, "BROAD", broad)  # 0: the sort-index plans for every text
    monkeypatch.setattr(register, "_VILLAGE_ARMS", 60 if broad else 0)  # one sorted village read
    everyone = crowd.elders.page(RegisterFilter(), 0, 1000)
    profiles = {r.elder_id: crowd.elders.get(r.elder_id) for r in everyone}
    terms = {i: elder_terms(p.name, p.id_number) for i, p in profiles.items()}
    typed: set[str] = {"家", "家庄", "lj", "ljg", "wjz", "wan", "zh", "秀秀", "xx", "anna",
                       "d", "dan", "shan", "zeng", "zhangsun", "w", "x"}
    step = 1 if broad else 2  # every other length is enough to exercise the other plans
    for t in set().union(*terms.values()):
        if not t.startswith(KEY_MARK):
            typed.update(t[:n] for n in range(1, min(len(t), 7) + 1, step))
    for profile in profiles.values():
        assert profile.id_number is not None
        typed.update(profile.id_number[-n:] for n in (1, 2, 4))
    for text in sorted(typed):
        if text.startswith("#"):
            continue
        for descending in (False, True):
            flt = RegisterFilter(text=text, descending=descending)
            order = everyone[::-1] if descending else everyone
            expected = [r.elder_id for r in order
                        if _matches(terms[r.elder_id], r.village, text)]
            assert crowd.elders.count(flt) == len(expected), text
            assert [r.elder_id for r in crowd.elders.page(flt, 0, 100)] == expected, text
            pages = [r.elder_id for off in range(0, len(expected) + 4, 4)
                     for r in crowd.elders.page(flt, off, 4)]
            assert pages == expected, text
            assert keyset_pages(crowd, flt, 4) == expected, text
            assert keyset_pages(crowd, flt, 3, skip=2) == expected, text
        for flt in (RegisterFilter(text=text, village="万安村"),
                    RegisterFilter(text=text, sort=RegisterSort.AGE),
                    RegisterFilter(text=text, grade=-1, sort=RegisterSort.VILLAGE)):
            expected_ids = {r.elder_id for r in everyone
                            if _matches(terms[r.elder_id], r.village, text)
                            and (flt.village is None or r.village == flt.village)}
            shown = crowd.elders.page(flt, 0, 100)
            assert {r.elder_id for r in shown} == expected_ids, (text, flt)
            assert crowd.elders.count(flt) == len(expected_ids), (text, flt)


def keyset_pages(ws: Workspace, flt: RegisterFilter, size: int, skip: int = 0,
                 between: Callable[[], object] | None = None) -> list[str]:
    """Every elder id the filter shows, read page by page past the last row's key (with
    ``skip`` rows counted past the key on every page after the first, the rows skipped read
    separately); ``between`` runs between two pages."""
    seen: list[str] = []
    after: RegisterKey | None = None
    while True:
        if after is not None and skip:
            seen += [r.elder_id for r in ws.elders.page(flt, 0, skip, after)]
        rows = ws.elders.page(flt, skip if after is not None else 0, size, after)
        seen += [r.elder_id for r in rows]
        if len(rows) < size:
            return seen
        after = rows[-1].key
        if between is not None:
            between()


_ORDERS = [(sort, descending) for sort in RegisterSort for descending in (False, True)]


@pytest.mark.parametrize(("sort", "descending"), _ORDERS)
def test_keyset_pages_are_the_offset_pages(crowd: Workspace, sort: RegisterSort,
                                          descending: bool) -> None:
    # Unassessed elders and elders without a due date or village (NULL leading columns)
    # sit at one end of the order: the key must cross from them to the others.
    row = crowd.elders.page(RegisterFilter(text="zhangsanf"), 0, 1)[0]
    crowd.elders.save(replace(crowd.elders.get(row.elder_id), village=None))
    draft = crowd.assessments.start(crowd.elders.page(RegisterFilter(text="lisi"), 0, 1)[0]
                                   .elder_id, "首次评估")
    crowd.assessments.autosave(draft.assessment_id, complete_answers(draft.answers))
    crowd.assessments.finalize(draft.assessment_id)
    for flt in (RegisterFilter(sort=sort, descending=descending),
                RegisterFilter(text="w", sort=sort, descending=descending),
                RegisterFilter(text="x", grade=-1, sort=sort, descending=descending),
                RegisterFilter(village="王家庄村", sort=sort, descending=descending)):
        offset = [r.elder_id for r in crowd.elders.page(flt, 0, 1000)]
        assert len(offset) == crowd.elders.count(flt) > 0, flt
        for size in (1, 2, 5):
            assert keyset_pages(crowd, flt, size) == offset, (flt, size)


@pytest.mark.parametrize("text", ["", "w", "wang", "王", "x", "7"])
def test_keyset_paging_under_inserts_has_no_gaps_or_repeats(crowd: Workspace,
                                                            text: str) -> None:
    """Elders added while the roster is paged (before, among and after the rows read so
    far) neither repeat a row nor hide one: each elder present at the start is read once,
    in order; offset paging repeats rows here."""
    flt = RegisterFilter(text=text)
    before = [r.elder_id for r in crowd.elders.page(flt, 0, 1000)]
    assert before
    sequences = iter(range(500, 600))

    def inserter(rounds: int) -> Callable[[], None]:
        """Three elders per call (sorting first, among the rows, last), ``rounds`` times."""
        left = iter(range(rounds))

        def insert() -> None:
            if next(left, None) is None:
                return
            for name in ("阿王", "王秀英", "张三"):
                n = next(sequences)
                crowd.elders.create(elder(name, sequence=n, male=n % 2 == 1, village="李家沟村"))
        return insert

    read = keyset_pages(crowd, flt, 2, between=inserter(4))
    assert len(read) == len(set(read)), "a row was read twice"
    assert [i for i in read if i in set(before)] == before
    everyone = [r.elder_id for r in crowd.elders.page(flt, 0, 10_000)]
    assert read == [i for i in everyone if i in set(read)]  # in the roster's order


def test_an_insert_before_the_page_repeats_a_row_by_offset_not_by_key(crowd: Workspace) -> None:
    flt = RegisterFilter()
    first = crowd.elders.page(flt, 0, 3)
    crowd.elders.create(elder("阿阿", sequence=700, male=False))  # sorts before every row
    by_offset = crowd.elders.page(flt, 3, 3)
    by_key = crowd.elders.page(flt, 0, 3, first[-1].key)
    assert by_offset[0].elder_id == first[-1].elder_id  # what offset paging did: a repeat
    everyone = [r.elder_id for r in crowd.elders.page(flt, 0, 1000)]
    assert [r.elder_id for r in by_key] == everyone[4:7]  # the three rows after the page


def test_key_of_another_order_is_refused(crowd: Workspace) -> None:
    row = crowd.elders.page(RegisterFilter(), 0, 1)[0]
    with pytest.raises(ValueError, match="roster key"):
        crowd.elders.page(RegisterFilter(sort=RegisterSort.AGE), 0, 5, row.key)


def test_keys_follow_renames(crowd: Workspace) -> None:
    row = crowd.elders.page(RegisterFilter(text="zhangsanf"), 0, 1)[0]
    before = crowd.elders.count(RegisterFilter(text="z"))
    crowd.elders.save(replace(crowd.elders.get(row.elder_id), name="阿三丰"))
    assert crowd.elders.count(RegisterFilter(text="z")) == before - 1
    assert "阿三丰" in [r.name for r in crowd.elders.page(RegisterFilter(text="a"), 0, 100)]
    assert crowd.elders.count(RegisterFilter(text="sf")) == 1


def stored_terms(ws: Workspace, elder_id: str) -> set[str]:
    """The term rows the store holds for one elder."""
    with ws._store.engine.connect() as conn:
        return {row[0] for row in conn.exec_driver_sql(
            "SELECT term FROM search_terms WHERE elder_num = "
            "(SELECT num FROM elders WHERE id = ?)", (elder_id,))}


def test_an_edit_leaves_exactly_the_new_terms(township: Workspace) -> None:
    """The old terms are found again from the old name and ID number (there is no index by
    elder to find them with): after a rename and a new ID number no old row is left."""
    row = township.elders.page(RegisterFilter(text="张三丰"), 0, 1)[0]
    profile = township.elders.get(row.elder_id)
    assert stored_terms(township, row.elder_id) == elder_terms(profile.name, profile.id_number)
    other = township.elders.page(RegisterFilter(text="王秀英"), 0, 1)[0]
    untouched = stored_terms(township, other.elder_id)
    new_number = elder("李四", sequence=991, birth=date(1950, 1, 2)).id_number
    saved = township.elders.save(replace(profile, name="李四", id_number=new_number))
    assert stored_terms(township, row.elder_id) == elder_terms("李四", new_number)
    assert stored_terms(township, other.elder_id) == untouched
    assert profile.id_number is not None
    assert township.elders.count(RegisterFilter(text=profile.id_number[-4:])) == 0
    assert new_number is not None
    assert [r.name for r in township.elders.page(RegisterFilter(text=new_number[-4:]), 0, 5)] \
        == ["李四"]
    township.elders.save(replace(saved, address="别处"))  # no change to the terms
    assert stored_terms(township, row.elder_id) == elder_terms("李四", new_number)
