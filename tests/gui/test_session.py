"""Sign-in, idle lock and unlock, resuming drafts, settings: through the app controller."""

from __future__ import annotations

import threading
from pathlib import Path

import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from app.common.changes import ChangeNotices
from app.common.context import AppContext
from app.shell.main import AppController
from app.shell.main_window import NOTICE_OPEN
from app.shell.settings_dialog import SettingsDialog
from app.shell.sign_in import SignInWindow
from app.shell.store import demo_hint, opener_for
from assessment.records import demo
from assessment.records.api import AssessmentStatus, Changed, RegisterFilter
from assessment.records.workspace import Workspace
from assessment.settings import GRADE_RAISE_MODE, IDLE_LOCK_MINUTES
from tests.gui.conftest import PASSWORD, USERNAME


def sign_in(qtbot: QtBot, window: SignInWindow, username: str, password: str) -> None:
    window.username.setText(username)
    window.password.setText(password)
    QTest.mouseClick(window.button, Qt.MouseButton.LeftButton)


def test_wrong_password_is_shown_beside_the_field(qtbot: QtBot, data_dir: Path) -> None:
    window = SignInWindow(opener_for(data_dir), hint=demo_hint(data_dir))
    qtbot.addWidget(window)
    window.show()
    assert USERNAME in window.hint.text()
    assert PASSWORD in window.hint.text()
    with qtbot.assertNotEmitted(window.signed_in):
        sign_in(qtbot, window, USERNAME, "not-the-password")
    assert not window.password_problem.isHidden()
    assert "密码错误" in window.password_problem.text()
    with qtbot.waitSignal(window.signed_in) as signal:
        sign_in(qtbot, window, USERNAME, PASSWORD)
    workspace = signal.args[0]
    assert workspace.current_user.username == USERNAME
    workspace.close()


def test_idle_lock_closes_the_store_and_unlock_returns(qtbot: QtBot, data_dir: Path) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    with Workspace.open(data_dir, USERNAME, PASSWORD) as workspace:  # a draft left behind
        elder = workspace.elders.page(RegisterFilter(), 0, 1)[0]
        workspace.assessments.start(elder.elder_id, "即时评估")
    controller = AppController(app, data_dir, opener_for(data_dir), demo_hint(data_dir))
    controller.start()
    qtbot.addWidget(controller.signin)
    sign_in(qtbot, controller.signin, USERNAME, PASSWORD)
    window = controller.window
    assert window is not None
    assert controller.ctx is not None
    # Open drafts are named at start in a notice (not a modal dialog) with a link to them.
    assert QApplication.activeModalWidget() is None
    assert window.drafts_dialog is None
    notice = window.drafts_notice
    assert notice.isVisible()
    count = len(controller.ctx.workspace.assessments.drafts())
    assert f"有 {count} 份未完成的评估草稿" in notice.text()
    notice.linkActivated.emit(NOTICE_OPEN)  # what clicking 查看并继续… does
    dialog = window.drafts_dialog
    assert dialog is not None
    assert dialog.isVisible()
    assert not dialog.isModal()
    assert dialog.list.count() == count
    draft_id = controller.ctx.workspace.assessments.drafts()[0].assessment_id
    dialog.list.setCurrentRow(0)
    dialog._resume()
    assert window.stack.currentWidget() is window.entry_page
    assert window.entry_page.record is not None
    assert window.entry_page.record.assessment_id == draft_id
    assert not notice.isVisible()

    assert controller.watcher is not None
    controller.watcher.set_interval_ms(50)
    qtbot.waitUntil(lambda: controller.window is None, timeout=3000)
    assert controller.ctx is None  # store closed, nothing personal kept while locked
    signin = controller.signin
    assert signin.locked
    assert signin.username.text() == USERNAME
    assert signin.username.isReadOnly()
    assert "锁定" in signin.title.text()

    sign_in(qtbot, signin, USERNAME, "wrong-password")
    assert controller.window is None
    assert not signin.password_problem.isHidden()
    sign_in(qtbot, signin, USERNAME, PASSWORD)
    window = controller.window
    assert window is not None
    assert window.stack.currentWidget() is window.entry_page
    assert window.entry_page.record is not None
    assert window.entry_page.record.assessment_id == draft_id
    assert window.entry_page.record.status is AssessmentStatus.DRAFT
    controller.shutdown()


def test_settings_are_saved_in_the_workspace(qtbot: QtBot, ctx: AppContext) -> None:
    dialog = SettingsDialog(ctx)
    qtbot.addWidget(dialog)
    assert dialog.interval.value() == 12
    dialog.idle.setValue(3)
    # An assessor may not change what decides a grade (issue 12): greyed out, and the store
    # itself refuses it (tests/security/test_laptop_roles.py).
    assert ctx.workspace.current_user.role == "assessor"
    assert not dialog.raise_mode.isEnabled()
    assert not dialog.interval.isEnabled()
    dialog.save()
    assert ctx.workspace.settings.get(IDLE_LOCK_MINUTES.key) == 3
    assert ctx.workspace.settings.get(GRADE_RAISE_MODE.key) == "once"
    assert ctx.idle_minutes() == 3
    assert ctx.grading_settings().grade_raise_mode.value == "once"


def test_a_supervisor_changes_the_grade_raise_mode(qtbot: QtBot, data_dir: Path) -> None:
    ws = Workspace.open(data_dir, demo.DEMO_SUPERVISOR, demo.DEMO_PASSWORD)
    try:
        dialog = SettingsDialog(AppContext.create(ws, data_dir))
        qtbot.addWidget(dialog)
        assert dialog.raise_mode.isEnabled()
        dialog.raise_mode.setCurrentIndex(1)
        dialog.save()
        assert ws.settings.get(GRADE_RAISE_MODE.key) == "cumulative"
    finally:
        ws.close()


def test_change_notices_reach_the_gui_thread_once_and_stop_with_their_owner(
        qtbot: QtBot, ctx: AppContext) -> None:
    owner = QWidget()
    notices = ChangeNotices(ctx.workspace, owner)
    heard: list[tuple[Changed, bool]] = []
    gui = threading.get_ident()
    notices.changed.connect(lambda c: heard.append((c, threading.get_ident() == gui)))
    worker = threading.Thread(target=lambda: ctx.workspace.settings.set("ui.zoom", 3))
    worker.start()
    worker.join()
    qtbot.waitUntil(lambda: len(heard) == 1)
    assert heard[0][0].ids("setting") == {"ui.zoom"}
    assert heard[0][1]  # delivered on the GUI thread
    owner.deleteLater()
    qtbot.waitUntil(lambda: not shiboken6.isValid(notices))
    ctx.workspace.settings.set("ui.zoom", 4)  # nobody listens any more: no error
    assert len(heard) == 1
