"""Qt's own dialogs speak Chinese, and file dialogs open in the documents folder, then in the
folder used last (also after a restart)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QStandardPaths, QTimer
from PySide6.QtWidgets import (
    QApplication,
    QDialogButtonBox,
    QFileDialog,
    QLabel,
    QMessageBox,
    QPushButton,
)
from pytestqt.qtbot import QtBot

from app.common import file_dialogs
from app.shell.translations import GAPS_FILE
from assessment.paths import resources_dir


def test_file_dialog_texts_are_chinese(qtbot: QtBot) -> None:
    dialog = QFileDialog()
    qtbot.addWidget(dialog)
    dialog.setOption(QFileDialog.Option.DontUseNativeDialog)
    labels = sorted(label.text() for label in dialog.findChildren(QLabel) if label.text())
    assert labels == sorted(["查找范围(&L)：", "文件名称(&N)：", "文件类型(&T)："])
    buttons = {button.text() for button in dialog.findChildren(QPushButton)}
    assert {"打开(&O)", "取消"} <= buttons
    assert not any("Look in" in text or "Cancel" in text for text in [*labels, *buttons])


def test_standard_buttons_are_chinese(qtbot: QtBot) -> None:
    box = QMessageBox(QMessageBox.Icon.Question, "标题", "内容",
                      QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
    qtbot.addWidget(box)
    assert sorted(b.text() for b in box.buttons()) == sorted(["是(&Y)", "否(&N)"])
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                               | QDialogButtonBox.StandardButton.Cancel)
    qtbot.addWidget(buttons)
    assert [b.text() for b in buttons.buttons()] == ["确定", "取消"]


def test_gap_texts_do_not_hide_the_catalogue() -> None:
    assert QApplication.translate("QFileDialog", "&Look in:") == "查找范围(&L)："
    assert QApplication.translate("QPrintSettingsOutput", "Page &Set:") == "页面集(&S)："
    assert QApplication.translate("QFileDialog", "File &name:") == "文件名称(&N)："  # Qt's


def test_gap_catalogue_is_compiled_from_its_source(tmp_path: Path) -> None:
    lrelease = shutil.which("pyside6-lrelease", path=str(Path(sys.executable).parent))
    assert lrelease is not None
    folder = resources_dir() / "translations"
    out = tmp_path / GAPS_FILE
    subprocess.run([lrelease, "-silent", str(folder / "qt_gaps_zh_CN.ts"), "-qm", str(out)],
                   check=True, timeout=60)
    assert out.read_bytes() == (folder / GAPS_FILE).read_bytes()


def answer(qtbot: QtBot, act: Callable[[QFileDialog], None]) -> list[str]:
    """Handle the next file dialog when it shows; return the folder it opened in."""
    seen: list[str] = []

    def poll() -> None:
        widget = QApplication.activeModalWidget()
        if isinstance(widget, QFileDialog):
            timer.stop()
            seen.append(widget.directory().absolutePath())
            act(widget)

    timer = QTimer()
    timer.setInterval(20)
    timer.timeout.connect(poll)
    timer.start()
    return seen


def test_file_dialogs_start_in_documents_then_the_last_folder(
        qtbot: QtBot, tmp_path: Path) -> None:
    file_dialogs.remember_in(tmp_path / "state.ini")
    documents = QStandardPaths.writableLocation(
        QStandardPaths.StandardLocation.DocumentsLocation)
    expected = Path(documents) if documents and Path(documents).is_dir() else Path.home()
    assert file_dialogs.start_folder() == expected
    usb = tmp_path / "U盘"
    usb.mkdir()
    target = usb / "报告.pdf"

    def save_there(dialog: QFileDialog) -> None:
        dialog.selectFile(str(target))
        dialog.accept()

    seen = answer(qtbot, save_there)
    chosen = file_dialogs.save_file(None, "保存评估报告", "报告.pdf", "PDF 文件 (*.pdf)")
    assert chosen == target
    assert seen == [str(expected)]

    seen = answer(qtbot, lambda dialog: dialog.reject())
    assert file_dialogs.open_file(None, "导入回执", "银龄回执 (*.json)") is None
    assert seen == [str(usb)]  # the folder used last

    file_dialogs.remember_in(tmp_path / "state.ini")  # as after a restart
    assert file_dialogs.start_folder() == usb
    usb.rmdir()  # the stick was pulled: back to the documents folder
    assert file_dialogs.start_folder() == expected
