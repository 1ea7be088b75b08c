"""Requests that do not fit an endpoint's model are refused in Chinese, naming each field,
and change nothing."""

from __future__ import annotations

import httpx

from testkit.process import ServerProcess


def test_bad_admin_requests_name_their_fields_in_chinese(shared_server: ServerProcess) -> None:
    admin = shared_server.admin()
    auth = {"Authorization": f"Bearer {admin.token}"}
    before = admin.call("GET", "/admin/townships")
    with httpx.Client(base_url=shared_server.url, headers=auth, timeout=30) as http:
        bad = http.post("/admin/townships", json={"code": "x"})
        assert bad.status_code == 400
        answer = bad.json()
        assert answer["code"] == "invalid"
        assert {(p["field"], p["message"]) for p in answer["problems"]} == {
            ("code", "至少 2 个字符"), ("name", "缺少该项")}
        assert answer["detail"].startswith("请求无效：")
        assert "code：至少 2 个字符" in answer["detail"]

        typed = http.post("/admin/enrolment-codes", json={"username": "u", "valid_hours": "x"})
        assert typed.status_code == 400
        assert ("valid_hours", "应为整数") in {(p["field"], p["message"])
                                             for p in typed.json()["problems"]}
        huge = http.post("/admin/enrolment-codes", json={"username": "u", "valid_hours": 10**6})
        assert huge.status_code == 400
        assert "valid_hours：应不大于 720" in huge.json()["detail"]

        broken = http.post("/admin/townships", content=b"{not json",
                           headers={"Content-Type": "application/json"})
        assert broken.status_code == 400
        assert "JSON 格式错误（第 1 行第 2 列）" in broken.json()["detail"]
        assert [p["field"] for p in broken.json()["problems"]] == ["body"]
        flag = http.get("/admin/review/conflicts", params={"all": "perhaps"})
        assert flag.status_code == 400
        assert "all：应为 true 或 false" in flag.json()["detail"]
    assert admin.call("GET", "/admin/townships") == before
