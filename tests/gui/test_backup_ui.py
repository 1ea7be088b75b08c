"""备份与恢复 in the app: back up in the background while the window stays usable, the daily
copy at sign-in, the reminder in the status bar, and a restore that is checked and shown in
the dialog before the app signs out, replaces the store and asks to sign in again."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from PySide6.QtWidgets import QApplication, QDialog
from pytestqt.qtbot import QtBot

from app.backup.restore_dialog import RestoreDialog
from app.common.context import AppContext
from app.shell.main import AppController
from app.shell.main_window import MainWindow
from app.shell.store import demo_hint, opener_for
from assessment.records.api import ElderProfile, RegisterFilter
from assessment.records.backup import auto_backup_path
from assessment.records.workspace import Workspace
from tests.gui.conftest import PASSWORD, USERNAME
from tests.gui.test_session import sign_in


def test_backup_in_the_background_and_the_reminder(qtbot: QtBot, ctx: AppContext,
                                                   tmp_path: Path) -> None:
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.resize(1280, 720)
    window.show()
    menu = window.backup_menu
    assert menu is not None
    menu.refresh_reminder(datetime.now(UTC) + timedelta(days=5))
    assert menu.reminder.isVisible()  # the demo's unsynced work would be old by then
    assert "既未同步" in menu.reminder.text()
    task = menu.backup(tmp_path / "usb")
    assert task is not None
    with qtbot.waitSignal(menu.backed_up, timeout=60_000) as written:
        pass
    path = Path(str(written.args[0]))
    assert path.is_file()
    assert path.suffix == ".ylbak"
    menu.refresh_reminder(datetime.now(UTC) + timedelta(days=5))
    assert not menu.reminder.isVisible()  # everything is in the backup now


def test_restore_is_checked_shown_then_applied(qtbot: QtBot, data_dir: Path,
                                               tmp_path: Path) -> None:
    with Workspace.open(data_dir, USERNAME, PASSWORD) as ws:
        backup = ws.backup_to(tmp_path / "usb" / "b.ylbak")
        count = ws.elders.count(RegisterFilter())
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    controller = AppController(app, data_dir, opener_for(data_dir), demo_hint(data_dir))
    controller.start()
    qtbot.addWidget(controller.signin)
    sign_in(qtbot, controller.signin, USERNAME, PASSWORD)
    window = controller.window
    assert window is not None
    menu = window.backup_menu
    assert menu is not None
    assert menu.daily_task is not None  # the daily copy started at sign-in
    qtbot.waitUntil(lambda: auto_backup_path(data_dir, date.today()).exists(), timeout=60_000)
    qtbot.waitUntil(lambda: not menu.daily_task.running, timeout=60_000)  # type: ignore[union-attr]
    assert controller.ctx is not None
    controller.ctx.workspace.elders.create(ElderProfile(  # recorded after the backup
        elder_id="", name="备份后新增", id_number=None, sex="女", birth_date=None,
        township=None, village="东关村", address=None, phone=None))
    seen: list[str] = []

    def wrong_then_right(dialog: QDialog) -> bool:
        assert isinstance(dialog, RestoreDialog)
        assert not dialog.restore_button.isEnabled()
        dialog.password_edit.setText("wrong")
        dialog.check()
        seen.append(dialog.findings.text())
        assert not dialog.restore_button.isEnabled()
        dialog.password_edit.setText(PASSWORD)
        dialog.check()
        seen.append(dialog.findings.text())
        assert dialog.restore_button.isEnabled()
        return True

    menu.run_dialog = wrong_then_right
    assert menu.restore(backup)
    assert "密码不对" in seen[0]
    assert f"老人：{count} 位" in seen[1]
    assert controller.window is None  # signed out, store replaced
    assert controller.signin.isVisible()
    assert "已从备份恢复" in controller.signin.message.text()
    with Workspace.open(data_dir, USERNAME, PASSWORD) as restored:
        assert restored.elders.count(RegisterFilter()) == count
    assert list(data_dir.glob("replaced-*"))
