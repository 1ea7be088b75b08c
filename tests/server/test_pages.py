"""The county operator's web pages against a real uvicorn server: sign-in and sessions, CSRF,
review queues fed by real pushes, bundle upload with a verifiable receipt, devices."""

from __future__ import annotations

import random
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from assessment.devicekeys import DevicePublicKey
from assessment.errors import InputRejected
from assessment.ids import new_id
from assessment.scoring import Grader
from assessment.wire.bundle import export_bundle
from assessment.wire.crypto import b64decode
from assessment.wire.receipt import import_receipt, parse_receipt
from server.config import Settings
from server.context import ServerContext
from server.operators import add_operator
from server.web.session import SESSION_COOKIE, SIGNIN_COOKIE
from testkit.process import Admin, ServerProcess
from testkit.synthetic import assessment_payload, elder_payload
from tests.server.support import Laptop

UI = "/admin/ui"
SCRIPT = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def token_of(server: ServerProcess) -> str:
    """The admin token the server generated."""
    return (server.data_dir / "admin.token").read_text(encoding="ascii").strip()


def csrf_of(page: str) -> str:
    """The CSRF token a signed-in page carries in its forms."""
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, "page without a CSRF field"
    return found.group(1)


PASSWORD = "县级测试密码2026"
ADMIN_USER = "county-admin"


def operator(server: ServerProcess, username: str = ADMIN_USER, role: str = "admin") -> str:
    """A named county account (made once per server database); its username."""
    if not server.query("SELECT 1 FROM operators WHERE username = :u", u=username):
        settings = Settings(data_dir=server.data_dir, db_url=server.db_url)
        with ServerContext.open(settings, migrate=False) as ctx, ctx.engine.begin() as conn:
            add_operator(conn, username, f"测试{role}", role, PASSWORD, "test")
    return username


def sign_in(http: httpx.Client, server: ServerProcess, username: str = ADMIN_USER,
            role: str = "admin") -> str:
    """Sign in through the form with a named account; the CSRF token of the new session."""
    form = http.get(f"{UI}/login")
    signin = re.search(r'name="signin" value="([^"]+)"', form.text)
    assert signin is not None
    answer = http.post(f"{UI}/login", data={"signin": signin.group(1),
                                            "username": operator(server, username, role),
                                            "password": PASSWORD})
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == UI
    return csrf_of(http.get(UI).text)


@pytest.fixture
def browser(shared_server: ServerProcess) -> Iterator[httpx.Client]:
    """A cookie-keeping client that does not follow redirects (tests look at them)."""
    with httpx.Client(base_url=shared_server.url,
                      headers={"Origin": shared_server.url}, timeout=120) as http:
        yield http


def township_with_laptops(server: ServerProcess, tmp: Path, count: int = 2,
                          label: str = "测试笔记本") -> tuple[str, list[Laptop]]:
    """A fresh township with ``count`` enrolled laptops (one account each)."""
    tag = uuid.uuid4().hex[:8]
    admin = server.admin()
    users = [f"u{i}{tag}" for i in range(count)]
    admin.setup_township(f"t{tag}", users)
    laptops = [Laptop.enrol(tmp / user, server.url, admin.code(user), label=label)
               for user in users]
    return f"t{tag}", laptops


def open_items(admin: Admin, queue: str, township: str) -> list[dict[str, Any]]:
    """Open items of a queue in one township, through the JSON admin API."""
    items: list[dict[str, Any]] = admin.call("GET", f"/admin/review/{queue}",
                                             params={"township": township})
    return items


def test_pages_need_a_session_and_a_wrong_token_signs_nobody_in(
        shared_server: ServerProcess, browser: httpx.Client) -> None:
    for path in ("", "/review/conflicts", "/bundles", "/devices", "/receipts/x"):
        answer = browser.get(UI + path)
        assert (answer.status_code, answer.headers["location"]) == (303, f"{UI}/login")
    answer = browser.post(f"{UI}/review/conflicts/1", data={"action": "keep"})
    assert (answer.status_code, answer.headers["location"]) == (303, f"{UI}/login")
    with httpx.Client(base_url=shared_server.url,
                      headers={"Origin": shared_server.url},
                      cookies={SESSION_COOKIE: "made-up"}) as guess:
        assert guess.get(f"{UI}/review/conflicts").status_code == 303

    form = browser.get(f"{UI}/login")
    assert form.status_code == 200
    assert '<html lang="zh-CN">' in form.text
    assert '<meta charset="utf-8">' in form.text
    assert form.headers["x-frame-options"] == "DENY"
    assert form.headers["referrer-policy"] == "no-referrer"
    assert form.headers["cache-control"] == "no-store"
    assert "default-src 'self'" in form.headers["content-security-policy"]
    assert "unsafe-inline" not in form.headers["content-security-policy"]
    signin = re.search(r'name="signin" value="([^"]+)"', form.text)
    assert signin is not None

    wrong = browser.post(f"{UI}/login", data={"signin": signin.group(1),
                                             "username": operator(shared_server),
                                             "password": "wrong-password"})
    assert wrong.status_code == 401
    assert "用户名或密码不正确" in wrong.text
    assert SESSION_COOKIE not in wrong.headers.get("set-cookie", "")
    assert "wrong-password" not in wrong.text  # the submitted password is not echoed
    # The admin token is for the API and scripts only: it signs nobody in.
    token = browser.post(f"{UI}/login", data={"signin": signin.group(1), "token":
                                              token_of(shared_server)})
    assert token.status_code in (401, 403)
    assert SESSION_COOKIE not in token.headers.get("set-cookie", "")
    assert browser.get(UI).status_code == 303

    # The right token without the sign-in form's own token (a forged form) signs nobody in.
    with httpx.Client(base_url=shared_server.url, headers={"Origin": shared_server.url}) as other:
        forged = other.post(f"{UI}/login", data={"username": operator(shared_server),
                                                 "password": PASSWORD})
        assert forged.status_code == 403
        assert SESSION_COOKIE not in forged.headers.get("set-cookie", "")
        assert other.get(UI).status_code == 303

    csrf = sign_in(browser, shared_server)
    dashboard = browser.get(UI)
    assert dashboard.status_code == 200
    assert token_of(shared_server) not in dashboard.text
    assert "待处理的审核项" in dashboard.text

    # Sign-out needs the CSRF token too; afterwards the old cookie is worthless.
    old = browser.cookies.get(SESSION_COOKIE)
    assert browser.post(f"{UI}/logout", data={}).status_code == 403
    assert browser.get(UI).status_code == 200
    out = browser.post(f"{UI}/logout", data={"csrf": csrf})
    assert (out.status_code, out.headers["location"]) == (303, f"{UI}/login?m=out")
    assert "已退出登录" in browser.get(out.headers["location"]).text
    assert browser.get(UI).status_code == 303
    assert old
    with httpx.Client(base_url=shared_server.url,
                      headers={"Origin": shared_server.url},
                      cookies={SESSION_COOKIE: old}) as stale:
        assert stale.get(UI).status_code == 303
    assert token_of(shared_server) not in shared_server.log()


def test_session_cookie_attributes(shared_server: ServerProcess) -> None:
    for forwarded, secure in ((None, False), ("https", True)):
        headers = {"X-Forwarded-Proto": forwarded} if forwarded else {}
        origin = shared_server.url.replace("http://", "https://" if secure else "http://")
        with httpx.Client(base_url=shared_server.url,
                          headers={**headers, "Origin": origin}) as http:
            form = http.get(f"{UI}/login")
            signin = re.search(r'name="signin" value="([^"]+)"', form.text)
            assert signin is not None
            # A Secure cookie would not travel back over plain HTTP: send it by hand.
            answer = http.post(f"{UI}/login",
                               headers={"Cookie": f"{SIGNIN_COOKIE}={signin.group(1)}"},
                               data={"signin": signin.group(1),
                                     "username": operator(shared_server),
                                     "password": PASSWORD})
            assert answer.status_code == 303
            cookie = next(c for c in answer.headers.get_list("set-cookie")
                          if c.startswith(SESSION_COOKIE + "="))
            attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
            assert {"httponly", "path", "max-age", "samesite"} <= attributes
            assert "samesite=strict" in cookie.lower()
            assert "path=/admin/ui" in cookie.lower()
            assert ("secure" in attributes) is secure


def test_a_pushed_conflict_is_listed_escaped_and_resolved_through_the_form(
        shared_server: ServerProcess, browser: httpx.Client, tmp_path: Path) -> None:
    server = shared_server
    township, (one, two) = township_with_laptops(server, tmp_path)
    elder_id = new_id()
    link = {**elder_payload(random.Random(7)), "name": f"{SCRIPT}王某"}
    one.outbox.record("elder", elder_id, link)
    with one.client() as c1, two.client() as c2:
        c1.push()
        c2.pull()
        one.outbox.record("elder", elder_id, {**link, "phone": "13900000001",
                                              "attributes": {"capability_grade": SCRIPT}})
        two.outbox.record("elder", elder_id, {**link, "phone": "13900000002",
                                              "attributes": {"capability_grade": 3}})
        c1.push()
        c2.push()
    admin = server.admin()
    [item] = open_items(admin, "conflicts", township)
    assert item["field"] == "attributes.capability_grade"

    csrf = sign_in(browser, server)
    page = browser.get(f"{UI}/review/conflicts", params={"township": township})
    assert page.status_code == 200
    assert SCRIPT not in page.text
    assert page.text.count(ESCAPED) >= 2  # the elder's name and one of the values
    assert "13900000001" not in page.text  # the phone conflict was settled automatically
    assert f'action="{UI}/review/conflicts/{item["id"]}"' in page.text
    assert 'value="keep"' in page.text
    assert 'value="prefer_other"' in page.text
    assert 'value="dismiss"' not in page.text
    everything = browser.get(f"{UI}/review/conflicts",
                             params={"township": township, "all": "1"}).text
    assert "13900000001" in everything
    assert "13900000002" in everything
    elsewhere = browser.get(f"{UI}/review/conflicts", params={"township": "nowhere"}).text
    assert "没有编码为 nowhere 的乡镇" in elsewhere

    target = f"{UI}/review/conflicts/{item['id']}"
    fields = {"action": "keep", "note": f"已电话核实{SCRIPT}", "township": township}
    assert browser.post(target, data=fields).status_code == 403  # no CSRF token
    refused = browser.post(target, data={**fields, "csrf": "x" * 43})
    assert refused.status_code == 403
    assert "安全校验未通过" in refused.text
    # another session's token
    with httpx.Client(base_url=server.url, headers={"Origin": server.url}) as other:
        assert browser.post(target, data={**fields, "csrf": sign_in(other, server)}
                            ).status_code == 403
    bad = browser.post(target, data={**fields, "csrf": csrf, "action": "dismiss"})
    assert bad.status_code == 303
    assert "请选择处理方式" in browser.get(bad.headers["location"]).text
    assert [i["id"] for i in open_items(admin, "conflicts", township)] == [item["id"]]

    done = browser.post(target, data={**fields, "csrf": csrf})
    assert done.status_code == 303
    assert done.headers["location"] == f"{UI}/review/conflicts?township={township}"
    after = browser.get(done.headers["location"]).text
    assert f"已处理字段冲突第 {item['id']} 项：保留当前值" in after
    assert open_items(admin, "conflicts", township) == []
    [closed] = [c for c in admin.call("GET", "/admin/review/conflicts",
                                      params={"township": township, "all": True})
                if c["id"] == item["id"]]
    assert closed["status"] == "resolved"
    assert '"action": "keep"' in closed["resolution"]
    history = browser.get(f"{UI}/review/conflicts",
                          params={"township": township, "all": "1"}).text
    assert "已电话核实" + ESCAPED in history
    assert SCRIPT not in history

    again = browser.post(target, data={**fields, "csrf": csrf})
    assert "不存在或已处理" in browser.get(again.headers["location"]).text
    assert "王某" not in server.log()  # pages never log personal data
    assert browser.post(f"{UI}/review/conflicts/abc", data={**fields, "csrf": csrf}
                        ).status_code == 400
    assert browser.get(f"{UI}/review/nothing").status_code == 404
    one.close()
    two.close()


def test_quarantine_mismatch_and_gap_queues(
        shared_server: ServerProcess, browser: httpx.Client, tmp_path: Path) -> None:
    server = shared_server
    township, (one,) = township_with_laptops(server, tmp_path, count=1)
    rng, grader, rules = random.Random(9), Grader(), server.rules_hash()
    elder_id = new_id()
    good = assessment_payload(grader, rng, elder_id, rules_hash=rules)
    wrong = {**assessment_payload(grader, rng, elder_id, rules_hash=rules),
             "final_grade": (good["final_grade"] + 1) % 5}
    broken = {**assessment_payload(grader, rng, elder_id, rules_hash=rules),
              "answers": {"B.1.1": 99}}
    one.outbox.record_many([("elder", elder_id, elder_payload(rng)),
                            ("assessment", new_id(), wrong), ("assessment", new_id(), broken)])
    with one.client() as client:
        assert client.push().quarantined == 1
    admin = server.admin()
    [quarantined] = open_items(admin, "quarantine", township)
    [mismatch] = open_items(admin, "mismatches", township)

    csrf = sign_in(browser, server)
    dashboard = browser.get(UI).text
    assert township in dashboard  # the statistics list every township
    page = browser.get(f"{UI}/review/quarantine", params={"township": township}).text
    assert "ungradable" in page
    assert "B.1.1" in page
    assert 'value="dismiss"' in page
    target = f"{UI}/review/quarantine/{quarantined['id']}"
    answer = browser.post(target, data={"csrf": csrf, "action": "keep"})
    assert "请选择处理方式（忽略）" in browser.get(answer.headers["location"]).text
    browser.post(target, data={"csrf": csrf, "action": "dismiss", "note": "设备已重新评估"})
    assert open_items(admin, "quarantine", township) == []

    page = browser.get(f"{UI}/review/mismatches", params={"township": township}).text
    assert "以服务器计算为准" in page
    assert "final_grade 上报" in page
    answer = browser.post(f"{UI}/review/mismatches/{mismatch['id']}",
                          data={"csrf": csrf, "action": "accept_server"})
    assert "以服务器计算为准" in browser.get(answer.headers["location"]).text
    assert open_items(admin, "mismatches", township) == []
    assert browser.get(f"{UI}/review/gaps").status_code == 200
    one.close()


def test_a_bundle_uploads_with_a_verifiable_receipt_and_a_tampered_one_changes_nothing(
        shared_server: ServerProcess, browser: httpx.Client, tmp_path: Path) -> None:
    server = shared_server
    _township, (laptop,) = township_with_laptops(server, tmp_path, count=1)
    rng, grader = random.Random(4), Grader()
    for _ in range(3):
        elder_id = new_id()
        laptop.outbox.record_many([("elder", elder_id, elder_payload(rng)),
                                   ("assessment", new_id(),
                                    assessment_payload(grader, rng, elder_id))])
    path = tmp_path / "visits.ylb"
    manifest = export_bundle(laptop.outbox, laptop.keys, laptop.link.county_box_key(), path)
    assert manifest is not None
    data = path.read_bytes()

    def held() -> tuple[int, int]:
        device = laptop.keys.device_id
        return (server.scalar("SELECT COUNT(*) FROM received_changes WHERE device_id = :d",
                              d=device),
                server.scalar("SELECT COUNT(*) FROM receipts WHERE device_id = :d", d=device))

    csrf = sign_in(browser, server)
    form = browser.get(f"{UI}/bundles")
    assert 'enctype="multipart/form-data"' in form.text
    middle = len(data) // 2
    tampered = data[:middle] + bytes([data[middle] ^ 1]) + data[middle + 1:]
    refused = browser.post(f"{UI}/bundles", data={"csrf": csrf},
                           files={"bundle": ("visits.ylb", tampered)})
    assert refused.status_code == 400
    assert "数据包未导入" in refused.text
    assert "未写入任何内容" in refused.text
    assert held() == (0, 0)
    no_csrf = browser.post(f"{UI}/bundles", files={"bundle": ("visits.ylb", data)})
    assert no_csrf.status_code == 403
    empty = browser.post(f"{UI}/bundles", data={"csrf": csrf},
                         files={"bundle": ("", b"")})
    assert "请选择要导入的数据包文件" in browser.get(empty.headers["location"]).text
    assert held() == (0, 0)

    done = browser.post(f"{UI}/bundles", data={"csrf": csrf},
                        files={"bundle": ("visits.ylb", data)})
    assert done.status_code == 200, done.text
    assert "导入完成：新增 6 条，重复 0 条，隔离 0 条" in done.text
    assert held() == (6, 1)
    link = f"{UI}/receipts/{manifest.bundle_id}"
    assert f'href="{link}"' in done.text
    receipt = browser.get(link)
    assert receipt.status_code == 200
    assert receipt.headers["content-disposition"] == \
        f'attachment; filename="receipt-{manifest.bundle_id}.json"'
    on_disk = server.data_dir / "receipts" / f"receipt-{manifest.bundle_id}.json"
    assert receipt.content == on_disk.read_bytes()
    parsed = parse_receipt(receipt.content, laptop.link.county_sign_key())
    assert (parsed.bundle_id, parsed.applied, parsed.acked_seq) == (manifest.bundle_id, 6, 6)
    tampered_receipt = receipt.content.replace(b'"applied": 6', b'"applied": 7')
    assert tampered_receipt != receipt.content
    with pytest.raises(InputRejected, match="签名无效"):
        parse_receipt(tampered_receipt, laptop.link.county_sign_key())
    saved = tmp_path / "receipt.json"
    saved.write_bytes(receipt.content)
    import_receipt(saved, laptop.outbox, laptop.link.county_sign_key())
    assert laptop.outbox.sync_state().acked_seq == 6
    assert link in browser.get(f"{UI}/bundles").text  # listed among the latest receipts

    replay = browser.post(f"{UI}/bundles", data={"csrf": csrf},
                          files={"bundle": ("visits.ylb", data)})
    assert replay.status_code == 400
    assert "重放" in replay.text
    assert held() == (6, 1)
    assert browser.get(f"{UI}/receipts/{new_id()}").status_code == 404
    laptop.close()


def test_a_device_is_revoked_after_a_confirmation(
        shared_server: ServerProcess, browser: httpx.Client, tmp_path: Path) -> None:
    server = shared_server
    _township, (laptop,) = township_with_laptops(server, tmp_path, count=1,
                                                 label=f"{SCRIPT}笔记本")
    device_id = laptop.keys.device_id
    csrf = sign_in(browser, server)
    listing = browser.get(f"{UI}/devices").text
    assert f"{ESCAPED}笔记本" in listing
    assert SCRIPT not in listing
    confirm_url = f"{UI}/devices/{device_id}/revoke"
    assert f'href="{confirm_url}"' in listing
    code = DevicePublicKey(b64decode(laptop.keys.sign_public, size=32)).code
    assert f"<code>{code}</code>" in listing  # the short code the laptop shows
    assert f">{device_id}<" not in listing  # the full id only in the details
    confirm = browser.get(confirm_url)
    assert "确认停用" in confirm.text
    assert code in confirm.text
    assert device_id in confirm.text
    assert csrf_of(confirm.text) == csrf

    def revoked() -> bool:
        devices = server.admin().call("GET", "/admin/devices")
        return bool(next(d for d in devices if d["device_id"] == device_id)["revoked"])

    assert browser.post(confirm_url, data={"confirm": "yes", "csrf": "nope"}
                        ).status_code == 403
    unconfirmed = browser.post(confirm_url, data={"csrf": csrf})
    assert unconfirmed.headers["location"] == confirm_url
    assert not revoked()
    done = browser.post(confirm_url, data={"confirm": "yes", "csrf": csrf})
    assert (done.status_code, done.headers["location"]) == (303, f"{UI}/devices")
    assert "设备已停用" in browser.get(done.headers["location"]).text
    assert revoked()
    again = browser.post(confirm_url, data={"confirm": "yes", "csrf": csrf})
    assert "没有可停用的设备" in browser.get(again.headers["location"]).text
    laptop.close()
