"""Attack: input that made the county answer 500 with a traceback (issue: security, item 4).

Against a real uvicorn server on SQLite and on PostgreSQL: ``'[' * 1000`` posted to
``/enrol``, to an admin endpoint and (signed) to ``/sync/push``; a service-list YAML holding a
5,000-digit integer on ``POST /admin/lists``. Each is now a 4xx with a Chinese message that
names the field; nothing is written. (Malformed timestamps: ``test_server_body_memory``.)
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from assessment.cli import main
from assessment.wire.requestsig import sign_request
from testkit.process import ServerProcess
from tests.server.support import Laptop

DEEP = "[" * 1000
CHINESE = re.compile(r"[\u4e00-\u9fff]")
LIST = Path(__file__).resolve().parents[2] / "resources" / "service_lists"


def _refused(answer: httpx.Response, field: str) -> dict[str, Any]:
    assert 400 <= answer.status_code < 500, (answer.status_code, answer.text)
    body: dict[str, Any] = answer.json()
    assert CHINESE.search(body["detail"]), body
    assert field in [p["field"] for p in body["problems"]], body
    return body


def test_absurdly_nested_json_is_refused_naming_the_body(shared_server: ServerProcess,
                                                         tmp_path: Path) -> None:
    server = shared_server
    admin = server.admin()
    with httpx.Client(base_url=server.url, timeout=60) as http:
        _refused(http.post("/enrol", content=DEEP,
                           headers={"Content-Type": "application/json"}), "body")
        held = server.scalar("SELECT COUNT(*) FROM townships")
        _refused(http.post("/admin/townships", content=DEEP, headers={
            "Content-Type": "application/json", "Authorization": f"Bearer {admin.token}"}),
            "body")
        assert server.scalar("SELECT COUNT(*) FROM townships") == held
    tag = uuid.uuid4().hex[:8]
    admin.setup_township(f"t{tag}", [f"u{tag}"])
    laptop = Laptop.enrol(tmp_path / "laptop", server.url, admin.code(f"u{tag}"))
    body = DEEP.encode()
    signed = sign_request(laptop.keys.device_id, laptop.keys.sign_key, "POST", "/sync/push",
                          body)
    with httpx.Client(base_url=server.url, timeout=60) as http:
        answer = http.post("/sync/push", content=body,
                           headers={**signed, "Content-Type": "application/json"})
    problem = _refused(answer, "body")["problems"][0]
    assert problem["code"] == "too_deep"
    laptop.close()


def test_a_list_with_a_huge_integer_is_refused_naming_the_content(
        shared_server: ServerProcess) -> None:
    server = shared_server
    source = next(LIST.glob("*.yaml")).read_text(encoding="utf-8")
    huge = re.sub(r"(?m)^version:.*$", "version: " + "9" * 5000, source, count=1)
    assert huge != source
    held = server.scalar("SELECT COUNT(*) FROM list_versions")
    with httpx.Client(base_url=server.url, timeout=60) as http:
        answer = http.post("/admin/lists", json={"list_id": "attack", "version": 1,
                                                 "content": huge},
                           headers={"Authorization": f"Bearer {server.admin().token}"})
    problem = _refused(answer, "content")["problems"][0]
    assert problem["code"] == "int_digits"
    assert "5000" in problem["message"]
    assert server.scalar("SELECT COUNT(*) FROM list_versions") == held


def test_the_statistics_workbook_of_an_empty_county_is_written(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Found by the pages' schemathesis run: a table with an empty cell (NaN, or pandas'
    NA) made the workbook fail (column widths; a cell openpyxl cannot write), a 500 on
    ``/admin/ui/stats.xlsx`` and a traceback from ``county stats --out``."""
    out = tmp_path / "统计.xlsx"
    assert main(["county", "--data-dir", str(tmp_path / "county"), "stats",
                 "--out", str(out)]) == 0
    assert "已导出" in capsys.readouterr().out
    assert out.stat().st_size > 0
