"""The 备份 menu of the main window: back up to a folder or USB stick (in the background, the
app stays usable), restore from a backup (checked and shown first; the app then signs out, the
controller replaces the store and asks to sign in again), the daily local copy at sign-in and
the reminder in the status bar. The work is :mod:`assessment.usecases.backup`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDialog, QLabel, QMainWindow, QMessageBox

from app.backup.restore_dialog import RestoreDialog
from app.common.background import BackgroundTask, ProgressDialog
from app.common.file_dialogs import choose_folder, open_file
from assessment.records.workspace import Workspace
from assessment.usecases.backup import backup_job, backup_reminder, daily_backup


class BackupMenu(QObject):
    """备份(&B): 备份到…, 从备份恢复…; ``restore_requested(path, password)`` after a checked
    restore was confirmed."""

    restore_requested = Signal(object, str)
    backed_up = Signal(object)  # the file written

    def __init__(self, window: QMainWindow, workspace: Workspace) -> None:
        super().__init__(window)
        self.window = window
        self.workspace = workspace
        self.task: BackgroundTask | None = None
        self.daily_task: BackgroundTask | None = None
        self.run_dialog: Callable[[QDialog], bool] = \
            lambda dialog: dialog.exec() == QDialog.DialogCode.Accepted
        menu = window.menuBar().addMenu("备份(&B)")
        self.backup_action = QAction("备份到文件夹或U盘…", self)
        self.backup_action.setToolTip("备份文件与本机数据库同样加密，用原账户密码恢复")
        self.backup_action.triggered.connect(lambda: self.backup())
        self.restore_action = QAction("从备份恢复…", self)
        self.restore_action.triggered.connect(lambda: self.restore())
        menu.addAction(self.backup_action)
        menu.addAction(self.restore_action)
        self.reminder = QLabel()
        self.reminder.setObjectName("backupReminder")
        self.reminder.setWordWrap(False)
        self.reminder.hide()
        window.statusBar().addWidget(self.reminder)
        self.refresh_reminder()

    def refresh_reminder(self, now: datetime | None = None) -> None:
        """Show (or clear) the reminder in the status bar."""
        message = backup_reminder(self.workspace, now)
        self.reminder.setText(f"⚠ {message}" if message else "")
        self.reminder.setToolTip(message or "")
        self.reminder.setVisible(bool(message))

    def backup(self, folder: Path | None = None) -> BackgroundTask | None:
        """备份到…: pick a folder, then back up in the background with a progress dialog."""
        if folder is None:
            folder = choose_folder(self.window, "选择备份保存到的文件夹或U盘")
            if folder is None:
                return None
        task = BackgroundTask(backup_job(self.workspace, folder), self)
        task.succeeded.connect(self._backed_up)
        task.failed.connect(self._failed)
        self.task = task
        dialog = ProgressDialog(task, "正在备份", self.window)
        task.start()
        dialog.open()
        return task

    def _backed_up(self, path: object) -> None:
        self.refresh_reminder()
        self.window.statusBar().showMessage(f"已备份到 {path}", 10000)
        self.backed_up.emit(path)

    def _failed(self, error: object) -> None:
        message = getattr(error, "strerror", None) or str(error)
        QMessageBox.warning(self.window, "备份失败", f"未能写入备份：{message}")

    def start_daily(self) -> BackgroundTask:
        """Today's automatic local copy, in the background (once a day, kept a week)."""
        task = BackgroundTask(lambda progress, token: daily_backup(self.workspace), self)
        task.finished.connect(lambda: self.refresh_reminder())
        self.daily_task = task
        task.start()
        return task

    def restore(self, path: Path | None = None) -> bool:
        """从备份恢复…: pick the file, check it in the dialog, then ask the app to restore."""
        if path is None:
            path = open_file(self.window, "选择备份文件", "银龄备份 (*.ylbak)")
            if path is None:
                return False
        state = self.workspace.outbox.sync_state()
        dialog = RestoreDialog(path, self.workspace.current_user.username,
                               max(0, state.last_seq - state.acked_seq), self.window)
        if not self.run_dialog(dialog) or dialog.summary is None:
            return False
        self.restore_requested.emit(path, dialog.password)
        return True
