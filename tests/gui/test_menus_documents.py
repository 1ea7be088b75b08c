"""The 文档 menu on the real store: batch certificates with progress, and the statistics."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from app.common.background import ProgressDialog
from app.common.context import AppContext
from app.documents.menu import BatchPrintDialog, DocumentsMenu, assessed_ids
from app.shell.main_window import MainWindow
from assessment.records.api import RegisterFilter
from assessment.records.workspace import Workspace
from assessment.usecases.certificates import BatchOutcome
from tests.gui.pdfpages import assert_certificates


def start_window(qtbot: QtBot, ctx: AppContext) -> tuple[MainWindow, DocumentsMenu]:
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    menu = window.findChild(DocumentsMenu)
    assert isinstance(menu, DocumentsMenu)
    return window, menu


@pytest.fixture
def no_message_boxes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    shown: list[str] = []

    def record(_parent: QWidget | None, _title: str, text: str, *args: object) -> int:
        shown.append(text)
        return int(QMessageBox.StandardButton.Ok.value)

    for name in ("information", "warning", "critical"):
        monkeypatch.setattr(QMessageBox, name, record)
    return shown


def test_menu_titles(qtbot: QtBot, ctx: AppContext) -> None:
    window, menu = start_window(qtbot, ctx)
    titles = [action.text() for action in window.menuBar().actions()]
    assert "文档(&D)" in titles
    assert [a.text() for a in menu.menu.actions()] == ["批量打印证书…", "统计报表…"]


def test_batch_of_one_village_to_one_pdf(qtbot: QtBot, ctx: AppContext, workspace: Workspace,
                                         tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         no_message_boxes: list[str]) -> None:
    window, menu = start_window(qtbot, ctx)
    menu.batch_action.trigger()
    dialog = menu.dialog
    assert isinstance(dialog, BatchPrintDialog)
    assert dialog.scope.itemText(0) == "当前花名册筛选结果"
    village = next(v for v in workspace.elders.villages()
                   if len(assessed_ids(workspace, RegisterFilter(village=v))) >= 2)
    dialog.scope.setCurrentIndex(dialog.scope.findData(village))
    assert "位老人" in dialog.count.text()
    dialog.grab().save("/tmp/yinling_batch_dialog.png")
    expected = assessed_ids(workspace, RegisterFilter(village=village))
    assert dialog.assessment_ids() == expected
    target = tmp_path / "村报告.pdf"
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        lambda *args, **kwargs: (str(target), "PDF 文件 (*.pdf)"))
    progress: list[tuple[int, int]] = []
    dialog.accept()
    handle = menu.batch
    assert handle is not None
    handle.task.progress.connect(lambda done, total, _text: progress.append((done, total)))
    shown = window.findChild(ProgressDialog)
    assert isinstance(shown, ProgressDialog)
    assert shown.isVisible()
    qtbot.waitUntil(lambda: handle.outcome is not None, timeout=120_000)
    outcome = handle.outcome
    assert isinstance(outcome, BatchOutcome)
    assert outcome.files == [target]
    assert_certificates(target, workspace, expected)
    assert [aid for aid, _ in outcome.printed_ids] == expected
    assert progress[-1] == (len(expected), len(expected))
    assert no_message_boxes == []
    assert all(workspace.audit.trail(aid)[-1].action == "export_certificate_pdf"
               for aid in expected)


def test_batch_cancel_writes_nothing(qtbot: QtBot, ctx: AppContext, workspace: Workspace,
                                     tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                     no_message_boxes: list[str]) -> None:
    _window, menu = start_window(qtbot, ctx)
    dialog = menu.open_batch()
    dialog.scope.setCurrentIndex(dialog.scope.findData(""))  # 全部老人
    target = tmp_path / "all.pdf"
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        lambda *args, **kwargs: (str(target), ""))
    handle = menu.start_batch(dialog)
    assert handle is not None
    cancelled: list[bool] = []
    handle.task.cancelled.connect(lambda: cancelled.append(True))
    handle.task.cancel()
    qtbot.waitUntil(lambda: not handle.task.running, timeout=60_000)
    assert cancelled == [True]
    assert handle.outcome is None
    assert not target.exists()


def test_statistics_window_opens_from_the_menu(qtbot: QtBot, ctx: AppContext) -> None:
    _window, menu = start_window(qtbot, ctx)
    menu.stats_action.trigger()
    view = menu.statistics
    assert view is not None
    assert view.isVisible()
    qtbot.waitUntil(lambda: view.stats is not None, timeout=120_000)
    assert view.tabs.count() > 0
    view.grab().save("/tmp/yinling_statistics_from_menu.png")
    view.close()
