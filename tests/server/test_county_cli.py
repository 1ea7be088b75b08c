"""The county and laptop commands end to end: offline enrolment, bundle, receipt, review."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assessment.cli import main
from assessment.records.demo import DEMO_PASSWORD, DEMO_SUPERVISOR, create_demo_workspace
from assessment.records.workspace import Workspace
from tests.records.conftest import elder


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run ``yinling argv`` and return (exit code, stdout, stderr)."""
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_offline_enrolment_bundle_and_receipt_by_command(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    county = ["county", "--data-dir", str(tmp_path / "county")]
    assert run(capsys, *county, "township", "add", "140105001", "坞城街道")[0] == 0
    assert run(capsys, *county, "account", "add", "wang", "王评估", "--township",
               "140105001")[0] == 0
    code, out, _ = run(capsys, *county, "code", "wang")
    enrol_code = json.loads(out)["code"]
    create_demo_workspace(tmp_path / "laptop", elders=4, seed=3)
    monkeypatch.setenv("YINLING_PASSWORD", DEMO_PASSWORD)
    laptop = ["sync", "--data-dir", str(tmp_path / "laptop"), "--user", DEMO_SUPERVISOR]
    request = tmp_path / "request.json"
    assert run(capsys, *laptop, "enrol-request", "--code", enrol_code, "--out",
               str(request))[0] == 0
    response = tmp_path / "response.json"
    assert run(capsys, *county, "enrol-device", str(request), "--out", str(response))[0] == 0
    # The code is one-time: a second request with it is refused.
    assert run(capsys, *county, "enrol-device", str(request), "--out",
               str(tmp_path / "again.json"))[0] == 1
    code, out, _ = run(capsys, *laptop, "enrol-import", str(response))
    assert code == 0
    assert "坞城街道" in out

    with Workspace.open(tmp_path / "laptop", DEMO_SUPERVISOR, DEMO_PASSWORD) as ws:
        pending = ws.outbox.sync_state().pending
    bundle = tmp_path / "usb" / "visits.ylb"
    bundle.parent.mkdir()
    assert run(capsys, *laptop, "export-bundle", "--out", str(bundle))[0] == 0
    receipts = tmp_path / "usb"
    code, out, _ = run(capsys, "import-bundle", str(bundle), "--data-dir",
                       str(tmp_path / "county"), "--receipt-dir", str(receipts))
    assert code == 0
    assert f"新增 {pending}" in out
    code, _, err = run(capsys, "import-bundle", str(bundle), "--data-dir",
                       str(tmp_path / "county"))
    assert code == 1
    assert "重放" in err
    receipt = next(receipts.glob("receipt-*.json"))
    code, out, _ = run(capsys, *laptop, "import-receipt", str(receipt))
    assert code == 0
    assert str(pending) in out
    code, out, _ = run(capsys, *laptop, "status")
    assert json.loads(out)["pending"] == 0

    code, out, _ = run(capsys, *county, "stats")
    stats = json.loads(out)
    assert stats["townships"][0]["elders"] == 4
    code, out, _ = run(capsys, *county, "review", "counts")
    assert json.loads(out)["mismatches"] == 0
    code, out, _ = run(capsys, *county, "device", "list")
    devices = json.loads(out)
    assert devices[0]["acked_seq"] == pending
    assert run(capsys, *county, "device", "revoke", devices[0]["device_id"])[0] == 0
    # A bundle from a revoked device is refused whole.
    with Workspace.open(tmp_path / "laptop", DEMO_SUPERVISOR, DEMO_PASSWORD) as ws:
        ws.elders.create(elder())
    later = tmp_path / "later.ylb"
    assert run(capsys, *laptop, "export-bundle", "--out", str(later))[0] == 0
    code, _, err = run(capsys, "import-bundle", str(later), "--data-dir",
                       str(tmp_path / "county"))
    assert code == 1
    assert "停用" in err
    code, _, err = run(capsys, *county, "review", "resolve", "gaps", "1", "close")
    assert code == 1
    assert "不存在" in err
