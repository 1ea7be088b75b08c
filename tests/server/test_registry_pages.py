"""The county's 名册 page against a real uvicorn server: the same person registered by two
townships' laptops shows in the duplicate queue and is merged through the form; a roster
uploaded through the page is previewed, then imported; the forms need the session's CSRF
token."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import httpx
import pytest

from assessment.ids import new_id
from testkit.process import ServerProcess
from testkit.synthetic import elder_payload
from tests.server.test_pages import UI, sign_in, township_with_laptops


@pytest.fixture
def browser(shared_server: ServerProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=shared_server.url, headers={"Origin": shared_server.url},
                      timeout=120) as http:
        yield http


def test_duplicate_queue_merge_and_roster_import_through_the_pages(
        shared_server: ServerProcess, browser: httpx.Client, tmp_path: Path) -> None:
    server = shared_server
    rng = random.Random(77)
    person = elder_payload(rng)
    first_id, second_id = new_id(), new_id()
    _, (one,) = township_with_laptops(server, tmp_path / "a", count=1)
    _, (two,) = township_with_laptops(server, tmp_path / "b", count=1)
    # One person registered offline in two townships (the second without the ID number).
    one.outbox.record("elder", first_id, {**person, "id": first_id})
    two.outbox.record("elder", second_id, {**person, "id": second_id, "id_number": None})
    for laptop in (one, two):
        with laptop.client() as client:
            client.push()
    csrf = sign_in(browser, server)
    page = browser.get(f"{UI}/registry")
    assert page.status_code == 200
    assert "姓名读音和出生日期相同" in page.text
    assert first_id in page.text
    assert second_id in page.text
    refused = browser.post(f"{UI}/registry/merge",
                           data={"csrf": "x" * 43, "keep": first_id, "other": second_id})
    assert refused.status_code == 403
    done = browser.post(f"{UI}/registry/merge",
                        data={"csrf": csrf, "keep": first_id, "other": second_id})
    assert done.status_code == 303
    status = json.loads(server.scalar(
        "SELECT payload FROM record_heads WHERE record_type = 'elder_status' "
        "AND record_id = :r", r=second_id))
    assert (status["status"], status["merged_into"]) == ("merged", first_id)
    queue, off_roll = browser.get(f"{UI}/registry").text.split("<h2>注销</h2>")
    assert second_id not in queue
    assert second_id in off_roll  # with its unmerge button
    again = browser.post(f"{UI}/registry/merge",
                         data={"csrf": csrf, "keep": first_id, "other": second_id})
    assert again.status_code == 303
    assert "未合并" in browser.get(f"{UI}/registry").text

    # A roster through the page: a dry run first, then the import.
    roster = f"公民身份号码,姓名\n{person['id_number']},{person['name']}\n".encode("gbk")
    form = {"csrf": csrf, "kind": "dibao", "source": "县民政局",
            "as_of": date.today().isoformat(), "dry_run": "1"}
    preview = browser.post(f"{UI}/registry/import", data=form,
                           files={"roster": ("dibao.csv", roster)})
    assert preview.status_code == 200
    assert "预览（尚未写入）" in preview.text
    held = json.loads(server.scalar("SELECT payload FROM record_heads WHERE "
                                    "record_type = 'elder' AND record_id = :r", r=first_id))
    assert held["attributes"].get("assistance_status") is None
    form.pop("dry_run")
    applied = browser.post(f"{UI}/registry/import", data=form,
                           files={"roster": ("dibao.csv", roster)})
    assert applied.status_code == 200
    assert "<h1>已导入</h1>" in applied.text
    held = json.loads(server.scalar("SELECT payload FROM record_heads WHERE "
                                    "record_type = 'elder' AND record_id = :r", r=first_id))
    assert held["attributes"]["assistance_status"] == "dibao"
    assert held["provenance"]["assistance_status"]["source"] == "县民政局"
    bad = browser.post(f"{UI}/registry/import", data=form,
                       files={"roster": ("dibao.txt", b"x")})
    assert bad.status_code == 303


def _status(server: ServerProcess, elder_id: str) -> dict[str, object]:
    text = server.scalar("SELECT payload FROM record_heads WHERE record_type = 'elder_status' "
                         "AND record_id = :r", r=elder_id)
    assert text is not None
    payload: dict[str, object] = json.loads(text)
    return payload


def _audited(server: ServerProcess, action: str) -> list[str]:
    return [str(r[0]) for r in server.query(
        "SELECT actor FROM audit WHERE action = :a ORDER BY id", a=action)]


def test_deregister_restore_and_unmerge_through_the_page(
        shared_server: ServerProcess, browser: httpx.Client, tmp_path: Path) -> None:
    """The page's deregister, restore and unmerge forms do what the CLI verbs do, only for a
    管理员 with the session's CSRF token and from the server's own origin, audited under the
    operator's name; the lists show ID numbers masked."""
    server = shared_server
    rng = random.Random(78)
    person, twin = elder_payload(rng), elder_payload(rng)
    elder_id, keep_id, other_id = new_id(), new_id(), new_id()
    _, (one,) = township_with_laptops(server, tmp_path / "a", count=1)
    one.outbox.record("elder", elder_id, {**person, "id": elder_id})
    one.outbox.record("elder", keep_id, {**twin, "id": keep_id})
    one.outbox.record("elder", other_id, {**twin, "id": other_id, "id_number": None})
    with one.client() as client:
        client.push()
    csrf = sign_in(browser, server)
    form = {"csrf": csrf, "elder_id": person["id_number"], "reason": "death",
            "on": date.today().isoformat(), "note": "家属告知"}
    # A reviewer, a stale token and a foreign origin are all refused with nothing written.
    with httpx.Client(base_url=server.url, headers={"Origin": server.url},
                      timeout=120) as reviewer:
        token = sign_in(reviewer, server, "county-reviewer", "reviewer")
        assert reviewer.post(f"{UI}/registry/deregister",
                             data={**form, "csrf": token}).status_code == 403
    assert browser.post(f"{UI}/registry/deregister",
                        data={**form, "csrf": "x" * 43}).status_code == 403
    assert browser.post(f"{UI}/registry/deregister", data=form,
                        headers={"Origin": "http://evil.example"}).status_code == 403
    assert server.scalar("SELECT count(*) FROM record_heads WHERE record_type = "
                         "'elder_status' AND record_id = :r", r=elder_id) == 0
    # A bad date is refused with a message naming it.
    bad = browser.post(f"{UI}/registry/deregister", data={**form, "on": "昨天"})
    assert bad.status_code == 303
    assert "注销日期" in browser.get(f"{UI}/registry").text

    done = browser.post(f"{UI}/registry/deregister", data=form)
    assert done.status_code == 303
    held = _status(server, elder_id)
    assert (held["status"], held["reason"], held["by"]) == (
        "deregistered", "death", "web:county-admin")
    page = browser.get(f"{UI}/registry").text
    assert "已注销（死亡）" in page
    assert person["id_number"] not in page
    assert person["id_number"][:6] + "********" + person["id_number"][-4:] in page
    assert _audited(server, "elder.deregister")[-1] == "web:county-admin"
    again = browser.post(f"{UI}/registry/deregister", data=form)
    assert again.status_code == 303
    assert "未注销" in browser.get(f"{UI}/registry").text

    restored = browser.post(f"{UI}/registry/restore",
                            data={"csrf": csrf, "elder_id": elder_id, "why": "误报死亡"})
    assert restored.status_code == 303
    assert _status(server, elder_id)["status"] == "active"
    assert _audited(server, "elder.restore")[-1] == "web:county-admin"

    merged = browser.post(f"{UI}/registry/merge",
                          data={"csrf": csrf, "keep": keep_id, "other": other_id})
    assert merged.status_code == 303
    assert _status(server, other_id)["merged_into"] == keep_id
    assert "撤销合并" in browser.get(f"{UI}/registry").text
    undone = browser.post(f"{UI}/registry/unmerge",
                          data={"csrf": csrf, "elder_id": other_id, "why": "并非同一人"})
    assert undone.status_code == 303
    assert _status(server, other_id)["status"] == "active"
    assert _audited(server, "elder.unmerge")[-1] == "web:county-admin"
    assert "已撤销合并" in browser.get(f"{UI}/registry").text


def test_not_the_same_person_leaves_the_queue_and_the_cli_undoes_it(
        shared_server: ServerProcess, browser: httpx.Client, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    """"不是同一人" on the page takes the pair out of the queue (stored, audited under the
    operator); ``yinling county registry undismiss`` puts it back."""
    from assessment.cli import main

    server = shared_server
    person = elder_payload(random.Random(79))
    first_id, second_id = new_id(), new_id()
    _, (one,) = township_with_laptops(server, tmp_path / "a", count=1)
    _, (two,) = township_with_laptops(server, tmp_path / "b", count=1)
    one.outbox.record("elder", first_id, {**person, "id": first_id})
    two.outbox.record("elder", second_id, {**person, "id": second_id, "id_number": None})
    for laptop in (one, two):
        with laptop.client() as client:
            client.push()
    csrf = sign_in(browser, server)
    assert second_id in browser.get(f"{UI}/registry").text
    form = {"csrf": csrf, "first": second_id, "second": first_id}
    assert browser.post(f"{UI}/registry/dismiss",
                        data={**form, "csrf": "x" * 43}).status_code == 403
    assert second_id in browser.get(f"{UI}/registry").text
    done = browser.post(f"{UI}/registry/dismiss", data=form)
    assert done.status_code == 303
    page = browser.get(f"{UI}/registry").text
    assert "已标记为不是同一人" in page
    assert second_id not in page
    assert server.query("SELECT actor FROM audit WHERE action = 'elder.not_duplicate' "
                        "AND detail LIKE :d", d=f"%{second_id}%") == [("web:county-admin",)]
    again = browser.post(f"{UI}/registry/dismiss", data=form)
    assert again.status_code == 303
    assert "未标记" in browser.get(f"{UI}/registry").text

    base = ["county", "--data-dir", str(server.data_dir)]
    base += ["--db", server.db_url] if server.db_url else []
    capsys.readouterr()
    code = main([*base, "registry", "undismiss", first_id, second_id, "--why", "核实后确为同一人"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert json.loads(out)["why"] == "核实后确为同一人"
    assert second_id in browser.get(f"{UI}/registry").text
    assert main([*base, "registry", "undismiss", first_id, second_id, "--why", "再次"]) != 0
    assert "没有标记为不是同一人" in capsys.readouterr().err


def test_registry_views_mask_id_numbers() -> None:
    """Issue 12 item 9: the registry page and an import summary never show a full number."""
    from server.web.registry_view import registry_page, summary_view
    from server.web.templating import render_text

    full = "140404195001011234"
    person = {"elder_id": "e1", "name": "张三", "id_number": full, "birth_date": "1950-01-01",
              "township": "甲镇", "village": "一村"}
    page = render_text("registry.html", {
        "title": "名册", "csrf": "t",
        **registry_page([{"reason_text": "同一身份证号", "first": person,
                          "second": {**person, "elder_id": "e2"}}], 8,
                        [{**person, "elder_id": "e3", "status": "merged", "label": "已合并",
                          "merged_into": "e1"}])})
    summary = render_text("registry_summary.html", {"title": "名单导入", **summary_view({
        "rows": 1, "matched": 0, "updated": 0, "unchanged": 0, "removed": 1,
        "newly_eligible": [{"id_number": full, "name": "张三", "items": []}],
        "unknown_ids": [{"row": 2, "id_number": full}],
        "name_mismatches": [{"row": 3, "id_number": full, "registry": "张三", "roster": "张叁"}],
        "removed_ids": [{"id_number": full, "name": "张三"}], "refused": []})})
    for html in (page, summary):
        assert full not in html
        assert "140404********1234" in html
    assert page.count("140404********1234") == 3  # both of the pair and the merged record
    assert summary.count("140404********1234") == 4
