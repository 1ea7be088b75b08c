"""Signed service lists (issue 12, item 2): attacks on list installation and loading.

Before: ``yinling lists install FILE`` asked for no account and installed unsigned YAML, so a
list whose rule is ``age >= 0`` took effect; a file changed (or dropped) in the list folder
was used as it was. Now only a supervisor installs; an enrolled laptop takes only lists its
county signed; a laptop with no county takes a supervisor-sealed local list, marked
本机安装（未经县级签发）; every load checks every installed file against its seal.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.orm import Session

from assessment.eligibility.listseal import LOCAL_MARK, sign_list, signed_list_text
from assessment.eligibility.registry import bundled_lists_dir, load_workspace_lists
from assessment.errors import FormFileError
from assessment.records.database import open_engine
from assessment.records.datadir import database_path, keyring_path
from assessment.records.demo import (
    DEMO_ASSESSORS,
    DEMO_PASSWORD,
    DEMO_SUPERVISOR,
    create_demo_workspace,
)
from assessment.records.keyring import Keyring
from assessment.records.rolegrants import keep_county_grant
from assessment.records.workspace import Workspace
from assessment.wire.countygrant import make_county_grant
from server.keys import load_or_create
from tests.records.test_service_lists import finalize_one, new_list_file
from tests.security.laptop_cli import assert_refused, yinling

EVIL_VERSION = "2099.9"
EVIL_REF = f"shanxi-provisional@{EVIL_VERSION}"
ELDER = '{"as_of": "2099-06-01", "birth_date": "2090-01-01"}'  # a child of 9


def evil_list(tmp_path: Path) -> Path:
    """The attack of the issue: N02 for everyone (``age >= 0``) under a new version."""
    data: dict[str, Any] = yaml.safe_load(
        (bundled_lists_dir() / "shanxi-provisional.yaml").read_text(encoding="utf-8"))
    data.update(version=EVIL_VERSION, effective_from="2099-01-01", provisional=False)
    data["items"][1]["rule"] = "age >= 0"
    path = tmp_path / "evil.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def as_user(data_dir: Path, user: str | None = None) -> dict[str, str]:
    env = {"YINLING_DATA_DIR": str(data_dir), "YINLING_PASSWORD": DEMO_PASSWORD}
    if user is not None:
        env["YINLING_USER"] = user
    return env


def n02(data_dir: Path) -> str:
    """The N02 result for a 9-year-old in 2099 with the workspace folder's lists."""
    done = yinling("match", "-", "--lists-dir", data_dir / "service_lists", stdin=ELDER,
                   env={"YINLING_DATA_DIR": str(data_dir)})
    assert done.returncode == 0, done.stderr
    return str(next(i["result"] for i in json.loads(done.stdout)["items"] if i["id"] == "N02"))


@pytest.fixture
def pilot(tmp_path: Path) -> Path:
    """A laptop of a pilot with no county: a demo workspace."""
    create_demo_workspace(tmp_path / "pilot", elders=1, seed=5)
    return tmp_path / "pilot"


def test_nobody_installs_a_list_without_a_supervisor_account(tmp_path: Path,
                                                             pilot: Path) -> None:
    evil = evil_list(tmp_path)
    # The attack as it was: no account at all (no terminal to ask for one).
    done = yinling("lists", "install", evil, env={"YINLING_DATA_DIR": str(pilot)})
    assert_refused(done)
    # An assessor's account is not enough either.
    done = yinling("lists", "install", evil, env=as_user(pilot, DEMO_ASSESSORS[0]))
    assert_refused(done, "只有管理员可以安装服务清单")
    assert not list((pilot / "service_lists").glob("*.yaml"))
    assert n02(pilot) == "not_eligible"


def test_a_pilot_supervisor_installs_a_local_list_marked_as_such(tmp_path: Path,
                                                                 pilot: Path) -> None:
    done = yinling("lists", "install", evil_list(tmp_path), env=as_user(pilot, DEMO_SUPERVISOR))
    assert done.returncode == 0, done.stderr
    assert LOCAL_MARK in done.stdout
    shown = yinling("lists", "show", "--lists-dir", pilot / "service_lists")
    line = next(x for x in shown.stdout.splitlines() if x.startswith(EVIL_REF))
    assert LOCAL_MARK in line


def test_a_list_changed_after_install_is_refused_at_every_load(tmp_path: Path,
                                                               pilot: Path) -> None:
    good = evil_list(tmp_path).read_text(encoding="utf-8").replace("age >= 0", "age >= 80")
    (tmp_path / "good.yaml").write_text(good, encoding="utf-8")
    done = yinling("lists", "install", tmp_path / "good.yaml", env=as_user(pilot, DEMO_SUPERVISOR))
    assert done.returncode == 0, done.stderr
    assert n02(pilot) == "not_eligible"
    installed = pilot / "service_lists" / f"{EVIL_REF}.yaml"
    installed.write_text(good.replace("age >= 80", "age >= 0"), encoding="utf-8")
    done = yinling("match", "-", "--lists-dir", pilot / "service_lists", stdin=ELDER)
    assert done.returncode == 3
    assert "安装后被改动" in done.stderr
    assert "Traceback" not in done.stderr
    with Workspace.open(pilot, DEMO_SUPERVISOR, DEMO_PASSWORD) as ws, \
            pytest.raises(FormFileError, match="安装后被改动"):
        load_workspace_lists(ws.data_dir, ws.lists.trust())


def test_a_list_file_dropped_into_the_folder_is_refused(tmp_path: Path, pilot: Path) -> None:
    folder = pilot / "service_lists"
    folder.mkdir()
    shutil.copy(evil_list(tmp_path), folder / f"{EVIL_REF}.yaml")
    done = yinling("match", "-", "--lists-dir", folder, stdin=ELDER)
    assert done.returncode == 3
    assert "没有签发记录" in done.stderr


# ---- an enrolled laptop: only its county's signature ---------------------------------------


@pytest.fixture
def enrolled(tmp_path: Path) -> tuple[Path, list[str]]:
    """A laptop enrolled offline with a county (both through the real commands)."""
    county = ["county", "--data-dir", str(tmp_path / "county")]
    for args in (["township", "add", "140105001", "坞城街道"],
                 ["account", "add", "wang", "王评估", "--township", "140105001"]):
        assert yinling(*county, *args).returncode == 0
    code = json.loads(yinling(*county, "code", "wang").stdout)["code"]
    laptop = tmp_path / "laptop"
    create_demo_workspace(laptop, elders=1, seed=3)
    env = as_user(laptop, DEMO_SUPERVISOR)
    request, answer = tmp_path / "request.json", tmp_path / "answer.json"
    assert yinling("sync", "enrol-request", "--code", code, "--out", request,
                   env=env).returncode == 0
    assert yinling(*county, "enrol-device", request, "--out", answer).returncode == 0
    assert yinling("sync", "enrol-import", answer, env=env).returncode == 0
    county_grants_supervisor(laptop, tmp_path / "county")
    return laptop, county


def county_grants_supervisor(laptop: Path, county_dir: Path) -> None:
    """What the county's ``account grant`` delivers through the feed (an offline laptop has no
    feed here): the supervisor's grant signed with the county key, stored in the laptop."""
    keys = load_or_create(county_dir)
    with Workspace.open(laptop, DEMO_SUPERVISOR, DEMO_PASSWORD) as ws:
        device_id, account_key = ws.device_id, ws.accounts.own_key()
    assert account_key is not None
    key = Keyring.load(keyring_path(laptop)).unlock(DEMO_SUPERVISOR, DEMO_PASSWORD)
    engine = open_engine(database_path(laptop), key)
    try:
        with Session(engine) as session, session.begin():
            grant = make_county_grant(keys.sign, device_id, DEMO_SUPERVISOR, "supervisor",
                                      account_key, 1)
            assert keep_county_grant(session, grant, keys.sign_public, device_id)
    finally:
        engine.dispose()


def test_an_enrolled_laptop_takes_only_lists_its_county_signed(
        tmp_path: Path, enrolled: tuple[Path, list[str]]) -> None:
    laptop, county = enrolled
    env = as_user(laptop, DEMO_SUPERVISOR)
    evil = evil_list(tmp_path)
    # A supervisor's plain file is refused on an enrolled laptop.
    assert_refused(yinling("lists", "install", evil, env=env), "只能安装县级签发的清单")
    # Signed by a key that is not the county's: refused.
    content = evil.read_text(encoding="utf-8")
    forged = tmp_path / "forged.json"
    forged.write_text(signed_list_text(content, sign_list(Ed25519PrivateKey.generate(),
                                                          content.encode("utf-8"))),
                      encoding="utf-8")
    assert_refused(yinling("lists", "install", forged, env=env), "县级签名无效")
    # The county's own signed file, altered on the way: refused.
    good = content.replace("age >= 0", "age >= 80")
    (tmp_path / "good.yaml").write_text(good, encoding="utf-8")
    signed = tmp_path / "signed.json"
    published = yinling(*county, "list", "shanxi-provisional", "1", tmp_path / "good.yaml",
                        "--signed-out", signed)
    assert published.returncode == 0, published.stderr
    envelope = json.loads(signed.read_text(encoding="utf-8"))
    altered = tmp_path / "altered.json"
    altered.write_text(json.dumps({**envelope, "content": content}), encoding="utf-8")
    assert_refused(yinling("lists", "install", altered, env=env), "县级签名无效")
    assert not list((laptop / "service_lists").glob("*.yaml"))
    # The county's file as signed: installed, and not marked local.
    done = yinling("lists", "install", signed, env=env)
    assert done.returncode == 0, done.stderr
    assert LOCAL_MARK not in done.stdout
    shown = yinling("lists", "show", "--lists-dir", laptop / "service_lists").stdout
    assert "县级签发" in next(x for x in shown.splitlines() if x.startswith(EVIL_REF))


# ---- the mark on the certificate ------------------------------------------------------------


def test_the_certificate_says_a_local_list_was_not_issued_by_the_county(
        tmp_path: Path) -> None:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext 未安装")
    data_dir = tmp_path / "pilot"
    with Workspace.create(data_dir, username="admin", password="secret-123456",
                          display_name="管理员", role="supervisor") as ws:
        ws.lists.install(new_list_file(tmp_path))
        assessment_id = finalize_one(ws)
    pdf = tmp_path / "report.pdf"
    done = yinling("certificate", assessment_id, "--out", pdf, "--data-dir", data_dir,
                   "--user", "admin", env={"YINLING_PASSWORD": "secret-123456"})
    assert done.returncode == 0, done.stderr
    text = subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True,
                          text=True).stdout
    assert LOCAL_MARK in text.replace(" ", "").replace("\n", "")
