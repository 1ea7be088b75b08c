"""Printing through Qt: the layout painted by QPainter, batches, reprint marking and audit."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPainter
from PySide6.QtPrintSupport import QPrintDialog, QPrinter, QPrintPreviewDialog
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QFileDialog
from pytestqt.qtbot import QtBot

from app.common.background import BackgroundTask, Cancelled, CancelToken
from app.common.context import AppContext
from app.documents.printing import (
    PagePainter,
    a4_printer,
    paint_pages,
    print_certificate,
    qt_font_family,
)
from app.shell.main_window import MainWindow
from assessment.documents.fonts import find_cjk_font
from assessment.documents.verification import verify_certificate_text
from assessment.records.api import RegisterFilter
from assessment.records.workspace import Workspace
from assessment.usecases.certificates import BatchOutcome, certificates_job, prepare_certificate
from tests.gui.pdfpages import assert_certificates, page_texts


def finalized_ids(workspace: Workspace, count: int = 3) -> list[str]:
    ids = []
    for row in workspace.elders.page(RegisterFilter(), 0, 60):
        current = workspace.assessments.current(row.elder_id)
        if current is not None:
            ids.append(current.assessment_id)
        if len(ids) == count:
            break
    assert len(ids) == count
    return ids


def actions(workspace: Workspace, assessment_id: str) -> list[str]:
    return [entry.action for entry in workspace.audit.trail(assessment_id)]


def test_qt_painted_page_carries_a_verifiable_qr(qtbot: QtBot, workspace: Workspace) -> None:
    pyzbar = pytest.importorskip("pyzbar.pyzbar")
    from PIL import Image

    prepared = prepare_certificate(workspace, finalized_ids(workspace, 1)[0])
    page = prepared.document.pages[0]
    dpi = 200
    image = QImage(int(page.width * dpi / 72), int(page.height * dpi / 72),
                   QImage.Format.Format_Grayscale8)
    image.fill(255)
    painter = QPainter(image)
    PagePainter(painter, qt_font_family(find_cjk_font()), dpi).paint(page)
    painter.end()
    pixels = np.array(image.constBits(), dtype=np.uint8).reshape(
        image.height(), image.bytesPerLine())[:, :image.width()]
    assert (pixels < 128).mean() > 0.01  # text and lines were painted
    try:
        found = pyzbar.decode(Image.fromarray(pixels.copy()))
    except ImportError:  # pragma: no cover - libzbar missing
        pytest.skip("libzbar 未安装")
    assert len(found) == 1
    from assessment.documents.sources import workspace_signer

    result = verify_certificate_text(found[0].data.decode("ascii"),
                                     [workspace_signer(workspace).keys.public])
    assert result.valid


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext 未安装")
def test_qt_pdf_output_has_the_text(qtbot: QtBot, workspace: Workspace, tmp_path: Path) -> None:
    prepared = prepare_certificate(workspace, finalized_ids(workspace, 1)[0])
    printer = a4_printer()
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(tmp_path / "qt.pdf"))
    assert paint_pages(printer, prepared.document.pages) == 1
    text = subprocess.run(["pdftotext", str(tmp_path / "qt.pdf"), "-"], check=True,
                          capture_output=True, text=True).stdout
    flat = "".join(text.split())
    assert prepared.document.subject in flat  # the elder's name
    assert "能力完全丧失（完全失能）" in flat


def test_batch_to_one_pdf_then_reprint(workspace: Workspace, tmp_path: Path) -> None:
    ids = finalized_ids(workspace)
    target = tmp_path / "batch.pdf"
    progress: list[tuple[int, int]] = []
    job = certificates_job(workspace, ids, "one_pdf", target)
    outcome = job(lambda done, total, text="": progress.append((done, total)), CancelToken())
    assert isinstance(outcome, BatchOutcome)
    assert outcome.files == [target]
    assert_certificates(target, workspace, ids)
    assert "补打" not in "".join(page_texts(target))
    assert [reprint for _, reprint in outcome.printed_ids] == [False] * len(ids)
    assert progress[-1] == (len(ids), len(ids))
    assert all("export_certificate_pdf" in actions(workspace, i) for i in ids)
    again = certificates_job(workspace, ids[:1], "pdf_per_certificate", tmp_path)(
        lambda done, total, text="": None, CancelToken())
    assert again.printed_ids == [(ids[0], False)]  # PDFs are not paper copies
    assert not prepare_certificate(workspace, ids[0]).reprint
    [single] = again.files
    assert_certificates(single, workspace, ids[:1])
    assert "补打" not in page_texts(single)[0]


def test_batch_cancel(workspace: Workspace, tmp_path: Path) -> None:
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        certificates_job(workspace, finalized_ids(workspace), "one_pdf", tmp_path / "x.pdf")(
            lambda done, total, text="": None, token)
    assert not (tmp_path / "x.pdf").exists()


def test_batch_runs_off_the_gui_thread(qtbot: QtBot, workspace: Workspace,
                                       tmp_path: Path) -> None:
    ids = finalized_ids(workspace, 2)
    task = BackgroundTask(certificates_job(workspace, ids, "print", None))
    with qtbot.waitSignal(task.succeeded, timeout=60_000) as blocker:
        task.start()
    outcome = blocker.args[0]
    assert isinstance(outcome, BatchOutcome)
    assert len(outcome.pages) == 2
    assert not outcome.files


def test_print_from_preview_logs_the_print(qtbot: QtBot, workspace: Workspace,
                                           monkeypatch: pytest.MonkeyPatch,
                                           tmp_path: Path) -> None:
    assessment_id = finalized_ids(workspace, 1)[0]
    painted: list[int] = []

    def fake_exec(dialog: QPrintPreviewDialog) -> int:
        printer = a4_printer()
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setOutputFileName(str(tmp_path / "preview.pdf"))
        dialog.paintRequested.emit(printer)
        painted.append(1)
        return int(QPrintPreviewDialog.DialogCode.Accepted.value)

    monkeypatch.setattr(QPrintPreviewDialog, "exec", fake_exec)
    assert print_certificate(None, workspace, assessment_id)
    assert painted
    assert_certificates(tmp_path / "preview.pdf", workspace, [assessment_id])
    assert actions(workspace, assessment_id)[-1] == "print_certificate"
    assert print_certificate(None, workspace, assessment_id)
    assert actions(workspace, assessment_id)[-1] == "reprint_certificate"


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext 未安装")
def test_save_pdf_from_the_assessment_view(qtbot: QtBot, ctx: AppContext, workspace: Workspace,
                                           tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    assessment_id = finalized_ids(workspace, 1)[0]
    name = workspace.elders.get(workspace.assessments.get(assessment_id).elder_id).name
    window.open_assessment_id(assessment_id)
    page = window.entry_page
    assert page.pdf_button.isVisible()
    assert page.print_button.isVisible()
    assert page.preview_button.isVisible()
    page.grab().save("/tmp/yinling_entry_finalized_buttons.png")
    target = tmp_path / "证书.pdf"
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        lambda *args, **kwargs: (str(target), "PDF 文件 (*.pdf)"))
    QTest.mouseClick(page.pdf_button, Qt.MouseButton.LeftButton)
    assert target.exists()
    text = subprocess.run(["pdftotext", str(target), "-"], check=True, capture_output=True,
                          text=True).stdout
    assert name in "".join(text.split())
    assert "补打" not in "".join(text.split())
    assert actions(workspace, assessment_id)[-1] == "export_certificate_pdf"
    # 打印 after 另存为PDF: the first paper copy is the original; the next one is 补打.
    printed: list[Path] = []

    def fake_exec(dialog: QPrintDialog) -> int:
        printer = dialog.printer()
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printed.append(tmp_path / f"paper{len(printed)}.pdf")
        printer.setOutputFileName(str(printed[-1]))
        return int(QPrintDialog.DialogCode.Accepted.value)

    monkeypatch.setattr(QPrintDialog, "exec", fake_exec)
    for expected_mark, expected_action in ((False, "print_certificate"),
                                           (True, "reprint_certificate")):
        QTest.mouseClick(page.print_button, Qt.MouseButton.LeftButton)
        text = subprocess.run(["pdftotext", str(printed[-1]), "-"], check=True,
                              capture_output=True, text=True).stdout
        assert name in "".join(text.split())
        assert ("补打" in "".join(text.split())) is expected_mark
        assert actions(workspace, assessment_id)[-1] == expected_action
    # A PDF saved after the paper original is a copy: marked 补打.
    again = page.save_pdf(tmp_path / "again.pdf")
    assert again is not None
    text = subprocess.run(["pdftotext", str(again), "-"], check=True, capture_output=True,
                          text=True).stdout
    assert "补打" in "".join(text.split())


def test_draft_has_no_document_buttons(qtbot: QtBot, ctx: AppContext,
                                       workspace: Workspace) -> None:
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    elder_id = workspace.assessments.get(finalized_ids(workspace, 1)[0]).elder_id
    draft = workspace.assessments.start(elder_id, "常规评估")
    window.open_elder(elder_id)
    window.open_assessment(draft)
    page = window.entry_page
    assert not page.pdf_button.isVisible()
    assert page.save_pdf(Path("/nonexistent/x.pdf")) is None
