"""The main window: roster → elder → assessment entry, with a toolbar and a status bar.

The pages are made on first use so that the window appears quickly on a large roster.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QLabel,
    QMainWindow,
    QStackedWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from app.backup.menu import BackupMenu
from app.common.changes import ChangeNotices
from app.common.context import AppContext
from app.common.file_dialogs import remember_in
from app.common.geometry import WindowState, fit_window, keep_inside
from app.documents.menu import install_documents
from app.elder.menu import ElderMenu
from app.elder.page import ElderPage
from app.entry.entry_page import EntryPage
from app.lists.menu import ListsMenu
from app.register.view import RegisterPage
from app.shell.drafts_dialog import DraftsDialog
from app.shell.help_menu import HelpMenu
from app.shell.settings_dialog import SettingsDialog
from app.sync.device_dialog import DeviceDetailsDialog
from app.sync.menu import install_sync
from app.visits.menu import VisitsMenu
from assessment.privatefiles import loose_warning
from assessment.records.api import AssessmentRecord, Changed, RecordNotFound

NOTICE_OPEN = "#drafts"
NOTICE_CLOSE = "#close"
PREFERRED_SIZE = QSize(1360, 860)
"""The size on a large screen; smaller screens get their available area."""
GEOMETRY_NAME = "main"


@dataclass(frozen=True, slots=True)
class NavigationState:
    """Where the user was (ids only, no personal data): restored after unlocking."""

    elder_id: str | None = None
    assessment_id: str | None = None


class MainWindow(QMainWindow):
    """The signed-in window."""

    lock_requested = Signal()
    sign_out_requested = Signal()
    restore_requested = Signal(object, str)  # a checked backup file and the password
    settings_changed = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        user = ctx.workspace.current_user
        self.setWindowTitle(f"银龄评估 — {user.display_name}")
        self.window_state = WindowState(ctx.data_dir)
        remember_in(self.window_state.path)  # file dialogs: the last used folder
        self._fit_on_show = not self.window_state.restore(GEOMETRY_NAME, self, PREFERRED_SIZE)
        self.stack = QStackedWidget()
        self.drafts_notice = QLabel()
        self.drafts_notice.setObjectName("draftsNotice")
        self.drafts_notice.setWordWrap(True)
        self.drafts_notice.setTextFormat(Qt.TextFormat.RichText)
        self.drafts_notice.linkActivated.connect(self._notice_link)
        self.drafts_notice.hide()
        self.files_notice = self._files_notice(ctx)
        central = QWidget()
        central_layout = QVBoxLayout(central)
        central_layout.setContentsMargins(0, 0, 0, 0)
        central_layout.setSpacing(0)
        central_layout.addWidget(self.files_notice)
        central_layout.addWidget(self.drafts_notice)
        central_layout.addWidget(self.stack, 1)
        self.setCentralWidget(central)
        self.register = RegisterPage(ctx)
        self.register.elder_opened.connect(self.open_elder)
        self.register.count_changed.connect(self._show_count)
        self.stack.addWidget(self.register)
        self._elder_page: ElderPage | None = None
        self._entry_page: EntryPage | None = None
        self._build_toolbar()
        self.user_label = QLabel(f"评估员：{user.display_name}（{user.username}）")
        self.count_label = QLabel()
        self.save_label = QLabel()
        status = self.statusBar()
        status.addWidget(self.user_label)
        status.addWidget(self.count_label)
        status.addPermanentWidget(self.save_label)
        self.device_label = QLabel(f'<a href="#device">设备 {ctx.workspace.device_code}</a>')
        self.device_label.setObjectName("deviceLabel")
        self.device_label.setToolTip("本机设备代码（评估报告编号的前缀）；点击查看设备详情")
        self.device_label.linkActivated.connect(self.show_device_details)
        status.addPermanentWidget(self.device_label)
        self._show_count(self.register.model.rowCount(), self.register.total)
        self.drafts_dialog: DraftsDialog | None = None
        self.documents = install_documents(self, ctx.workspace,
                                           lambda: self.register.model.register_filter)
        # One broadcast of what changed, whoever wrote it (this window, a sync, an import).
        self.notices = ChangeNotices(ctx.workspace, self)
        self.notices.changed.connect(self._on_changed)
        self.sync_menu = install_sync(self, ctx.workspace, self.toolbar)
        self.sync = self.sync_menu.controller
        self.sign_out_requested.connect(self.sync_menu.controller.stop)
        self.sync_menu.elder_opened.connect(self.open_elder)
        self.elder_menu = ElderMenu(self, self.menuBar(), ctx.workspace)
        self.elder_menu.elder_created.connect(self._elder_created)
        self.backup_menu = BackupMenu(self, ctx.workspace)
        self.backup_menu.restore_requested.connect(self.restore_requested)
        self.lists_menu = ListsMenu(self, self.menuBar(), ctx.workspace, ctx.data_dir)
        self.lists_menu.lists_changed.connect(self._lists_changed)
        self.visits_menu = VisitsMenu(self, self.menuBar(), ctx.workspace)
        self.visits_menu.changed.connect(self._on_visits_changed)
        self.help_menu = HelpMenu(self, self.menuBar(), ctx.form, ctx.data_dir)

    def _build_toolbar(self) -> None:
        bar = QToolBar("主工具栏")
        bar.setObjectName("mainToolbar")
        bar.setMovable(False)
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.addToolBar(bar)
        self.toolbar = bar
        actions = (
            ("花名册", "Ctrl+1", self.show_register),
            ("查找", "Ctrl+F", self._find),
            ("设置", "Ctrl+,", self.open_settings),
            ("锁定", "Ctrl+L", self.lock_requested.emit),
            ("退出登录", "", self.sign_out_requested.emit),
        )
        for text, shortcut, slot in actions:
            action = QAction(text, self)
            if shortcut:
                action.setShortcut(QKeySequence(shortcut))
            action.triggered.connect(slot)
            bar.addAction(action)

    # ---- pages --------------------------------------------------------------------------

    @property
    def elder_page(self) -> ElderPage:
        """The elder page (made on first use)."""
        if self._elder_page is None:
            page = ElderPage(self.ctx)
            page.back_requested.connect(self.show_register)
            page.assessment_opened.connect(self.open_assessment)
            self.stack.addWidget(page)
            self._elder_page = page
        return self._elder_page

    @property
    def entry_page(self) -> EntryPage:
        """The assessment entry page (made on first use: it holds the whole form)."""
        if self._entry_page is None:
            page = EntryPage(self.ctx)
            page.back_requested.connect(self._back_to_elder)
            page.finalized.connect(self._on_finalized)
            page.autosaved.connect(
                lambda _id: self.save_label.setText(page.panel.saved.text()))
            self.stack.addWidget(page)
            self._entry_page = page
        return self._entry_page

    def show_register(self) -> None:
        """Back to the roster."""
        self.stack.setCurrentWidget(self.register)
        self.register.search.setFocus()

    def _find(self) -> None:
        self.show_register()
        self.register.focus_search()

    def open_elder(self, elder_id: str) -> None:
        """Show one elder."""
        page = self.elder_page
        page.open(elder_id)
        self.stack.setCurrentWidget(page)

    def open_assessment(self, record: AssessmentRecord) -> None:
        """Show an assessment in the entry page."""
        page = self.entry_page
        elder = self._elder_page.profile if self._elder_page is not None else None
        if elder is not None and elder.elder_id != record.elder_id:
            elder = None
        page.open(record, elder)
        self.stack.setCurrentWidget(page)

    def open_assessment_id(self, assessment_id: str) -> None:
        """Open an assessment by id (a resumed draft), with its elder page behind it."""
        record = self.ctx.workspace.assessments.get(assessment_id)
        self.open_elder(record.elder_id)
        self.open_assessment(record)

    def _back_to_elder(self) -> None:
        record = self.entry_page.record
        if record is not None:
            self.open_elder(record.elder_id)
        else:
            self.show_register()

    def _on_changed(self, changed: Changed) -> None:
        """Refresh the roster when elders, their status or the settings changed."""
        if changed.touches("elder", "elder_status", "setting"):
            self.register.refresh()

    def _on_visits_changed(self) -> None:
        """A visit recorded or a referral closed: the elder page shows them (and a proposal)."""
        if self._elder_page is not None:
            self._elder_page.reload_visits()

    def _on_finalized(self, _assessment_id: str) -> None:
        if self._elder_page is not None:  # the new grade re-matches the eligibility panel now
            self._elder_page.reload_history()
        self.statusBar().showMessage("评估已完成并保存。", 5000)

    def _elder_created(self, elder_id: str, name: str) -> None:
        self.open_elder(elder_id)
        self.statusBar().showMessage(f"已建档：{name}", 5000)

    def _lists_changed(self) -> None:
        if self._elder_page is not None:  # made on first use: maybe not yet
            self._elder_page.reload_lists()

    def _show_count(self, shown: int, total: int) -> None:
        self.count_label.setText(f"共 {total} 位老人，当前显示 {shown} 位")

    # ---- state --------------------------------------------------------------------------

    def navigation_state(self) -> NavigationState:
        """Where the user is now."""
        current = self.stack.currentWidget()
        if current is self._entry_page and self._entry_page is not None \
                and self._entry_page.record is not None:
            record = self._entry_page.record
            return NavigationState(record.elder_id, record.assessment_id)
        if current is self._elder_page and self._elder_page is not None \
                and self._elder_page.profile is not None:
            return NavigationState(self._elder_page.profile.elder_id)
        return NavigationState()

    def restore(self, state: NavigationState) -> None:
        """Go back to where the user was (ignoring records that are gone)."""
        try:
            if state.assessment_id:
                self.open_assessment_id(state.assessment_id)
            elif state.elder_id:
                self.open_elder(state.elder_id)
        except RecordNotFound:
            self.show_register()

    def show_device_details(self, _link: str = "") -> None:
        """设备详情 (the full device id lives only there)."""
        DeviceDetailsDialog(self.ctx.workspace, self).exec()

    def open_settings(self) -> None:
        """The settings dialog."""
        dialog = SettingsDialog(self.ctx, self)
        if dialog.exec():
            self.settings_changed.emit()

    @staticmethod
    def _files_notice(ctx: AppContext) -> QLabel:
        """A non-modal banner when sign-in found data files that other users of this computer
        could read (issue 12, item 6); hidden otherwise. 知道了 hides it for this session."""
        notice = QLabel()
        notice.setObjectName("filesNotice")
        notice.setWordWrap(True)
        notice.setTextFormat(Qt.TextFormat.RichText)
        loose = ctx.workspace.loose_paths
        if loose:
            notice.setText(f"{html.escape(loose_warning(loose))}"
                           f"　<a href=\"{NOTICE_CLOSE}\">知道了</a>")
        notice.linkActivated.connect(lambda _link: notice.hide())
        notice.setVisible(bool(loose))
        return notice

    def offer_drafts(self) -> None:
        """If drafts are open (e.g. after a crash), say so in a notice with a link to them."""
        count = self.ctx.workspace.assessments.draft_count()
        if not count:
            self.drafts_notice.hide()
            return
        self.drafts_notice.setText(
            f"有 {count} 份未完成的评估草稿（已自动保存）。"
            f"<a href=\"{NOTICE_OPEN}\">查看并继续…</a>　<a href=\"{NOTICE_CLOSE}\">知道了</a>")
        self.drafts_notice.show()

    def _notice_link(self, link: str) -> None:
        if link == NOTICE_OPEN:
            self.open_drafts()
        else:
            self.drafts_notice.hide()

    def open_drafts(self) -> DraftsDialog | None:
        """The open drafts (non-modal); choosing one continues it."""
        drafts = list(self.ctx.workspace.assessments.drafts())
        if not drafts:
            self.drafts_notice.hide()
            return None
        names = {}
        for record in drafts:
            try:
                names[record.elder_id] = self.ctx.workspace.elders.get(record.elder_id).name
            except RecordNotFound:
                names[record.elder_id] = ""
        dialog = DraftsDialog(drafts, names, self)
        dialog.resume.connect(self.open_assessment_id)
        dialog.resume.connect(lambda _id: self.drafts_notice.hide())
        self.drafts_dialog = dialog
        dialog.show()
        return dialog

    def save_geometry(self) -> None:
        """Remember size and place (restored after unlocking and at the next sign-in)."""
        self.window_state.save(GEOMETRY_NAME, self)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt override
        """Once the frame is known, make sure the whole window is on the screen."""
        super().showEvent(event)
        QTimer.singleShot(0, self, self._keep_inside)

    def _keep_inside(self) -> None:
        if not self.isVisible() or self.isMaximized() or self.isFullScreen():
            return
        if self._fit_on_show:  # first start: now that the real frame is known, use the screen
            self._fit_on_show = False
            fit_window(self, PREFERRED_SIZE)
        else:
            keep_inside(self)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        """Everything is autosaved; closing remembers the geometry and closes."""
        self.save_geometry()
        event.accept()
