"""A visit plan the county publishes reaches its laptops: online on the next pull (fetched
signed, checked, installed and in force), offline as a county-signed file a supervisor
installs; bad or repeated files are refused by the county command before anything is
published; content that does not match the announcement or the county's signature is never
installed. Real server (``python -m server`` on uvicorn), SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from assessment.cli import main
from assessment.eligibility.listseal import sign_list
from assessment.errors import FormFileError
from assessment.records.demo import DEMO_PASSWORD, DEMO_SUPERVISOR
from assessment.sync.client import SyncClient, SyncError, tls_context
from assessment.visits.plans import bundled_plans_dir
from assessment.wire.outbox import PlanVersion
from server.visit_plans import county_plans
from testkit.process import ServerProcess
from tests.server.conftest import ServerFactory
from tests.server.test_pages import UI, sign_in
from tests.server.townships import Fleet

TODAY = date.today()
NEW_REF = "shanxi-visits@2027.01"


def plan_file(folder: Path, version: str = "2027.01", **changes: Any) -> Path:
    """The shipped plan as a new version in force from yesterday, the 一般 tier monthly."""
    data = yaml.safe_load((bundled_plans_dir() / "shanxi-visits.yaml").read_text("utf-8"))
    data["version"] = version
    data["title"] = "县级探访关爱计划（2027）"
    data["effective_from"] = (TODAY - timedelta(days=1)).isoformat()
    data["tiers"][-1]["frequency"] = "month"
    data.update(changes)
    path = folder / f"plan-{version}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    return path


def county(server: ServerProcess, capsys: pytest.CaptureFixture[str],
           *argv: str) -> tuple[int, Any, str]:
    """``yinling county --data-dir … [--db …] argv``: exit code, JSON output, stderr."""
    db = ["--db", server.db_url] if server.db_url else []
    code = main(["county", "--data-dir", str(server.data_dir), *db, *argv])
    out, err = capsys.readouterr()
    return code, json.loads(out) if code == 0 and out.strip() else out, err


@pytest.fixture
def fleet(tmp_path: Path, capsys: pytest.CaptureFixture[str],
          monkeypatch: pytest.MonkeyPatch) -> Fleet:
    monkeypatch.setenv("YINLING_PASSWORD", DEMO_PASSWORD)
    laptops = Fleet(tmp_path / "laptops", capsys)
    for seed, name in enumerate(("one", "two"), start=81):
        laptops.add(name, seed, elders=4)
    return laptops


def test_a_published_plan_reaches_laptops_online_and_by_usb(
        db_url: str, start_server: ServerFactory, fleet: Fleet, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    server = start_server(db_url)
    admin = server.admin()
    fleet.townships(server, admin, {"a": ["one", "two"]})
    path = plan_file(tmp_path)
    # On an enrolled laptop only the county makes a supervisor (delivered by a pull): laptop
    # two gets its grant now and is offline from here on.
    with fleet.open("two") as two:
        device_two = two.device_id
    code, _, err = county(server, capsys, "account", "grant", "--device", device_two,
                          "--user", DEMO_SUPERVISOR,
                          "--key", str(fleet.status("two")["account_key"]))
    assert code == 0, err
    fleet.ok("two", "pull")

    # Refused before anything is published: not a plan, a rule that does not parse.
    broken = plan_file(tmp_path, "2027.02", tiers=[{"id": "x", "name": "坏", "frequency": "week",
                                                    "methods": ["上门"], "rule": "age >>> 3"}])
    code, out, err = county(server, capsys, "visits", "publish", str(broken))
    assert code == 1
    assert "探访计划文件无效" in err
    assert "规则无效" in err
    code, _, err = county(server, capsys, "visits", "publish", str(bundled_plans_dir()
                                                                   / "shanxi-visits.yaml"))
    assert code == 1
    assert "已有完全相同的内容" in err  # the shipped version itself
    assert server.scalar("select count(*) from visit_plan_versions") == 0

    signed = tmp_path / "usb" / "plan.signed.json"
    signed.parent.mkdir()
    code, out, err = county(server, capsys, "visits", "publish", str(path),
                            "--signed-out", str(signed))
    assert code == 0, err
    assert out["plan"] == NEW_REF
    assert out["effective_from"] == (TODAY - timedelta(days=1)).isoformat()
    code, _, err = county(server, capsys, "visits", "publish", str(path))
    assert code == 1
    assert "无需再次发布" in err
    (tmp_path / "other").mkdir()
    changed = plan_file(tmp_path / "other", "2027.01", title="同一版本号，不同内容")
    code, _, err = county(server, capsys, "visits", "publish", str(changed))
    assert code == 1
    assert "新的版本号" in err
    code, listed, _ = county(server, capsys, "visits", "list")
    assert [p["ref"] for p in listed] == [NEW_REF]
    engine = server.engine()
    try:
        with engine.connect() as conn:
            assert county_plans(conn).in_force(TODAY).ref == NEW_REF  # the county's figures
    finally:
        engine.dispose()

    # Online: the next pull announces it; the laptop fetches, checks and installs it.
    with fleet.open("one") as one:
        assert one.visits.plan(TODAY).ref == "shanxi-visits@2026.12"
    report = fleet.ok("one", "pull")
    assert f"已安装县级发布的探访计划 {NEW_REF}" in report
    with fleet.open("one") as one:
        plan = one.visits.plan(TODAY)
        assert (plan.ref, plan.title, plan.tiers[-1].frequency) == (
            NEW_REF, "县级探访关爱计划（2027）", "month")
        installed = one.visits.plans_dir / f"{NEW_REF}.yaml"
        seal = json.loads(installed.with_name(installed.name + ".seal.json").read_text())
        assert (seal["origin"], seal["signer"]) == ("county", "county")
    assert "已安装县级发布的探访计划" not in fleet.ok("one", "pull")  # once only

    # Offline: the signed file from the USB stick, installed by a supervisor on laptop two.
    code = main(["visits", "plan", "install", str(signed), "--data-dir",
                 str(fleet.dirs["two"]), "--user", DEMO_SUPERVISOR])
    assert code == 0, capsys.readouterr().err
    capsys.readouterr()
    with fleet.open("two") as two:
        assert two.visits.plan(TODAY).ref == NEW_REF
    report = fleet.ok("two", "pull")  # already installed: nothing fetched, nothing refused
    assert "探访计划" not in report

    # The feed's signature covers exactly the published bytes; unknown refs are not served.
    with fleet.open("one") as one, SyncClient(server.url, one.device_keys(), one.outbox) as client:
        content, signature = client.fetch_visit_plan(NEW_REF)
        assert content == path.read_text("utf-8")
        with pytest.raises(SyncError, match="没有该探访计划版本"):
            client.fetch_visit_plan("shanxi-visits@9999")
    unsigned = httpx.get(f"{server.url}/sync/visit-plans/{NEW_REF}", verify=tls_context())
    assert unsigned.status_code == 401
    assert signature


def test_content_off_the_announcement_or_the_county_key_is_never_installed(
        db_url: str, start_server: ServerFactory, fleet: Fleet, tmp_path: Path) -> None:
    server = start_server(db_url)
    admin = server.admin()
    fleet.townships(server, admin, {"a": ["one"]})
    text = plan_file(tmp_path).read_text("utf-8")
    raw = text.encode("utf-8")
    announced = PlanVersion(NEW_REF, hashlib.sha256(raw).hexdigest(), "")
    forger = Ed25519PrivateKey.generate()
    with fleet.open("one") as one:
        # A man in the middle swaps the content: the announced hash no longer matches.
        with pytest.raises(FormFileError, match="哈希不符"):
            one.visits.install_county_plan(announced, text + "\n# 改动\n", "x")
        # The right content signed by another key (not this laptop's county).
        with pytest.raises(FormFileError, match="县级签名无效"):
            one.visits.install_county_plan(announced, text, sign_list(forger, raw))
        # An announcement naming another version than the file holds.
        with pytest.raises(FormFileError, match="不符"):
            one.visits.install_county_plan(
                PlanVersion("shanxi-visits@2099", announced.sha256, ""), text,
                sign_list(forger, raw))
        assert not (one.visits.plans_dir / f"{NEW_REF}.yaml").exists()
        assert one.visits.plan(TODAY).ref == "shanxi-visits@2026.12"


def test_the_county_page_publishes_a_checked_plan_and_refuses_a_bad_one(
        start_server: ServerFactory, tmp_path: Path) -> None:
    server = start_server("")
    with httpx.Client(base_url=server.url, headers={"Origin": server.url},
                      timeout=120) as browser:
        csrf = sign_in(browser, server)
        page = browser.get(f"{UI}/visit-plans")
        assert page.status_code == 200
        assert "施行中：特殊困难老年人探访关爱计划（暂行）（shanxi-visits@2026.12）" in page.text
        assert f'href="{UI}/visit-plans"' in browser.get(UI).text  # in the navigation

        def upload(data: bytes) -> httpx.Response:
            return browser.post(f"{UI}/visit-plans", data={"csrf": csrf},
                                files={"plan": ("plan.yaml", data)})

        bad_rule = plan_file(tmp_path, "2027.05", tiers=[{
            "id": "x", "name": "坏", "frequency": "week", "methods": ["上门"],
            "rule": "age >>> 3"}]).read_bytes()
        for data, message in ((b"kind: visit-plan\ntiers: [\n", "YAML"),
                              ("计划".encode("utf-16"), "UTF-8"),
                              (b"kind: service-list\n", "不是探访计划文件"),
                              (bad_rule, "规则无效"),
                              ((bundled_plans_dir() / "shanxi-visits.yaml").read_bytes(),
                               "已有完全相同的内容")):
            refused = upload(data)
            assert refused.status_code == 400, (message, refused.text)
            assert message in refused.text
            assert "未发布任何内容" in refused.text
        assert browser.post(f"{UI}/visit-plans", data={"csrf": "wrong"},
                            files={"plan": ("plan.yaml", b"x")}).status_code == 403
        assert server.scalar("select count(*) from visit_plan_versions") == 0

        done = upload(plan_file(tmp_path).read_bytes())
        assert (done.status_code, done.headers["location"]) == (303, f"{UI}/visit-plans")
        listing = browser.get(f"{UI}/visit-plans").text
        assert f"已发布探访计划 {NEW_REF}" in listing
        assert f"施行中：县级探访关爱计划（2027）（{NEW_REF}）" in listing
    assert server.scalar("select actor from audit where action = 'visit_plan.publish'") == \
        "web:county-admin"
