"""Setting up the county on the web pages, against a real uvicorn server: townships, accounts,
one-time enrolment codes (online enrolment of a real laptop), offline enrolment by file,
account revocation and service-list publication, each seen from the JSON admin API, the
database or an enrolled laptop."""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from assessment.cli import main
from assessment.errors import InputRejected
from assessment.sync.client import SyncError
from assessment.sync.enrolment import enrol_online
from assessment.wire.device import DeviceKeys
from assessment.wire.enrolment import build_request, link_from_response
from assessment.wire.outbox import ListVersion
from server.enrolment import response_text
from testkit.local_outbox import LocalOutbox
from testkit.process import ServerProcess
from tests.server.support import Laptop
from tests.server.test_pages import (
    ESCAPED,
    SCRIPT,
    UI,
    operator,
    sign_in,
    township_with_laptops,
)

LISTS = Path(__file__).resolve().parents[2] / "resources" / "service_lists"
CODE = re.compile(r'<span class="count">([A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4})</span>')
TABLES = ("townships", "accounts", "enrolment_codes", "devices", "list_versions", "audit")


@pytest.fixture
def browser(shared_server: ServerProcess) -> Iterator[httpx.Client]:
    """A cookie-keeping client that does not follow redirects (tests look at them)."""
    with httpx.Client(base_url=shared_server.url,
                      headers={"Origin": shared_server.url}, timeout=120) as http:
        yield http


def state(server: ServerProcess) -> tuple[int, ...]:
    """Row counts of what the set-up pages write, used codes and revoked accounts."""
    counts = [int(server.scalar(f"SELECT COUNT(*) FROM {table}")) for table in TABLES]
    counts.append(int(server.scalar("SELECT COUNT(*) FROM enrolment_codes "
                                    "WHERE used_at IS NOT NULL")))
    counts.append(int(server.scalar("SELECT COUNT(*) FROM accounts "
                                    "WHERE revoked_at IS NOT NULL")))
    return tuple(counts)


def row_of(page: str, key: str) -> str:
    """The table row of a page that holds ``<code>key</code>``."""
    found = re.search(rf"<tr>(?:(?!</tr>).)*<code>{re.escape(key)}</code>.*?</tr>", page)
    assert found is not None, f"no row for {key}"
    return found.group(0)


def flash_errors(page: str) -> list[str]:
    """The error messages a page shows."""
    return re.findall(r'<p class="flash error" role="alert">([^<]*)</p>', page)


def request_file(keys: DeviceKeys, code: str, label: str = "离线笔记本") -> bytes:
    """An enrolment request file as ``yinling sync enrol-request`` writes it."""
    return json.dumps(build_request(keys, code, label), ensure_ascii=False,
                      indent=2).encode("utf-8")


def new_township(server: ServerProcess, users: int = 1) -> tuple[str, list[str]]:
    """A fresh township with ``users`` accounts, made through the JSON admin API."""
    tag = uuid.uuid4().hex[:8]
    names = [f"u{i}{tag}" for i in range(users)]
    server.admin().setup_township(f"t{tag}", names)
    return f"t{tag}", names


def changzhi(version: str) -> str:
    """The shipped 长治 list with its own version changed (a new version of the list)."""
    text = (LISTS / "changzhi.yaml").read_text(encoding="utf-8")
    assert 'version: "2021.1"' in text
    return text.replace('version: "2021.1"', f'version: "{version}"')


def test_every_page_needs_a_session_and_every_form_its_csrf_token(
        shared_server: ServerProcess, browser: httpx.Client, tmp_path: Path) -> None:
    server = shared_server
    township, [user] = new_township(server)
    pages = ("/townships", f"/townships/{township}", f"/accounts/{user}/revoke", "/enrol",
             "/lists")
    for path in pages:
        answer = browser.get(UI + path)
        assert (answer.status_code, answer.headers["location"]) == (303, f"{UI}/login"), path
    code = server.admin().code(user)
    upload = {"/enrol": ("request", request_file(DeviceKeys.generate(), code)),
              "/lists": ("list", changzhi(f"2099.{uuid.uuid4().hex[:8]}").encode())}
    forms = {"/townships": {"code": f"x{uuid.uuid4().hex[:8]}", "name": "新乡镇"},
             f"/townships/{township}/accounts": {"username": f"n{uuid.uuid4().hex[:8]}",
                                                 "display_name": "新评估员"},
             f"/accounts/{user}/code": {"hours": "72"},
             f"/accounts/{user}/revoke": {"confirm": "yes"}}
    operator(server)  # the account that signs in below exists before the count
    before = state(server)

    def post(path: str, extra: dict[str, str]) -> httpx.Response:
        if path in upload:
            name, data = upload[path]
            return browser.post(UI + path, data=extra, files={name: ("file", data)})
        return browser.post(UI + path, data={**forms[path], **extra})

    for path in (*forms, *upload):
        answer = post(path, {})
        assert (answer.status_code, answer.headers["location"]) == (303, f"{UI}/login"), path
    sign_in(browser, server)
    for path in (*forms, *upload):
        for extra in ({}, {"csrf": "x" * 43}):
            answer = post(path, extra)
            assert answer.status_code == 403, (path, extra, answer.text)
            assert "安全校验未通过" in answer.text
    assert state(server) == before
    # The code sent along in the refused enrolment request was not used up.
    link = enrol_online(server.url, DeviceKeys.generate(), code, "测试笔记本")
    assert link.account == user


def test_townships_and_accounts_are_added_through_the_forms(
        shared_server: ServerProcess, browser: httpx.Client) -> None:
    server = shared_server
    admin = server.admin()
    csrf = sign_in(browser, server)
    tag = uuid.uuid4().hex[:8]
    code, name = f"14{tag}", f"坞城街道{SCRIPT}"
    page = browser.get(f"{UI}/townships")
    assert page.status_code == 200
    assert page.headers["x-frame-options"] == "DENY"
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["cache-control"] == "no-store"
    assert f'href="{UI}/townships" class="here"' in page.text  # the navigation's link
    assert f'href="{UI}/lists"' in page.text

    # Refused: nothing written, the reason names the field, what was typed is kept.
    before = state(server)
    for fields, message in (({"code": f"坞城 {tag}", "name": "坞城街道"},
                             "乡镇编码只能由字母、数字组成"),
                            ({"code": code, "name": "  "}, "乡镇名称不能为空"),
                            ({"code": code, "name": "长" * 101}, "乡镇名称不能超过 100 字")):
        refused = browser.post(f"{UI}/townships", data={**fields, "csrf": csrf})
        assert refused.status_code == 400
        assert any(message in text for text in flash_errors(refused.text)), refused.text
        assert f'value="{fields["code"]}"' in refused.text
    assert state(server) == before
    assert code not in {t["code"] for t in admin.call("GET", "/admin/townships")}

    added = browser.post(f"{UI}/townships", data={"csrf": csrf, "code": code, "name": name})
    assert (added.status_code, added.headers["location"]) == (303, f"{UI}/townships/{code}")
    follow = browser.get(added.headers["location"])
    assert "已新增乡镇坞城街道" + ESCAPED in follow.text
    assert SCRIPT not in follow.text
    assert {"code": code, "name": name} in admin.call("GET", "/admin/townships")
    again = browser.post(f"{UI}/townships", data={"csrf": csrf, "code": code, "name": "别处"})
    assert again.status_code == 409
    assert f"乡镇编码 {code} 已存在" in flash_errors(again.text)
    listing = browser.get(f"{UI}/townships").text
    assert f"坞城街道{ESCAPED}" in row_of(listing, code)
    assert "在用 0 / 共 0" in row_of(listing, code)
    assert SCRIPT not in listing

    # Accounts: added on the township's page, refused ones write nothing.
    username = f"wang{tag}"
    target = f"{UI}/townships/{code}/accounts"
    fields = {"csrf": csrf, "username": username, "display_name": "王评估", "role": "assessor"}
    made = browser.post(target, data=fields)
    assert (made.status_code, made.headers["location"]) == (303, f"{UI}/townships/{code}")
    accounts = browser.get(made.headers["location"]).text
    assert f"已新增账号 {username}（王评估，评估员）" in accounts
    assert "评估员" in row_of(accounts, username)
    assert f'action="{UI}/accounts/{username}/code"' in accounts
    other, _ = new_township(server, 0)
    before = state(server)
    for changed, status, message in (
            ({}, 409, f"用户名 {username} 已存在"),
            ({"username": "王 x"}, 400, "用户名只能由字母、数字、下划线组成"),
            ({"username": f"li{tag}", "display_name": " "}, 400, "姓名不能为空"),
            ({"username": f"li{tag}", "role": "county"}, 400, "角色应为")):
        refused = browser.post(target, data={**fields, **changed})
        assert refused.status_code == status, refused.text
        assert any(message in text for text in flash_errors(refused.text)), refused.text
        assert f'value="{changed.get("username", username)}"' in refused.text
    elsewhere = browser.post(f"{UI}/townships/{other}/accounts", data=fields)
    assert f"用户名 {username} 已存在" in flash_errors(elsewhere.text)
    assert browser.post(f"{UI}/townships/nowhere{tag}/accounts", data=fields
                        ).status_code == 404
    assert browser.get(f"{UI}/townships/nowhere{tag}").status_code == 404
    assert state(server) == before

    # The JSON admin API knows the account: a code issued there enrols it into the township.
    link = enrol_online(server.url, DeviceKeys.generate(), admin.code(username), "测试")
    assert (link.township_code, link.account) == (code, username)
    actions = {row[0] for row in server.query(
        "SELECT action FROM audit WHERE actor = 'web:county-admin' AND detail LIKE :d",
        d=f"%{tag}%")}
    assert {"township.add", "account.add"} <= actions


def test_a_code_issued_on_the_page_enrols_a_laptop_and_is_shown_once_never_logged(
        shared_server: ServerProcess, browser: httpx.Client) -> None:
    server = shared_server
    township, [user] = new_township(server)
    csrf = sign_in(browser, server)
    target = f"{UI}/accounts/{user}/code"

    def codes() -> int:
        return int(server.scalar(
            "SELECT COUNT(*) FROM enrolment_codes c JOIN accounts a ON a.id = c.account_id "
            "WHERE a.username = :u", u=user))

    for hours in ("0", "721", "abc", ""):
        refused = browser.post(target, data={"csrf": csrf, "hours": hours})
        assert (refused.status_code, refused.headers["location"]) == \
            (303, f"{UI}/townships/{township}")
        assert "有效期应为 1–720 小时" in browser.get(refused.headers["location"]).text
    assert codes() == 0
    assert browser.post(f"{UI}/accounts/nobody{user}/code",
                        data={"csrf": csrf, "hours": "72"}).status_code == 404

    shown = browser.post(target, data={"csrf": csrf, "hours": "24"})
    assert shown.status_code == 200
    assert shown.headers["cache-control"] == "no-store"
    found = CODE.search(shown.text)
    assert found is not None, shown.text
    code = found.group(1)
    assert "登记码只显示这一次" in shown.text
    assert "24 小时，至 " in shown.text
    assert codes() == 1
    township_page = browser.get(f"{UI}/townships/{township}").text
    assert code not in township_page
    assert "在用 0 / 共 0" in row_of(township_page, user)

    link = enrol_online(server.url, DeviceKeys.generate(), code.lower(), "页面登记的笔记本")
    assert (link.township_code, link.account) == (township, user)
    with pytest.raises(InputRejected, match="已被使用"):
        enrol_online(server.url, DeviceKeys.generate(), code, "另一台")
    assert "在用 1 / 共 1" in row_of(browser.get(f"{UI}/townships/{township}").text, user)
    row = row_of(browser.get(f"{UI}/townships").text, township)
    assert row.count("在用 1 / 共 1") == 2  # the township's account and its device

    log = server.log()
    assert "POST /admin/ui/accounts" in log  # the access log is on
    for form in (code, code.replace("-", ""), code.lower()):
        assert form not in log
    assert server.scalar("SELECT actor FROM audit WHERE action = 'enrolment_code.add' "
                         "AND detail LIKE :d", d=f"%{user}%") == "web:county-admin"


def test_offline_enrolment_by_upload_answers_the_response_file(
        shared_server: ServerProcess, browser: httpx.Client, tmp_path: Path) -> None:
    server = shared_server
    admin = server.admin()
    township, [user, other] = new_township(server, 2)
    csrf = sign_in(browser, server)
    form = browser.get(f"{UI}/enrol")
    assert form.status_code == 200
    assert 'enctype="multipart/form-data"' in form.text
    keys = DeviceKeys.generate()
    code = admin.code(user)
    good = request_file(keys, code)

    def upload(data: bytes, name: str = "申请.json") -> httpx.Response:
        return browser.post(f"{UI}/enrol", data={"csrf": csrf}, files={"request": (name, data)})

    forged = json.loads(good)
    forged["label"] = "改过的名称"
    before = state(server)
    for data, status, message in (
            (b"", 400, "请选择笔记本生成的登记申请文件"),
            (b"\xff\xfe not json", 400, "不是有效的 JSON"),
            (b"[" * 5000 + b"]" * 5000, 400, "不是登记申请文件"),
            (b'{"format": "something-else"}', 400, "不是设备登记申请"),
            (json.dumps(forged).encode(), 400, "设备登记申请签名无效"),
            (request_file(keys, "AAAA-BBBB-CCCC"), 401, "登记码无效"),
            (b" " * (65 * 1024), 413, "64 KB")):
        refused = upload(data)
        assert refused.status_code == status, (message, refused.text)
        assert message in refused.text, refused.text
        assert "content-disposition" not in refused.headers
    assert state(server) == before
    assert code not in server.log()

    answer = upload(good)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    assert "attachment" in answer.headers["content-disposition"]
    link = link_from_response(json.loads(answer.content), server.url)
    assert (link.device_id, link.township_code, link.account) == \
        (keys.device_id, township, user)
    assert answer.content == response_text(json.loads(answer.content)).encode("utf-8")
    again = upload(good)
    assert again.status_code == 403
    assert "登记码已被使用" in again.text

    # The laptop with that county link is enrolled: its signed requests are answered.
    outbox = LocalOutbox(tmp_path / "outbox.sqlite3", keys.device_id)
    laptop = Laptop(keys, outbox, link)
    with laptop.client() as client:
        assert client.pull().received == 0  # answered, not refused
    laptop.close()
    assert server.scalar("SELECT actor FROM audit WHERE action = 'device.enrol' "
                         "AND detail LIKE :d", d=f"%{keys.device_id}%") == "web:county-admin"

    # The command writes the same file for a request of its own.
    second = DeviceKeys.generate()
    path, out = tmp_path / "request.json", tmp_path / "answer.json"
    path.write_bytes(request_file(second, admin.code(other)))
    county = ["county", "--data-dir", str(server.data_dir),
              *(["--db", server.db_url] if server.db_url else [])]
    assert main([*county, "enrol-device", str(path), "--out", str(out)]) == 0
    assert out.read_bytes() == response_text(json.loads(out.read_bytes())).encode("utf-8")
    assert code not in server.log()


def test_an_account_revoked_through_the_confirmation_loses_its_devices(
        shared_server: ServerProcess, browser: httpx.Client, tmp_path: Path) -> None:
    server = shared_server
    township, (laptop,) = township_with_laptops(server, tmp_path, count=1)
    user = laptop.link.account
    csrf = sign_in(browser, server)
    confirm = f"{UI}/accounts/{user}/revoke"
    page = browser.get(confirm)
    assert page.status_code == 200
    assert "确认停用" in page.text
    assert "在用 1 / 共 1" in page.text
    assert f'action="{confirm}"' in page.text
    assert browser.get(f"{UI}/accounts/nobody{user}/revoke").status_code == 404

    unconfirmed = browser.post(confirm, data={"csrf": csrf})
    assert (unconfirmed.status_code, unconfirmed.headers["location"]) == (303, confirm)
    assert "请在确认页面上确认停用" in browser.get(confirm).text
    with laptop.client() as client:
        client.pull()  # still enrolled

    done = browser.post(confirm, data={"csrf": csrf, "confirm": "yes"})
    assert (done.status_code, done.headers["location"]) == (303, f"{UI}/townships/{township}")
    after = browser.get(done.headers["location"]).text
    assert f"账号 {user} 已停用" in after
    assert '<span class="tag bad">已停用</span>' in row_of(after, user)
    assert "在用 0 / 共 1" in row_of(after, user)  # its laptop no longer counts as in use
    overview = row_of(browser.get(f"{UI}/townships").text, township)
    assert overview.count("在用 0 / 共 1") == 2  # the account and its laptop
    with laptop.client(retries=0) as client, pytest.raises(SyncError, match="停用") as info:
        client.pull()
    assert info.value.revoked
    again = browser.get(confirm)
    assert (again.status_code, again.headers["location"]) == \
        (303, f"{UI}/townships/{township}")
    assert "已经停用" in browser.get(again.headers["location"]).text
    refused = browser.post(f"{UI}/accounts/{user}/code", data={"csrf": csrf, "hours": "72"})
    assert "未生成登记码：账号" in browser.get(refused.headers["location"]).text
    assert server.scalar("SELECT actor FROM audit WHERE action = 'account.revoke' "
                         "AND detail LIKE :d", d=f"%{user}%") == "web:county-admin"
    laptop.close()


def _list_notices(laptop: Laptop) -> tuple[ListVersion, ...]:
    with laptop.client() as client:
        return client.pull().notices.list_versions


def test_a_list_published_on_the_page_reaches_the_laptops_and_a_broken_one_is_refused(
        shared_server: ServerProcess, browser: httpx.Client, tmp_path: Path) -> None:
    server = shared_server
    _township, (laptop,) = township_with_laptops(server, tmp_path, count=1)
    csrf = sign_in(browser, server)
    page = browser.get(f"{UI}/lists")
    assert page.status_code == 200
    assert 'enctype="multipart/form-data"' in page.text
    version = f"2099.{uuid.uuid4().hex[:8]}"
    content = changzhi(version)

    def upload(data: bytes) -> httpx.Response:
        return browser.post(f"{UI}/lists", data={"csrf": csrf},
                            files={"list": ("changzhi.yaml", data)})

    shipped = (LISTS / "changzhi.yaml").read_bytes()
    broken_rule = content.replace("dwelling == community and", "dwelling === community and")
    before = state(server)
    for data, message in (
            (b"kind: service-list\nitems: [\n", "YAML 格式错误（第 3 行"),
            (b"kind: service-list\nversion: " + b"9" * 5000 + b"\n", "整数位数过多（5000 位"),
            ("清单".encode("utf-16"), "UTF-8"),
            (content.replace("kind: service-list", "kind: vocabulary").encode(),
             "kind：不是服务清单文件"),
            (broken_rule.encode(), "C140400-GMFW：规则无效"),
            (b"kind: service-list\nlist: [1, 2]\n", "清单文件无效"),
            (shipped, "清单 changzhi@2021.1 已有完全相同的内容")):
        refused = upload(data)
        assert refused.status_code == 400, (message, refused.text)
        assert any(message in text for text in flash_errors(refused.text)), refused.text
        assert "未发布任何内容" in refused.text
    assert state(server) == before

    done = upload(content.encode("utf-8"))
    assert (done.status_code, done.headers["location"]) == (303, f"{UI}/lists")
    digest = hashlib.sha256(content.encode("utf-8")).hexdigest()
    number = int(server.scalar("SELECT version FROM list_versions WHERE sha256 = :s", s=digest))
    listing = browser.get(f"{UI}/lists").text
    assert f"已发布服务清单 changzhi 第 {number} 版" in listing
    assert f"changzhi@{version}" in listing
    assert digest[:12] in listing
    same_ref = upload(content.replace("不低于50元", "不低于60元").encode("utf-8"))
    assert same_ref.status_code == 400
    assert f"清单 changzhi@{version} 已有内容不同的同一版本" in same_ref.text

    notices = _list_notices(laptop)
    mine = [n for n in notices if n.sha256 == digest]
    assert [(n.list_id, n.version) for n in mine] == [("changzhi", number)]
    assert server.scalar("SELECT actor FROM audit WHERE action = 'list.publish' "
                         "AND detail LIKE :d", d=f'%"version":{number}%') == "web:county-admin"
    laptop.close()
