"""The 同步 menu, the 同步 toolbar button and the sync status line of the main window.

:func:`install_sync` is the one call the main window makes; everything else about sync lives
in :class:`~app.sync.controller.SyncController` and :mod:`app.sync.dialogs`.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import QMainWindow, QMessageBox, QToolBar

from app.common.file_dialogs import open_file, save_file
from app.sync.conflicts_dialog import ConflictsDialog
from app.sync.conflicts_model import open_review_count
from app.sync.controller import SyncController, sync_error_message
from app.sync.dialogs import EnrolDialog
from assessment.records.api import StoreError
from assessment.records.workspace import Workspace
from assessment.usecases.sync_now import SyncOutcome

STATUS_REFRESH_MS = 20_000
NOT_ENROLLED = "本机尚未登记到县级服务器：请先点“同步 → 登记本机…”"
REVOKED = "本机的登记已被县级撤销，不能再同步或导出"


def _explain(action: QAction, why: str, purpose: str) -> None:
    """Enable an action, or disable it and say why in its tooltip and status tip."""
    action.setEnabled(not why)
    tip = f"不可用：{why}" if why else purpose
    action.setToolTip(tip)
    action.setStatusTip(tip)


class SyncMenu(QObject):
    """The 同步 menu's actions over one :class:`SyncController`."""

    elder_opened = Signal(str)
    """A conflict's elder is to be shown (its id)."""

    def __init__(self, window: QMainWindow, controller: SyncController) -> None:
        super().__init__(window)
        self.window = window
        self.controller = controller
        self.enrol_dialog: EnrolDialog | None = None
        self.conflicts_dialog: ConflictsDialog | None = None
        self.toolbar_action: QAction | None = None
        menu = window.menuBar().addMenu("同步(&S)")
        menu.setObjectName("syncMenu")
        self.menu = menu
        self.sync_action = self._add("立即同步", self.sync_now, "F5")
        menu.addSeparator()
        self.enrol_action = self._add("登记本机…", self.open_enrolment)
        self.export_action = self._add("导出离线数据包…", self.export_bundle)
        self.receipt_action = self._add("导入回执…", self.import_receipt)
        self.grants_action = self._add("导入角色授权…", self.import_grants)
        menu.addSeparator()
        self.conflicts_action = self._add("同步冲突…", self.open_conflicts)
        controller.synced.connect(self._conflicts_synced)
        menu.addSeparator()
        self.auto_action = QAction("自动同步（每 5 分钟，联网时）", self)
        self.auto_action.setCheckable(True)
        self.auto_action.setChecked(controller.auto_enabled())
        self.auto_action.toggled.connect(controller.set_auto_enabled)
        menu.addAction(self.auto_action)
        menu.setToolTipsVisible(True)
        menu.aboutToShow.connect(self._menu_opening)
        # F5 while 立即同步 is disabled: say why in the status bar instead of nothing.
        self.blocked_sync_key = QShortcut(QKeySequence("F5"), window)
        self.blocked_sync_key.activated.connect(self._say_why_not)
        controller.status_changed.connect(lambda _text: self.update_actions())
        controller.failed.connect(lambda _text: self.update_actions())
        self.update_actions()  # the controller has just read its status: no second read
        self.refresh_conflicts()

    def _add(self, text: str, slot: object, shortcut: str = "") -> QAction:
        action = QAction(text, self)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        self.menu.addAction(action)
        return action

    def sync_blocked_reason(self) -> str:
        """Why 立即同步 cannot run now (empty when it can)."""
        if self.controller.revoked() is not None:
            return REVOKED
        if not self.controller.enrolled():
            return NOT_ENROLLED
        if self.controller.running():
            return "正在同步，请稍候"
        return ""

    def _menu_opening(self) -> None:
        self.update_actions()
        self.controller.refresh_status()  # emits status_changed: actions follow
        self.refresh_conflicts()

    def update_actions(self) -> None:
        """Enable what can run now; what cannot says why (tooltip and status tip)."""
        try:
            enrolled = self.controller.enrolled()
            revoked = self.controller.revoked() is not None
            why = self.sync_blocked_reason()
        except StoreError:  # the store closed while signing out or locking: nothing to show
            return
        sync_targets = [self.sync_action]
        if self.toolbar_action is not None:
            sync_targets.append(self.toolbar_action)
        for action in sync_targets:
            _explain(action, why, "立即与县级服务器同步（F5）")
        self.blocked_sync_key.setEnabled(bool(why))
        _explain(self.export_action, REVOKED if revoked else "" if enrolled else NOT_ENROLLED,
                 "把待上传的变更导出到文件（U 盘），交县级导入")
        _explain(self.receipt_action, "" if enrolled else NOT_ENROLLED,
                 "导入县级导入数据包后给出的回执文件")
        _explain(self.grants_action, "" if enrolled else NOT_ENROLLED,
                 "导入县级签发的角色授权文件（回执中也带有授权）")
        _explain(self.enrol_action, REVOKED if revoked else "", "向县级服务器登记本机")

    def _say_why_not(self) -> None:
        why = self.sync_blocked_reason()
        if why:
            self._message(f"无法同步：{why}")

    def _conflicts_synced(self, _outcome: object) -> None:
        self.refresh_conflicts()
        if self.conflicts_dialog is not None and self.conflicts_dialog.isVisible():
            self.conflicts_dialog.refresh()

    def refresh_conflicts(self) -> None:
        """同步冲突（N）…: N conflicts wait for the county's review (after each sync)."""
        try:
            conflicts = self.controller.workspace.outbox.conflicts()
        except StoreError:  # a closed store while signing out: keep the last text
            return
        count = open_review_count(conflicts)
        self.conflicts_action.setText(f"同步冲突（{count}）…" if count else "同步冲突…")
        self.conflicts_action.setToolTip(
            f"待县级审核 {count} 项，已自动处理 {len(conflicts) - count} 项")

    def _message(self, text: str) -> None:
        self.window.statusBar().showMessage(text, 8000)

    def _error(self, title: str, error: object) -> None:
        QMessageBox.warning(self.window, title, sync_error_message(error))

    # ---- actions ------------------------------------------------------------------------

    def sync_now(self) -> None:
        """立即同步 with a progress dialog (or say why it cannot start)."""
        if not self.controller.enrolled() and self.controller.revoked() is None:
            QMessageBox.information(self.window, "尚未登记",
                                    "本机尚未登记到县级服务器，请先在“同步 → 登记本机…”中登记。")
            return
        self.controller.start_sync(interactive=True)

    def open_enrolment(self) -> EnrolDialog:
        """The 登记本机 dialog (non-blocking)."""
        dialog = EnrolDialog(self.controller, self.window)
        dialog.finished.connect(lambda _result: self._menu_opening())
        self.enrol_dialog = dialog
        dialog.open()
        return dialog

    def open_conflicts(self) -> ConflictsDialog:
        """The 同步冲突 dialog (non-modal); a row opens its elder in the main window."""
        dialog = self.conflicts_dialog
        if dialog is None:
            dialog = ConflictsDialog(self.controller.workspace, self.window)
            dialog.elder_opened.connect(self.elder_opened)
            self.conflicts_dialog = dialog
        else:
            dialog.refresh()
        if dialog.isVisible():  # already open behind the main window: bring it forward
            dialog.raise_()
            dialog.activateWindow()
        dialog.show()
        return dialog

    def export_bundle(self, path: Path | None = None) -> Path | None:
        """Export every unacknowledged change to a file the user picks (a USB stick)."""
        if path is None:
            device = self.controller.workspace.device_code
            chosen = save_file(self.window, "导出离线数据包", f"银龄数据包-{device}.ylb",
                               "银龄数据包 (*.ylb)")
            if chosen is None:
                return None
            path = chosen
        try:
            manifest = self.controller.export_bundle(path)
        except Exception as exc:  # refused, revoked, unwritable: one sentence
            self._error("无法导出离线数据包", exc)
            return None
        if manifest is None:
            QMessageBox.information(self.window, "无需导出", "没有待上传的变更。")
            return None
        self._message(f"已导出 {manifest.count} 条变更（序号 {manifest.seq_from}–"
                      f"{manifest.seq_to}）到 {path}。请交县级导入，并带回回执文件。")
        return path

    def import_receipt(self, path: Path | None = None) -> bool:
        """Import the county's receipt file: the changes it confirms become acknowledged."""
        if path is None:
            chosen = open_file(self.window, "导入回执", "银龄回执 (*.json);;所有文件 (*)")
            if chosen is None:
                return False
            path = chosen
        try:
            receipt = self.controller.import_receipt(path)
        except Exception as exc:  # refused file: one sentence
            self._error("无法导入回执", exc)
            return False
        self._message(f"县级已确认至序号 {receipt.acked_seq}（新增 {receipt.applied} 条，"
                      f"重复 {receipt.duplicates} 条）。")
        return True


    def import_grants(self, path: Path | None = None) -> bool:
        """Import a role-grants file the county wrote for this laptop (verified here)."""
        if path is None:
            chosen = open_file(self.window, "导入角色授权", "银龄角色授权 (*.json);;所有文件 (*)")
            if chosen is None:
                return False
            path = chosen
        try:
            kept = self.controller.import_grants(path)
        except Exception as exc:  # refused file: one sentence
            self._error("无法导入角色授权", exc)
            return False
        self._message(f"已导入 {kept} 份县级角色授权，重新登录后生效。")
        return True


def install_sync(window: QMainWindow, workspace: Workspace, toolbar: QToolBar | None = None
                 ) -> SyncMenu:
    """Add the 同步 menu, the 同步 button on ``toolbar`` and the status line to ``window``.

    The window connects what it shows to the controller's signals (``pulled``, ``synced``) and
    the menu's ``elder_opened``; nothing here reaches into the window.
    """
    controller = SyncController(workspace, window)
    menu = SyncMenu(window, controller)
    window.statusBar().addPermanentWidget(controller.label)
    if toolbar is not None:
        toolbar.addSeparator()
        button = QAction("同步", window)
        button.triggered.connect(menu.sync_now)
        toolbar.addAction(button)
        menu.toolbar_action = button
        menu.update_actions()
    controller.synced.connect(lambda outcome: _synced(window, outcome))
    controller.failed.connect(lambda text: window.statusBar().showMessage(text, 8000))
    # Pending counts change with every autosave; re-read them now and then (cheap).
    ticker = QTimer(controller)
    ticker.setInterval(STATUS_REFRESH_MS)
    ticker.timeout.connect(controller.refresh_status)
    ticker.start()
    controller.setObjectName("syncController")
    controller.menu = menu
    return menu


def _synced(window: QMainWindow, outcome: object) -> None:
    if isinstance(outcome, SyncOutcome):
        window.statusBar().showMessage(outcome.summary(), 8000)
