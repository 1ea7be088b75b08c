"""The county and laptop commands end to end: offline enrolment, bundle, receipt, review."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from assessment.cli import main
from assessment.ids import new_id
from assessment.scoring import Grader
from assessment.sync.device import DeviceKeys
from assessment.sync.local_outbox import LocalOutbox
from assessment.sync.synthetic import assessment_payload, elder_payload


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run ``yinling argv`` and return (exit code, stdout, stderr)."""
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_offline_enrolment_bundle_and_receipt_by_command(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    county = ["county", "--data-dir", str(tmp_path / "county")]
    assert run(capsys, *county, "township", "add", "140105001", "坞城街道")[0] == 0
    assert run(capsys, *county, "account", "add", "wang", "王评估", "--township",
               "140105001")[0] == 0
    code, out, _ = run(capsys, *county, "code", "wang")
    enrol_code = json.loads(out)["code"]
    laptop = ["sync", "--dir", str(tmp_path / "laptop")]
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

    keys = DeviceKeys.load(tmp_path / "laptop" / "device-keys.json")
    rng, grader = random.Random(3), Grader()
    with LocalOutbox(tmp_path / "laptop" / "outbox.sqlite3", keys.device_id) as outbox:
        for _ in range(5):
            elder_id = new_id()
            outbox.record("elder", elder_id, elder_payload(rng))
            outbox.record("assessment", new_id(), assessment_payload(grader, rng, elder_id))
    bundle = tmp_path / "usb" / "visits.ylb"
    bundle.parent.mkdir()
    assert run(capsys, *laptop, "export-bundle", "--out", str(bundle))[0] == 0
    receipts = tmp_path / "usb"
    code, out, _ = run(capsys, "import-bundle", str(bundle), "--data-dir",
                       str(tmp_path / "county"), "--receipt-dir", str(receipts))
    assert code == 0
    assert "新增 10" in out
    code, _, err = run(capsys, "import-bundle", str(bundle), "--data-dir",
                       str(tmp_path / "county"))
    assert code == 1
    assert "重放" in err
    receipt = next(receipts.glob("receipt-*.json"))
    code, out, _ = run(capsys, *laptop, "import-receipt", str(receipt))
    assert code == 0
    assert "10" in out
    code, out, _ = run(capsys, *laptop, "status")
    assert json.loads(out)["pending"] == 0

    code, out, _ = run(capsys, *county, "stats")
    stats = json.loads(out)
    assert stats["townships"][0]["assessments"] == 5
    code, out, _ = run(capsys, *county, "review", "counts")
    assert json.loads(out)["mismatches"] in (0, 5)  # 5 only while forms' rules hash varies
    code, out, _ = run(capsys, *county, "device", "list")
    devices = json.loads(out)
    assert devices[0]["acked_seq"] == 10
    assert run(capsys, *county, "device", "revoke", devices[0]["device_id"])[0] == 0
    # A bundle from a revoked device is refused whole.
    with LocalOutbox(tmp_path / "laptop" / "outbox.sqlite3", keys.device_id) as outbox:
        outbox.record("elder", new_id(), elder_payload(rng))
    later = tmp_path / "later.ylb"
    assert run(capsys, *laptop, "export-bundle", "--out", str(later))[0] == 0
    code, _, err = run(capsys, "import-bundle", str(later), "--data-dir",
                       str(tmp_path / "county"))
    assert code == 1
    assert "停用" in err
    code, _, err = run(capsys, *county, "review", "resolve", "gaps", "1", "close")
    assert code == 1
    assert "不存在" in err
