"""``yinling certificate``, ``verify-certificate`` and ``stats`` over a small demo workspace."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from assessment.cli import main
from assessment.devicekeys import DeviceSigningKey
from assessment.documents.certificate import CertificateSigner
from assessment.records import demo
from assessment.records.api import RegisterFilter
from assessment.records.workspace import Workspace
from tests.documents.conftest import ID_KEY, sample_data


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo") / "data"
    demo.create_demo_workspace(folder, elders=15)
    return folder


@pytest.fixture
def signed_in(demo_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("YINLING_USER", demo.DEMO_SUPERVISOR)
    monkeypatch.setenv("YINLING_PASSWORD", demo.DEMO_PASSWORD)
    monkeypatch.setenv("YINLING_DATA_DIR", str(demo_dir))
    return demo_dir


def a_finalized_id(folder: Path) -> str:
    ws = Workspace.open(folder, demo.DEMO_SUPERVISOR, demo.DEMO_PASSWORD)
    try:
        for row in ws.elders.page(RegisterFilter(), 0, 30):
            current = ws.assessments.current(row.elder_id)
            if current is not None:
                return current.assessment_id
    finally:
        ws.close()
    raise AssertionError("no finalized assessment in the demo")


def test_verify_with_a_hex_key(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    keys = DeviceSigningKey.generate()
    text = CertificateSigner(keys, ID_KEY).code_for(sample_data())
    assert main(["verify-certificate", text, "--public-key", keys.public.hex]) == 0
    assert "核验通过" in capsys.readouterr().out
    key_file = tmp_path / "device.pub"
    key_file.write_text(keys.public.hex + "\n", encoding="utf-8")
    altered = text[:30] + ("A" if text[30] != "A" else "B") + text[31:]  # assessment id
    assert main(["verify-certificate", altered, "--public-key", str(key_file)]) == 1
    assert "核验失败" in capsys.readouterr().err
    other = DeviceSigningKey.generate().public.hex
    assert main(["verify-certificate", text, "--public-key", other]) == 1
    assert "未在本机登记" in capsys.readouterr().err
    assert main(["verify-certificate", text, "--public-key", "junk"]) == 2


def test_certificate_then_verify_with_own_key(signed_in: Path, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    assessment_id = a_finalized_id(signed_in)
    out = tmp_path / "c.pdf"
    assert main(["certificate", assessment_id, "--out", str(out)]) == 0
    assert out.read_bytes().startswith(b"%PDF")
    assert "补打" not in capsys.readouterr().out
    assert main(["certificate", assessment_id, "--out", str(tmp_path / "again.pdf")]) == 0
    assert "补打" not in capsys.readouterr().out  # PDFs are not paper copies
    ws = Workspace.open(signed_in, demo.DEMO_SUPERVISOR, demo.DEMO_PASSWORD)
    try:
        trail = [e.action for e in ws.audit.trail(assessment_id)]
        from assessment.documents.sources import certificate_data, workspace_signer

        text = workspace_signer(ws).code_for(certificate_data(ws, assessment_id))
    finally:
        ws.close()
    assert trail[-2:] == ["export_certificate_pdf", "export_certificate_pdf"]
    assert main(["verify-certificate", text]) == 0


def test_certificate_refuses_unknown_id(signed_in: Path, tmp_path: Path) -> None:
    code = main(["certificate", "0193a4b2-7c1d-7e2f-8a3b-4c5d6e7f8091", "--out",
                 str(tmp_path / "x.pdf")])
    assert code == 1
    assert not (tmp_path / "x.pdf").exists()


def test_stats_export(signed_in: Path, tmp_path: Path,
                      capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "s.xlsx"
    assert main(["stats", "--out", str(out), "--from", "2020-01-01", "--to", "2030-12-31"]) == 0
    grades = pd.read_excel(out, sheet_name="能力等级")
    assert int(grades.iloc[-1]["合计"]) == 15
    assert main(["stats", "--out", str(out), "--from", "2020-13-01"]) == 1


def test_no_workspace_is_an_environment_error(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("YINLING_DATA_DIR", str(tmp_path / "none"))
    assert main(["stats", "--out", str(tmp_path / "s.xlsx")]) == 3


def test_help_lists_the_commands() -> None:
    out = subprocess.run([sys.executable, "-m", "assessment", "--help"], check=True,
                         capture_output=True, text=True).stdout
    assert "verify-certificate" in out
    assert "stats" in out


def test_without_a_terminal_missing_credentials_are_named(demo_dir: Path,
                                                          tmp_path: Path) -> None:
    """A scheduled task with no account or password set is told what to set, not asked."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("YINLING_USER", "YINLING_PASSWORD")}
    env["YINLING_DATA_DIR"] = str(demo_dir)
    command = [sys.executable, "-m", "assessment", "stats", "--out", str(tmp_path / "s.xlsx")]
    no_user = subprocess.run(command, env=env, stdin=subprocess.DEVNULL, capture_output=True,
                             text=True)
    assert no_user.returncode == 3
    assert "YINLING_USER" in no_user.stderr
    assert "Traceback" not in no_user.stderr
    env["YINLING_USER"] = demo.DEMO_SUPERVISOR
    no_password = subprocess.run(command, env=env, stdin=subprocess.DEVNULL,
                                 capture_output=True, text=True)
    assert no_password.returncode == 3
    assert "YINLING_PASSWORD" in no_password.stderr
    assert not (tmp_path / "s.xlsx").exists()
