"""One short device code everywhere: the status bar, the enrolment dialog, the certificate's
number and footer and the QR check all show the same code (the signing key's); the full device
id appears only in 设备详情."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from PySide6.QtWidgets import QLabel, QWidget
from pytestqt.qtbot import QtBot

from app.common.context import AppContext
from app.shell.main_window import MainWindow
from app.sync.controller import SyncController
from app.sync.device_dialog import DeviceDetailsDialog
from app.sync.dialogs import EnrolDialog
from assessment.documents.sources import certificate_data, workspace_signer
from assessment.documents.verification import verify_certificate_text
from assessment.records.api import RegisterFilter
from assessment.records.workspace import Workspace
from assessment.usecases.certificates import export_certificate_pdf


def texts(widget: QWidget) -> str:
    return "\n".join(label.text() for label in widget.findChildren(QLabel))


def test_one_code_on_every_screen(qtbot: QtBot, ctx: AppContext, workspace: Workspace,
                                  tmp_path: Path) -> None:
    code = workspace.device_code
    assert code == workspace_signer(workspace).key_code  # the key's code is the code
    full = workspace.device_id
    assert len(code) == 8
    assert full not in code

    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.resize(1280, 720)
    window.show()
    status = texts(window.statusBar())
    assert f"设备 {code}" in status
    assert full[-8:] not in status

    dialog = EnrolDialog(SyncController(workspace, window), window)
    qtbot.addWidget(dialog)
    shown = texts(dialog)
    assert code in shown
    assert full not in shown
    details = DeviceDetailsDialog(workspace, dialog)
    qtbot.addWidget(details)
    assert details.values["设备代码"].text() == code
    assert details.values["设备编号（完整）"].text() == full  # only here

    current = next(workspace.assessments.current(r.elder_id)
                   for r in workspace.elders.page(RegisterFilter(), 0, 100) if r.grade is not None)
    assert current is not None
    assert current.certificate_no is not None
    assert current.certificate_no.startswith(f"{code}-")
    data = certificate_data(workspace, current.assessment_id)
    text = workspace_signer(workspace).code_for(data)
    result = verify_certificate_text(text, [workspace_signer(workspace).keys.public])
    assert result.valid
    assert f"签发设备：{code}" in result.describe()
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext 未安装")
    pdf = tmp_path / "c.pdf"
    export_certificate_pdf(workspace, current.assessment_id, pdf)
    page = subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True,
                          text=True).stdout
    assert f"签发设备：{code}" in "".join(page.split())
