"""Attack: ID numbers in the review queue and in URLs (issue: security, item 9).

Against a real uvicorn server on SQLite and on PostgreSQL: two laptops of one township write
different ID numbers for one elder, which the county keeps as a field conflict. Before the fix
``GET /admin/review/conflicts?all=true``, ``county review list conflicts --all`` and the review
page showed both numbers in full; now every listing masks them and the full number is shown
only on an explicit reveal, recorded in the audit log under the person. ``POST
/admin/elders/{id}/transfer`` with an ID number in the path is refused without repeating it,
and the access log never holds it.
"""

from __future__ import annotations

import json
import random
from datetime import date
from pathlib import Path

import httpx
import pytest

from assessment.cli import main
from assessment.identity import make_resident_id
from assessment.ids import new_id
from testkit.process import ServerProcess
from testkit.synthetic import elder_payload
from tests.server.test_pages import UI, sign_in, township_with_laptops


def _numbers(seed: int) -> tuple[str, str]:
    rng = random.Random(seed)
    born = date(1940, 1 + rng.randrange(12), 1 + rng.randrange(28))
    return (make_resident_id("140105", born, rng.randint(1, 499), True),
            make_resident_id("140105", born, rng.randint(500, 999), True))


def test_id_numbers_are_masked_and_revealed_only_on_record(
        shared_server: ServerProcess, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    server = shared_server
    township, (one, two) = township_with_laptops(server, tmp_path)
    first, second = _numbers(len(township))
    elder_id = new_id()
    profile = {**elder_payload(random.Random(3)), "id_number": first}
    one.outbox.record("elder", elder_id, profile)
    with one.client() as c1, two.client() as c2:
        c1.push()
        c2.pull()
        one.outbox.record("elder", elder_id, {**profile, "id_number": second})
        two.outbox.record("elder", elder_id, {**profile, "id_number": first[:-4] + "0000"})
        c1.push()
        c2.push()
    third = first[:-4] + "0000"
    admin = server.admin()
    listed = admin.call("GET", "/admin/review/conflicts",
                        params={"all": True, "township": township})
    conflict = next(c for c in listed if c["field"] == "id_number")
    text = json.dumps(listed, ensure_ascii=False)
    for number in (second, third):
        assert number not in text
    assert conflict["masked"] is True
    assert conflict["winner_value"].startswith("140105")
    assert "*" in conflict["winner_value"]

    db = ["--db", server.db_url] if server.db_url else []
    assert main(["county", "--data-dir", str(server.data_dir), *db, "review", "list",
                 "conflicts", "--all", "--township", township]) == 0
    out = capsys.readouterr().out
    assert second not in out
    assert third not in out
    assert "*" in out

    with httpx.Client(base_url=server.url, headers={"Origin": server.url},
                      timeout=60) as browser:
        csrf = sign_in(browser, server)
        page = browser.get(f"{UI}/review/conflicts", params={"all": "1", "township": township})
        assert second not in page.text
        assert third not in page.text
        assert f"/review/conflicts/{conflict['id']}/reveal" in page.text
        shown = browser.post(f"{UI}/review/conflicts/{conflict['id']}/reveal",
                             data={"csrf": csrf})
        assert shown.status_code == 200
        assert second in shown.text
        assert third in shown.text
    revealed = admin.call("POST", f"/admin/review/conflicts/{conflict['id']}/reveal")
    assert {revealed["winner_value"], revealed["loser_value"]} == {second, third}
    actors = [actor for actor, detail in server.query(
        "SELECT actor, detail FROM audit WHERE action = 'review.reveal'")
        if json.loads(detail)["id"] == conflict["id"]]
    assert actors == ["web:county-admin", "admin"]
    one.close()
    two.close()


def test_no_id_number_in_a_transfer_path(shared_server: ServerProcess) -> None:
    server = shared_server
    number, _ = _numbers(7)
    with httpx.Client(base_url=server.url, timeout=60) as http:
        answer = http.post(f"/admin/elders/{number}/transfer", json={"to": "x"},
                           headers={"Authorization": f"Bearer {server.admin().token}"})
    assert answer.status_code == 400
    assert [p["field"] for p in answer.json()["problems"]] == ["elder_id"]
    assert number not in answer.text
    assert "/admin/elders/" in server.log()
    assert number not in server.log()
