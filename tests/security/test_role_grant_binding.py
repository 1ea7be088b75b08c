"""Role grants bound to the account's own key, and carried by USB (issue 12, item 5).

Attack 1, the account made again: a grant named only the device and the username, so an
assessor who unwrapped the database key with his own password could delete the supervisor's
key wrap, make a new one under the same username with a password of his choosing, sign in as
that username and inherit the supervisor grant (county-signed on an enrolled laptop, or the
workspace's own chain on a pilot). Now a grant names the fingerprint of the account's own key
(the signing seed its password unwraps), and the remade account, whose key is new, works as
an assessor; the audit check says why.

Attack 2, the laptop that never goes online: county-signed grants travelled only through the
online feed, so a laptop that only exchanges USB sticks could never get a supervisor. Now the
receipt of every bundle the county imports carries the device's grants, each signed on its
own and with a serial, so an old receipt imported again does not bring back a withdrawn grant.
A laptop with nothing to hand in has no bundle and so no receipt: the county writes its grants
to a file (``county account grant … --out``) that the laptop imports (``sync import-grants``
or 同步 → 导入角色授权…); each grant is verified with the county key, so an altered or
foreign file is refused whole.

All through the real ``yinling`` command (county and laptop) on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMainWindow, QMessageBox
from pytestqt.qtbot import QtBot

from app.sync.controller import SyncController
from app.sync.menu import SyncMenu
from assessment.cli import main
from assessment.records.datadir import keyring_path
from assessment.records.demo import (
    DEMO_ASSESSORS,
    DEMO_PASSWORD,
    DEMO_SUPERVISOR,
    create_demo_workspace,
)
from assessment.records.keyring import Keyring
from assessment.records.workspace import Workspace
from tests.records.conftest import elder

ASSESSOR = DEMO_ASSESSORS[0]
TAKEN_OVER = "taken-over-2026"  # the assessor's password for the remade account


def _run(capsys: pytest.CaptureFixture[str], *argv: str, code: int = 0) -> str:
    done = main(list(argv))
    out, err = capsys.readouterr()
    assert done == code, (out, err)
    assert "Traceback" not in err
    return out + err


def _remake_supervisor(folder: Path) -> None:
    """What the assessor does with the database key his own password unwraps: the
    supervisor's key wrap replaced by one under a password he chose (a new account key)."""
    path = keyring_path(folder)
    ring = Keyring.load(path)
    db_key = ring.unlock(ASSESSOR, DEMO_PASSWORD)
    ring.remove(DEMO_SUPERVISOR)
    ring.add(DEMO_SUPERVISOR, TAKEN_OVER, db_key)
    ring.save(path)


def _role_and_grant_problems(folder: Path, password: str) -> tuple[str, list[str]]:
    with Workspace.open(folder, DEMO_SUPERVISOR, password) as ws:
        return ws.current_user.role, [b.detail for b in ws.audit.verify()
                                      if b.kind == "role_grant"]


def test_a_remade_account_does_not_inherit_the_pilot_grant(tmp_path: Path) -> None:
    folder = tmp_path / "pilot"
    create_demo_workspace(folder, elders=2, seed=7)
    assert _role_and_grant_problems(folder, DEMO_PASSWORD) == ("supervisor", [])
    _remake_supervisor(folder)
    role, problems = _role_and_grant_problems(folder, TAKEN_OVER)
    assert role == "assessor"
    assert any("另一把账户密钥" in p for p in problems), problems


@pytest.fixture
def county(tmp_path: Path, db_url: str, capsys: pytest.CaptureFixture[str]) -> list[str]:
    """A county (the ``yinling county`` command) on SQLite or PostgreSQL, with a township."""
    argv = ["county", "--data-dir", str(tmp_path / "county"), *(["--db", db_url] if db_url
                                                               else [])]
    _run(capsys, *argv, "township", "add", "140105001", "坞城街道")
    _run(capsys, *argv, "account", "add", "wang", "王评估", "--township", "140105001")
    return argv


def _enrol_by_usb(tmp_path: Path, county: list[str], capsys: pytest.CaptureFixture[str],
                  laptop: list[str]) -> None:
    enrol_code = json.loads(_run(capsys, *county, "code", "wang"))["code"]
    request, response = tmp_path / "request.json", tmp_path / "response.json"
    _run(capsys, *laptop, "enrol-request", "--code", enrol_code, "--out", str(request))
    _run(capsys, *county, "enrol-device", str(request), "--out", str(response))
    _run(capsys, *laptop, "enrol-import", str(response))


def _round_trip(tmp_path: Path, county: list[str], capsys: pytest.CaptureFixture[str],
                laptop: list[str], folder: Path, name: str) -> Path:
    """A new record, a bundle to the county by USB, its receipt back: the receipt's path."""
    with Workspace.open(folder, ASSESSOR, DEMO_PASSWORD) as ws:
        ws.elders.create(elder(sequence=100 + int(name[-1])))
    usb = tmp_path / name
    usb.mkdir()
    _run(capsys, *laptop, "export-bundle", "--out", str(usb / "visits.ylb"))
    db = county[county.index("--db"):] if "--db" in county else []
    _run(capsys, "import-bundle", str(usb / "visits.ylb"), "--data-dir", county[2], *db,
         "--receipt-dir", str(usb))
    receipt = next(usb.glob("receipt-*.json"))
    _run(capsys, *laptop, "import-receipt", str(receipt))
    return receipt


def test_grants_reach_a_usb_only_laptop_bound_to_the_account_key(
        tmp_path: Path, county: list[str], capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "laptop"
    create_demo_workspace(folder, elders=2, seed=9)
    monkeypatch.setenv("YINLING_PASSWORD", DEMO_PASSWORD)
    laptop = ["sync", "--data-dir", str(folder), "--user", DEMO_SUPERVISOR]
    _enrol_by_usb(tmp_path, county, capsys, laptop)
    assert _role_and_grant_problems(folder, DEMO_PASSWORD)[0] == "assessor"  # enrolled

    # The supervisor reads the account key off the laptop; the county grants with it.
    status = json.loads(_run(capsys, *laptop, "status"))
    assert status["user"] == DEMO_SUPERVISOR
    device_id, account_key = status["device_id"], status["account_key"]
    assert len(account_key.replace("-", "")) == 32
    _run(capsys, *county, "account", "grant", "--device", device_id, "--user", DEMO_SUPERVISOR,
         "--key", "not-a-key", code=1)
    _run(capsys, *county, "account", "grant", "--device", device_id, "--user", DEMO_SUPERVISOR,
         "--key", account_key)

    # No network: the grant comes back in the receipt of the next bundle.
    first = _round_trip(tmp_path, county, capsys, laptop, folder, "usb1")
    assert len(json.loads(first.read_text(encoding="utf-8"))["role_grants"]) == 1
    assert _role_and_grant_problems(folder, DEMO_PASSWORD) == ("supervisor", [])

    # The account made again under the same username does not inherit it.
    _remake_supervisor(folder)
    role, problems = _role_and_grant_problems(folder, TAKEN_OVER)
    assert role == "assessor"
    assert any("另一把账户密钥" in p for p in problems), problems
    # A receipt altered to carry a grant for the new key is refused whole.
    monkeypatch.setenv("YINLING_PASSWORD", TAKEN_OVER)
    with Workspace.open(folder, DEMO_SUPERVISOR, TAKEN_OVER) as ws:
        new_key = ws.accounts.own_key()
    assert new_key is not None
    assert new_key != account_key
    forged = json.loads(first.read_text(encoding="utf-8"))
    forged["role_grants"][0]["account_key"] = new_key
    forged_file = tmp_path / "forged-receipt.json"
    forged_file.write_text(json.dumps(forged, ensure_ascii=False), encoding="utf-8")
    assert "回执签名无效" in _run(capsys, *laptop, "import-receipt", str(forged_file), code=1)
    assert _role_and_grant_problems(folder, TAKEN_OVER)[0] == "assessor"


def test_a_withdrawn_grant_does_not_come_back_with_an_old_receipt(
        tmp_path: Path, county: list[str], capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "laptop"
    create_demo_workspace(folder, elders=2, seed=11)
    monkeypatch.setenv("YINLING_PASSWORD", DEMO_PASSWORD)
    laptop = ["sync", "--data-dir", str(folder), "--user", DEMO_SUPERVISOR]
    _enrol_by_usb(tmp_path, county, capsys, laptop)
    status = json.loads(_run(capsys, *laptop, "status"))
    grant = [*county, "account", "grant", "--device", status["device_id"],
             "--user", DEMO_SUPERVISOR]
    _run(capsys, *grant, "--key", status["account_key"])
    old = _round_trip(tmp_path, county, capsys, laptop, folder, "usb1")
    assert _role_and_grant_problems(folder, DEMO_PASSWORD)[0] == "supervisor"

    _run(capsys, *grant, "--role", "assessor")  # withdrawn
    _round_trip(tmp_path, county, capsys, laptop, folder, "usb2")
    assert _role_and_grant_problems(folder, DEMO_PASSWORD)[0] == "assessor"
    # The old receipt, signed and genuine, imported again: the newer withdrawal stands.
    _run(capsys, *laptop, "import-receipt", str(old))
    assert _role_and_grant_problems(folder, DEMO_PASSWORD)[0] == "assessor"


def _grants_file(tmp_path: Path, county: list[str], capsys: pytest.CaptureFixture[str],
                 laptop: list[str]) -> Path:
    """The county grants the supervisor role by the account key and writes the file."""
    status = json.loads(_run(capsys, *laptop, "status"))
    usb = tmp_path / "usb-grants"
    usb.mkdir()
    out = usb / "grants.json"
    _run(capsys, *county, "account", "grant", "--device", status["device_id"], "--user",
         DEMO_SUPERVISOR, "--key", status["account_key"], "--out", str(out))
    return out


def test_a_laptop_with_nothing_to_hand_in_imports_a_grants_file(
        tmp_path: Path, county: list[str], capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """No bundle, no receipt: the county writes the laptop's grants to a file."""
    folder = tmp_path / "laptop"
    create_demo_workspace(folder, elders=2, seed=13)
    monkeypatch.setenv("YINLING_PASSWORD", DEMO_PASSWORD)
    laptop = ["sync", "--data-dir", str(folder), "--user", DEMO_SUPERVISOR]
    _enrol_by_usb(tmp_path, county, capsys, laptop)
    genuine = _grants_file(tmp_path, county, capsys, laptop)
    data = json.loads(genuine.read_text(encoding="utf-8"))
    assert len(data["grants"]) == 1

    # The assessor copies the grant to his own name: its signature no longer holds.
    copied = tmp_path / "copied.json"
    copied.write_text(json.dumps({**data, "grants": [{**data["grants"][0],
                                                      "username": ASSESSOR}]}),
                      encoding="utf-8")
    assert "grants: 授权文件中没有本县为本机签发的有效授权" in _run(
        capsys, *laptop, "import-grants", str(copied), code=1)
    # Another laptop's file, or something else altogether: refused by name.
    other = tmp_path / "other.json"
    other.write_text(json.dumps({**data, "device_id": "another-laptop"}), encoding="utf-8")
    assert "device_id: 授权文件不是发给本机的" in _run(capsys, *laptop, "import-grants",
                                                    str(other), code=1)
    assert "format: 不是银龄角色授权文件" in _run(capsys, *laptop, "import-grants",
                                            str(first_json(tmp_path)), code=1)
    assert _role_and_grant_problems(folder, DEMO_PASSWORD)[0] == "assessor"

    assert "已导入 1 份县级角色授权" in _run(capsys, *laptop, "import-grants", str(genuine))
    assert _role_and_grant_problems(folder, DEMO_PASSWORD) == ("supervisor", [])


def first_json(tmp_path: Path) -> Path:
    """A JSON file that is no grants file (the offline enrolment request)."""
    return tmp_path / "request.json"


def test_the_grants_file_through_the_sync_menu(
        qtbot: QtBot, tmp_path: Path, county: list[str], capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "laptop"
    create_demo_workspace(folder, elders=2, seed=15)
    monkeypatch.setenv("YINLING_PASSWORD", DEMO_PASSWORD)
    laptop = ["sync", "--data-dir", str(folder), "--user", DEMO_SUPERVISOR]
    _enrol_by_usb(tmp_path, county, capsys, laptop)
    genuine = _grants_file(tmp_path, county, capsys, laptop)
    refusals: list[str] = []

    def refused(_parent: object, _title: str, text: str, *_rest: object) -> int:
        refusals.append(text)  # a modal box would block the test
        return int(QMessageBox.StandardButton.Ok.value)

    monkeypatch.setattr(QMessageBox, "warning", refused)
    with Workspace.open(folder, DEMO_SUPERVISOR, DEMO_PASSWORD) as ws:
        window = QMainWindow()
        qtbot.addWidget(window)
        menu = SyncMenu(window, SyncController(ws, window))
        assert menu.grants_action.isEnabled()
        altered = tmp_path / "altered.json"
        data = json.loads(genuine.read_text(encoding="utf-8"))
        data["grants"][0]["serial"] = 99
        altered.write_text(json.dumps(data), encoding="utf-8")
        assert not menu.import_grants(altered)
        assert "没有本县为本机签发的有效授权" in refusals[-1]
        assert menu.import_grants(genuine)
        assert "已导入 1 份县级角色授权" in window.statusBar().currentMessage()
        menu.controller.timer.stop()
    assert _role_and_grant_problems(folder, DEMO_PASSWORD) == ("supervisor", [])
