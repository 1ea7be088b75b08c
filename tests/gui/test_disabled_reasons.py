"""What cannot be used says why: on a laptop not yet enrolled 立即同步, its toolbar button, F5
and 导出离线数据包 are really disabled and name the reason."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.common.context import AppContext
from app.shell.main_window import MainWindow
from app.sync.menu import NOT_ENROLLED


def test_unenrolled_laptop_disables_sync_and_says_why(qtbot: QtBot, ctx: AppContext) -> None:
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    menu = window.sync_menu
    assert menu is not None
    assert menu.toolbar_action is not None
    for action in (menu.sync_action, menu.toolbar_action, menu.export_action,
                   menu.receipt_action):
        assert not action.isEnabled(), action.text()
        assert action.toolTip() == f"不可用：{NOT_ENROLLED}", action.text()
        assert action.statusTip() == action.toolTip()
    assert menu.enrol_action.isEnabled()
    assert menu.menu.toolTipsVisible()
    # The disabled F5 does not pass silently: the status bar says why.
    window.statusBar().clearMessage()
    QTest.keyClick(window, Qt.Key.Key_F5)
    assert window.statusBar().currentMessage() == f"无法同步：{NOT_ENROLLED}"
    assert window.sync is not None
    assert not window.sync.running()


def test_status_refresh_after_the_store_closed_is_quiet(qtbot: QtBot, ctx: AppContext) -> None:
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    assert window.sync is not None
    ctx.workspace.close()  # locking or signing out closes the store; a timer may still fire
    window.sync.refresh_status()  # would raise in the menu's slot (a Qt event-loop error)
    assert window.sync_menu is not None
    assert not window.sync_menu.sync_action.isEnabled()
