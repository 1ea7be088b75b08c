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
    assert second_id not in browser.get(f"{UI}/registry").text
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


def test_registry_views_mask_id_numbers() -> None:
    """Issue 12 item 9: the registry page and an import summary never show a full number."""
    from server.web.registry_view import registry_page, summary_view

    full = "140404195001011234"
    person = {"elder_id": "e1", "name": "张三", "id_number": full, "birth_date": "1950-01-01",
              "township": "甲镇", "village": "一村"}
    page = str(registry_page("t", [{"reason_text": "同一身份证号", "first": person,
                                    "second": {**person, "elder_id": "e2"}}], 8))
    summary = str(summary_view({
        "rows": 1, "matched": 0, "updated": 0, "unchanged": 0, "removed": 1,
        "newly_eligible": [{"id_number": full, "name": "张三", "items": []}],
        "unknown_ids": [{"row": 2, "id_number": full}],
        "name_mismatches": [{"row": 3, "id_number": full, "registry": "张三", "roster": "张叁"}],
        "removed_ids": [{"id_number": full, "name": "张三"}], "refused": []}))
    for html in (page, summary):
        assert full not in html
        assert "140404********1234" in html
