"""Entry point of the desktop client (``python -m app``, ``yinling-gui``).

On first run the demo workspace is created in the data folder (``YINLING_DATA_DIR`` overrides
the folder) and the sign-in window names the demo account. ``--smoke-test`` starts far enough
to show the sign-in window, prints ``signin-window-shown`` and exits 0 (used by the packaging
test on the built binary).

The sign-in window must appear quickly, so this module imports only what it needs: the main
window (and through it the store, SQLAlchemy, pandas, httpx, reportlab) is imported while the
user types (:func:`warm_up`: the non-Qt modules on a background thread, then the windows' own
modules on the GUI thread) or, at the latest, when the sign-in succeeds. A test checks that
importing this module loads none of the heavy libraries.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox

from app.common.background import BackgroundTask, CancelToken, ProgressDialog, ProgressFn
from app.common.gui_gc import GuiThreadCollector
from app.shell.idle_lock import IdleWatcher
from app.shell.sign_in import Opener, SignInWindow
from app.shell.store import data_dir_from, demo_hint, ensure_demo, opener_for, preload
from app.shell.style import STYLE_SHEET
from app.shell.translations import install_translations
from assessment import __version__
from assessment.errors import InputRejected
from assessment.records.api import StoreError
from assessment.records.datadir import workspace_exists

if TYPE_CHECKING:
    from app.common.context import AppContext
    from app.shell.main_window import MainWindow, NavigationState
    from assessment.records.workspace import Workspace

SMOKE_LINE = "signin-window-shown"
IDLE_LOCK = "因长时间未操作已锁定"
MANUAL_LOCK = "已手动锁定"
FONT_FAMILIES = ["Microsoft YaHei UI", "Microsoft YaHei", "PingFang SC", "Noto Sans CJK SC",
                 "Source Han Sans SC", "WenQuanYi Zen Hei", "Sans Serif"]


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(prog="yinling-gui", description="银龄评估桌面客户端")
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="数据文件夹（默认为环境变量 YINLING_DATA_DIR 或用户数据目录）")
    parser.add_argument("--smoke-test", action="store_true",
                        help="显示登录窗口后打印 signin-window-shown 并退出")
    parser.add_argument("--version", action="version", version=f"银龄评估 {__version__}")
    return parser.parse_args(argv)


def configure(app: QApplication) -> None:
    """Fonts that show Chinese on Windows and Linux, the style sheet, Qt's texts in Chinese;
    Python's garbage collector on the GUI thread only."""
    app.setApplicationName("银龄评估")
    app.setApplicationVersion(__version__)
    font = QFont()
    font.setFamilies(FONT_FAMILIES)
    font.setPointSize(10)
    app.setFont(font)
    app.setStyleSheet(STYLE_SHEET)
    install_translations(app)
    GuiThreadCollector(app)  # cycles collected on the GUI thread only (app.common.gui_gc)


class AppController(QObject):
    """Sign-in ↔ main window ↔ lock screen; owns the open workspace while unlocked."""

    def __init__(self, app: QApplication, data_dir: Path, opener: Opener, hint: str = "") -> None:
        super().__init__()
        self.app = app
        self.data_dir = data_dir
        self.hint = hint
        self.signin = SignInWindow(opener, hint=hint)
        self.signin.signed_in.connect(self._on_signed_in)
        self.signin.switch_user_requested.connect(self._switch_user)
        self.window: MainWindow | None = None
        self.ctx: AppContext | None = None
        self.watcher: IdleWatcher | None = None
        self._resume: NavigationState | None = None
        app.aboutToQuit.connect(self.shutdown)

    def start(self) -> None:
        """Show the sign-in window."""
        self.signin.show()
        self.signin.username.setFocus()

    def _on_signed_in(self, workspace: Workspace) -> None:
        from app.common.context import AppContext
        from app.shell.main_window import MainWindow

        ctx = AppContext.create(workspace, self.data_dir)
        self.ctx = ctx
        window = MainWindow(ctx)
        window.lock_requested.connect(lambda: self.lock(MANUAL_LOCK))
        window.sign_out_requested.connect(self.sign_out)
        window.restore_requested.connect(self.restore_backup)
        window.settings_changed.connect(self._apply_settings)
        self.window = window
        self.signin.hide()
        window.show()
        self.watcher = IdleWatcher(self.app, ctx.idle_minutes(), self)
        self.watcher.idle.connect(self.lock)
        if self._resume is not None:
            window.restore(self._resume)
            self._resume = None
        else:
            window.offer_drafts()
        window.backup_menu.start_daily()

    def set_hint(self, hint: str) -> None:
        """Name the demo account on the sign-in window (empty: no hint)."""
        self.hint = hint
        if not self.signin.locked:
            self.signin.hint.setText(hint)
            self.signin.hint.setVisible(bool(hint))

    def _apply_settings(self) -> None:
        if self.watcher is not None and self.ctx is not None:
            self.watcher.set_minutes(self.ctx.idle_minutes())

    def _close_session(self) -> str:
        """Close the window and the store; return the username that was signed in."""
        username = ""
        if self.watcher is not None:
            self.watcher.stop()
            self.watcher.deleteLater()
            self.watcher = None
        if self.window is not None:
            self.window.save_geometry()
            self.window.hide()
            self.window.deleteLater()
            self.window = None
        if self.ctx is not None:
            username = self.ctx.workspace.current_user.username
            self.ctx.workspace.close()
            self.ctx = None
        return username

    def lock(self, reason: str = IDLE_LOCK) -> None:
        """Lock: remember where the user was (ids only), close the store, ask again.

        ``reason`` says why on the lock screen (idle time by default; 锁定 by hand says so).
        """
        if self.window is None:
            return
        self._resume = self.window.navigation_state()
        username = self._close_session()
        self.signin.lock(username, reason)
        self.signin.show()

    def sign_out(self) -> None:
        """退出登录: close the store and show the plain sign-in."""
        self._resume = None
        self._close_session()
        self.signin.unlock_mode_off(self.hint)
        self.signin.show()

    def restore_backup(self, path: Path, password: str) -> bool:
        """从备份恢复 (checked and confirmed in the dialog): close the store, replace it with
        the backup (the current files kept aside) and ask to sign in again."""
        from assessment.usecases.backup import restore

        self._resume = None
        username = self._close_session()
        try:
            summary, aside = restore(path, self.data_dir, username, password)
        except (InputRejected, StoreError, OSError) as exc:
            text = "；".join(p.message for p in exc.problems) \
                if isinstance(exc, InputRejected) else str(exc)
            message = f"未能恢复，本机数据未改动：{text}"
            ok = False
        else:
            kept = f"原数据保留在 {aside.name}。" if aside is not None else ""
            message = (f"已从备份恢复（{summary.created_at.astimezone():%Y-%m-%d %H:%M}，"
                       f"老人 {summary.elders} 位、评估 {summary.assessments} 份）。{kept}"
                       "请重新登录，然后同步。")
            ok = True
        self.signin.unlock_mode_off(self.hint)
        self.signin.message.setText(message)
        self.signin.message.setVisible(True)
        self.signin.show()
        return ok

    def _switch_user(self) -> None:
        self._resume = None
        self.signin.unlock_mode_off(self.hint)

    def shutdown(self) -> None:
        """On quit: close the store (drafts are already saved)."""
        self._close_session()

    def dispose(self) -> None:
        """After the event loop: delete the windows now, not during interpreter exit."""
        self.shutdown()
        self.signin.deleteLater()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def prepare_data(data_dir: Path, *, interactive: bool) -> None:
    """Create the demo township when the folder has no workspace yet (first run).

    Interactively the generation runs in the background behind a progress bar.
    """
    if not interactive or workspace_exists(data_dir):
        ensure_demo(data_dir)
        return

    def job(progress: ProgressFn, token: CancelToken) -> bool:
        progress(0, 0, "首次运行：正在创建演示乡镇的数据……")

        def step(done: int, total: int) -> None:
            progress(done, total, f"首次运行：正在创建演示数据（{done}/{total}）……")

        return ensure_demo(data_dir, step)

    task = BackgroundTask(job)
    failure: list[object] = []
    task.failed.connect(failure.append)
    dialog = ProgressDialog(task, "正在准备数据")
    task.start()
    dialog.exec()
    if failure:
        QMessageBox.critical(None, "无法准备数据",
                             f"无法在 {data_dir} 创建演示数据：{failure[0]}")


def warm_up(controller: AppController) -> BackgroundTask:
    """While the sign-in window shows: load the core modules behind the main window on a
    background thread and name the demo account; then import the windows' own (Qt) modules on
    the GUI thread, so that signing in finds everything loaded."""
    def job(progress: ProgressFn, token: CancelToken) -> str:
        preload()
        return demo_hint(controller.data_dir)

    def loaded(hint: object) -> None:
        controller.set_hint(str(hint))
        QTimer.singleShot(0, import_windows)

    task = BackgroundTask(job, controller)
    task.succeeded.connect(loaded)
    task.start()
    return task


def import_windows() -> None:
    """Import the main window's modules (on the GUI thread: they define Qt classes), then let
    PySide6 do its one-time type set-up for Qt's private objects now rather than after Enter.

    The idle watcher's application-wide event filter hands every object an event is sent to
    to Python; the first private one (a rich-text label's text control, in the main window's
    notices) makes PySide6 initialise its lazily created types, which took about 150 ms
    between Enter and the roster.
    """
    importlib.import_module("app.shell.main_window")
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        return
    probe = QObject()
    watcher = IdleWatcher(app, 1, probe)  # a real one: the same filter, the same types
    label = QLabel()
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.RichText)
    label.setText('<a href="#">…</a>')
    watcher.stop()
    label.deleteLater()
    probe.deleteLater()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the desktop client; return the exit code."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    configure(app)
    data_dir = data_dir_from(args.data_dir)
    prepare_data(data_dir, interactive=not args.smoke_test)
    controller = AppController(app, data_dir, opener_for(data_dir))
    controller.start()
    if args.smoke_test:
        controller.set_hint(demo_hint(data_dir))
    else:
        warm_up(controller)
    if args.smoke_test:
        def report() -> None:
            if controller.signin.isVisible():
                if sys.stdout is not None:  # a windowed build on Windows has none
                    print(SMOKE_LINE, flush=True)
                app.exit(0)
            else:
                app.exit(1)

        QTimer.singleShot(0, report)
    code = app.exec()
    controller.dispose()
    return code
