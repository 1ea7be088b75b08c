"""Signing in to a data folder that other users of the computer can read shows a non-modal
banner in the main window (issue 12, item 6)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.shell.main import AppController
from app.shell.main_window import NOTICE_CLOSE
from app.shell.store import demo_hint, opener_for
from assessment.records.datadir import keyring_path
from tests.gui.conftest import PASSWORD, USERNAME
from tests.gui.test_session import sign_in


def _signed_in(qtbot: QtBot, data_dir: Path) -> AppController:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    controller = AppController(app, data_dir, opener_for(data_dir), demo_hint(data_dir))
    controller.start()
    qtbot.addWidget(controller.signin)
    sign_in(qtbot, controller.signin, USERNAME, PASSWORD)
    assert controller.window is not None
    return controller


def test_readable_data_files_are_named_in_a_banner_at_sign_in(qtbot: QtBot,
                                                              data_dir: Path) -> None:
    keyring_path(data_dir).chmod(0o644)  # as every store was before issue 12
    data_dir.chmod(0o755)
    controller = _signed_in(qtbot, data_dir)
    window = controller.window
    assert window is not None
    notice = window.files_notice
    assert QApplication.activeModalWidget() is None  # a banner, not a dialog
    assert notice.isVisible()
    text = notice.text()
    assert "数据文件可被本机其他用户读取" in text
    assert keyring_path(data_dir).name in text
    assert "chmod 700" in text
    notice.linkActivated.emit(NOTICE_CLOSE)  # what clicking 知道了 does
    assert not notice.isVisible()
    controller.sign_out()
    assert controller.window is None


def test_a_private_data_folder_shows_no_banner(qtbot: QtBot, data_dir: Path) -> None:
    controller = _signed_in(qtbot, data_dir)
    window = controller.window
    assert window is not None
    assert not window.files_notice.isVisible()
    assert window.files_notice.text() == ""
    controller.sign_out()
