"""Finding an elder by resident ID number or name, and moving it by ID number, end to end.

On a real county server (SQLite and PostgreSQL): demo laptops and simulated laptops push
their elders; ``yinling county elders find`` and ``yinling county transfer <身份证号>`` work
on the county database, the ``/admin/ui/elders`` page searches by POST and moves an elder
after a confirmation with CSRF. A full ID number never reaches a page, a refusal or the
server log; unknown, mistyped or shared numbers are refused with nothing written.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import httpx
import pytest

from assessment.cli import main
from assessment.errors import InputRejected
from assessment.identity import check_digit, make_resident_id
from assessment.ids import new_id
from assessment.records.api import RegisterFilter
from assessment.records.demo import DEMO_PASSWORD
from assessment.scoring import Grader
from server.elder_lookup import mask_id_number, parse_query
from server.web.labels import GRADE_LABELS
from testkit.process import ServerProcess
from testkit.synthetic import assessment_payload, elder_payload
from tests.server.support import Laptop
from tests.server.test_pages import sign_in, township_with_laptops
from tests.server.townships import Fleet, feed_counts, graded_elder, shown_assessments

UI = "/admin/ui"


@pytest.fixture
def fleet(tmp_path: Path, capsys: pytest.CaptureFixture[str],
          monkeypatch: pytest.MonkeyPatch) -> Fleet:
    """Demo laptop ``one`` (township A) and ``three`` (township B)."""
    monkeypatch.setenv("YINLING_PASSWORD", DEMO_PASSWORD)
    laptops = Fleet(tmp_path, capsys)
    laptops.add("one", 71, elders=5)
    laptops.add("three", 72, elders=3)
    return laptops


@pytest.fixture
def browser(shared_server: ServerProcess) -> Iterator[httpx.Client]:
    """A cookie-keeping client that does not follow redirects."""
    with httpx.Client(base_url=shared_server.url,
                      headers={"Origin": shared_server.url}, timeout=120) as http:
        yield http


def _county(server: ServerProcess, *argv: str) -> list[str]:
    county = ["county", "--data-dir", str(server.data_dir)]
    return [*county, *(["--db", server.db_url] if server.db_url else []), *argv]


def _run(capsys: pytest.CaptureFixture[str], server: ServerProcess,
         *argv: str) -> tuple[int, str, str]:
    code = main(_county(server, *argv))
    out, err = capsys.readouterr()
    return code, out, err


def _township_of(server: ServerProcess, record_type: str, record_id: str) -> str:
    return str(server.scalar(
        "SELECT t.code FROM record_heads h JOIN townships t ON t.id = h.township_id "
        "WHERE h.record_type = :t AND h.record_id = :r", t=record_type, r=record_id))


def _unused_number(rng: random.Random) -> str:
    """A valid ID number of an area code no demo laptop uses."""
    birth = date(rng.randint(1930, 1955), rng.randint(1, 12), rng.randint(1, 28))
    return make_resident_id("142729", birth, rng.randint(0, 999), rng.random() < 0.5)


def _mistyped(number: str) -> str:
    """The number with its check character wrong."""
    return number[:17] + next(c for c in "0123456789X" if c != check_digit(number[:17]))


# --- the search text -------------------------------------------------------------------------

def test_search_text_is_an_id_number_or_a_name() -> None:
    with_x = next(n for n in (make_resident_id("140105", date(1948, 3, 9), s, True)
                              for s in range(1, 999, 2)) if n.endswith("X"))
    typed = f" {with_x[:6]} {with_x[6:14]} {with_x[14:].lower()} "
    assert parse_query(typed).by == "id_number"
    assert parse_query(typed).value == with_x
    assert parse_query(typed).shown == f"{with_x[:6]}********{with_x[14:]}"
    legacy = with_x[:6] + with_x[8:17]  # the 15-digit form of a 19xx birth
    assert parse_query(legacy).value[:17] == with_x[:17]
    for text, code in ((_mistyped(with_x), "check_digit"), (with_x[:16], "shape"),
                       ("", "missing"), ("  ", "missing"), ("王1", "shape"),
                       ("王" * 41, "length")):
        with pytest.raises(InputRejected) as refused:
            parse_query(text)
        assert refused.value.problems[0].code == code, text
        assert with_x not in str(refused.value)
    assert (parse_query(" 王秀 ").by, parse_query(" 王秀 ").value) == ("name", "王秀")
    assert mask_id_number(with_x) == with_x[:6] + "*" * 8 + with_x[14:]
    assert mask_id_number("12345") == "*****"


# --- the county command ----------------------------------------------------------------------

def test_find_and_transfer_by_id_number_from_the_command_line(
        shared_server: ServerProcess, fleet: Fleet, capsys: pytest.CaptureFixture[str],
        tmp_path: Path) -> None:
    server = shared_server
    admin = server.admin()
    tag = uuid.uuid4().hex[:8]
    town_a, town_b = f"a{tag}", f"b{tag}"
    admin.setup_township(town_a, [f"a1{tag}", f"a2{tag}"])
    admin.setup_township(town_b, [f"b1{tag}"])
    fleet.enrol("one", server, admin, f"a1{tag}")
    fleet.enrol("three", server, admin, f"b1{tag}")
    fleet.ok("one", "run")
    fleet.ok("three", "run")
    with fleet.open("one") as one:
        elder_id = graded_elder(one)
        elder = one.elders.get(elder_id)
        current = one.assessments.current(elder_id)
        history = shown_assessments(one, elder_id)
        other = one.elders.get(next(r.elder_id for r in one.elders.page(
            RegisterFilter(), 0, 100) if r.elder_id != elder_id))
    number, shared = elder.id_number, other.id_number
    assert number is not None
    assert shared is not None
    assert current is not None
    masked = f"{number[:6]}********{number[14:]}"

    # Found by the ID number as people type it, masked, with the server's latest grade.
    code, out, err = _run(capsys, server, "elders", "find", f" {number.lower()} ")
    assert code == 0, err
    found = json.loads(out)
    assert (found["by"], found["query"], found["total"], found["more"]) == \
        ("id_number", masked, 1, False)
    [match] = found["matches"]
    assert match == {"elder_id": elder_id, "name": elder.name, "id_number_masked": masked,
                     "sex": elder.sex, "birth_year": elder.birth_date.year
                     if elder.birth_date else None, "township": town_a,
                     "township_name": f"{town_a}镇", "village": elder.village,
                     "grade": current.final_grade}
    assert number not in out

    # By name: the full name first, then everyone whose name begins with it.
    code, out, _ = _run(capsys, server, "elders", "find", elder.name)
    assert code == 0
    by_name = json.loads(out)
    assert elder_id in [m["elder_id"] for m in by_name["matches"]]
    assert all(m["name"].startswith(elder.name) for m in by_name["matches"])
    assert by_name["matches"][0]["name"] == elder.name
    code, out, _ = _run(capsys, server, "elders", "find", elder.name[0], "--limit", "1")
    assert code == 0
    by_surname = json.loads(out)
    assert len(by_surname["matches"]) == 1
    assert by_surname["more"] is (by_surname["total"] > 1)
    assert all(m["name"].startswith(elder.name[0]) for m in by_surname["matches"])
    for argv, message in (((number[:12],), "应为 18 位"), (("王", "--limit", "0"), "--limit")):
        code, out, err = _run(capsys, server, "elders", "find", *argv)
        assert (code, out) == (1, "")
        assert message in err

    # Refused with nothing written: unknown, mistyped, and shared by two elder records.
    laptop = Laptop.enrol(tmp_path / "dup", server.url, admin.code(f"a2{tag}"))
    duplicate = new_id()
    laptop.outbox.record("elder", duplicate, {**elder_payload(random.Random(5)),
                                              "id_number": shared})
    with laptop.client() as client:
        assert client.push().applied == 1
    laptop.close()
    unknown = _unused_number(random.Random(tag))
    both = "、".join(sorted([other.elder_id, duplicate]))
    held = feed_counts(server)
    for reference, message in (
            (unknown, f"县级没有身份证号为 {mask_id_number(unknown)} 的老年人档案"),
            (_mistyped(number), "校验位不正确"),
            (shared, f"对应 2 份老年人档案（编号 {both}）")):
        code, out, err = _run(capsys, server, "transfer", reference, "--to", town_b)
        assert code == 1
        assert message in err
        assert reference not in out + err
    assert feed_counts(server) == held
    code, out, _ = _run(capsys, server, "elders", "find", shared)
    assert {m["elder_id"] for m in json.loads(out)["matches"]} == {other.elder_id, duplicate}

    # The ID number of exactly one elder moves it with all its assessments.
    code, out, err = _run(capsys, server, "transfer", number, "--to", town_b,
                          "--note", "随女儿迁居")
    assert code == 0, err
    done = json.loads(out)
    assert (done["elder_id"], done["from"], done["to"]) == (elder_id, town_a, town_b)
    assert done["sent_assessments"] == len(history)
    assert done["assessments"] >= len(history)
    assert _township_of(server, "elder", elder_id) == town_b
    assert {_township_of(server, "assessment", a) for a in history} == {town_b}
    assert server.scalar("SELECT note FROM transfers WHERE id = :i",
                         i=done["transfer"]) == "随女儿迁居"
    code, out, _ = _run(capsys, server, "elders", "find", number)
    assert json.loads(out)["matches"][0]["township"] == town_b

    fleet.ok("three", "run")
    with fleet.open("three") as three:
        assert three.elders.get(elder_id).id_number == number
        assert shown_assessments(three, elder_id) == history
    assert number not in server.log()


# --- the page --------------------------------------------------------------------------------

def test_the_page_finds_by_post_and_moves_an_elder_after_a_confirmation(
        shared_server: ServerProcess, browser: httpx.Client, tmp_path: Path) -> None:
    server = shared_server
    town_a, (one,) = township_with_laptops(server, tmp_path / "a", count=1)
    town_b, (two,) = township_with_laptops(server, tmp_path / "b", count=1)
    rng = random.Random(uuid.uuid4().hex)
    number = _unused_number(rng)
    name = "贺兰<b>芝"
    elder_id, assessment_id = new_id(), new_id()
    one.outbox.record_many([
        ("elder", elder_id, {**elder_payload(rng), "name": name, "id_number": number,
                             "birth_date": f"{number[6:10]}-{number[10:12]}-{number[12:14]}",
                             "sex": "男" if int(number[16]) % 2 else "女"}),
        ("assessment", assessment_id,
         assessment_payload(Grader(), rng, elder_id, rules_hash=server.rules_hash()))])
    with one.client() as client:
        assert client.push().applied == 2
    grade = int(server.scalar("SELECT grade FROM record_heads WHERE record_type = "
                              "'assessment' AND record_id = :a", a=assessment_id))
    masked = f"{number[:6]}********{number[14:]}"
    search, confirm = f"{UI}/elders", f"{UI}/elders/{elder_id}/transfer"

    for method, path in (("GET", search), ("POST", search), ("GET", confirm),
                         ("POST", confirm)):
        answer = browser.request(method, path, data={"q": number, "to": town_b}
                                 if method == "POST" else None)
        assert (answer.status_code, answer.headers["location"]) == (303, f"{UI}/login")
    csrf = sign_in(browser, server)
    form = browser.get(search)
    assert form.status_code == 200
    assert f'<form class="filters" method="post" action="{search}">' in form.text
    assert f'href="{search}" class="here"' in form.text  # the navigation's link

    refused = browser.post(search, data={"q": number})
    assert refused.status_code == 403
    for typed in (number, f"{number[:6]} {number[6:].lower()}"):
        page = browser.post(search, data={"csrf": csrf, "q": typed})
        assert page.status_code == 200, page.text
        assert "找到 1 位老人" in page.text
        assert masked in page.text
        assert number not in page.text
        assert "贺兰&lt;b&gt;芝" in page.text
        assert "<b>芝" not in page.text
        assert town_a in page.text
        assert GRADE_LABELS[grade] in page.text
        assert f'href="{confirm}"' in page.text
    by_name = browser.post(search, data={"csrf": csrf, "q": "贺兰"})
    assert masked in by_name.text
    assert 'value="贺兰"' in by_name.text  # a name is kept in the box, a number never
    mistyped = browser.post(search, data={"csrf": csrf, "q": _mistyped(number)})
    assert mistyped.status_code == 400
    assert "身份证号：公民身份号码校验位不正确" in mistyped.text
    assert _mistyped(number) not in mistyped.text
    nobody = browser.post(search, data={"csrf": csrf, "q": _unused_number(rng)})
    assert "没有找到相符的老年人档案" in nobody.text

    page = browser.get(confirm)
    assert page.status_code == 200
    assert f'<option value="{town_b}">' in page.text
    assert f'<option value="{town_a}"' not in page.text  # not the township it is in
    assert masked in page.text
    assert number not in page.text
    assert browser.get(f"{UI}/elders/{new_id()}/transfer").status_code == 404

    fields = {"to": town_b, "note": "随子女迁居"}
    assert browser.post(confirm, data=fields).status_code == 403
    assert browser.post(confirm, data={**fields, "csrf": "x" * 43}).status_code == 403
    wrong = browser.post(confirm, data={**fields, "csrf": csrf, "to": "nowhere"})
    assert wrong.status_code == 400
    assert "未迁移：迁入乡镇：没有编码为 nowhere 的乡镇" in wrong.text
    assert "随子女迁居" in wrong.text  # the note is kept for another try
    same = browser.post(confirm, data={**fields, "csrf": csrf, "to": town_a})
    assert "迁入乡镇：该老人已属于乡镇" in same.text
    assert number not in wrong.text + same.text
    assert _township_of(server, "elder", elder_id) == town_a
    assert server.scalar("SELECT COUNT(*) FROM transfers WHERE elder_id = :e",
                         e=elder_id) == 0

    done = browser.post(confirm, data={**fields, "csrf": csrf})
    assert (done.status_code, done.headers["location"]) == (303, search)
    after = browser.get(search).text
    assert f"迁至{town_b}镇（{town_b}）：随迁评估 1 份" in after
    assert _township_of(server, "elder", elder_id) == town_b
    assert _township_of(server, "assessment", assessment_id) == town_b
    assert server.scalar("SELECT actor FROM transfers WHERE elder_id = :e",
                         e=elder_id) == "web:county-admin"

    # Township B's laptop pulls the elder and its assessment.
    with two.client() as client:
        assert client.pull().received >= 2
    head = two.outbox.head("elder", elder_id)
    assert head is not None
    assert head["payload"]["id_number"] == number
    assert two.outbox.head("assessment", assessment_id) is not None

    log = server.log()
    assert f"POST {search}" in log  # the access log is on, and keeps the path only
    assert number not in log
    assert number.lower() not in log
    assert number[6:] not in log
    assert "贺兰" not in log
    one.close()
    two.close()
