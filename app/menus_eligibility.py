"""The 老人 and 服务清单 menus: 新建老人, 乡镇服务名单, 服务清单版本, 安装服务清单.

Installed into the main window by one call (:func:`install_eligibility_menu`) so that the
window itself stays small. 安装服务清单… is enabled only for administrator accounts; after an
install the elder page matches again with the new versions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMessageBox

from app.context import AppContext
from app.elder_page import ElderPage
from app.lists_install import ListsDialog, load_app_lists, may_install
from app.new_elder_dialog import NewElderDialog
from assessment.errors import FormFileError

if TYPE_CHECKING:  # pandas loads when the township view first opens
    from app.mainwindow import MainWindow
    from app.township_rosters import TownshipRostersView


class EligibilityMenu(QObject):
    """The actions and the dialogs they open (kept for tests and to stay alive)."""

    def __init__(self, window: MainWindow, ctx: AppContext) -> None:
        super().__init__(window)
        self.setObjectName("eligibilityMenu")
        self.window = window
        self.ctx = ctx
        self.township_view: TownshipRostersView | None = None
        self.lists_dialog: ListsDialog | None = None
        self.new_elder = QAction("新建老人…", window)
        self.new_elder.setShortcut(QKeySequence("Ctrl+N"))
        self.new_elder.triggered.connect(self.open_new_elder)
        self.rosters = QAction("乡镇服务名单…", window)
        self.rosters.triggered.connect(self.open_township_rosters)
        self.versions = QAction("服务清单版本…", window)
        self.versions.triggered.connect(lambda: self.open_lists(install=False))
        self.install = QAction("安装服务清单…", window)
        self.install.setEnabled(may_install(ctx.workspace.current_user.role))
        if not self.install.isEnabled():
            self.install.setToolTip("只有管理员账户可以安装服务清单")
        self.install.triggered.connect(lambda: self.open_lists(install=True))
        bar = window.menuBar()
        elders = bar.addMenu("老人(&E)")
        elders.addAction(self.new_elder)
        lists = bar.addMenu("服务清单(&L)")
        lists.setToolTipsVisible(True)
        lists.addAction(self.rosters)
        lists.addSeparator()
        lists.addAction(self.versions)
        lists.addAction(self.install)

    def open_new_elder(self) -> NewElderDialog:
        """新建老人; the new elder's page opens after 建档."""
        dialog = NewElderDialog(self.ctx.workspace, self.window)
        dialog.accepted.connect(lambda: self._elder_created(dialog))
        dialog.open()
        return dialog

    def _elder_created(self, dialog: NewElderDialog) -> None:
        if dialog.created is None:
            return
        self.window.roster.refresh()
        self.window.open_elder(dialog.created.elder_id)
        self.window.statusBar().showMessage(f"已建档：{dialog.created.name}", 5000)

    def open_township_rosters(self) -> TownshipRostersView | None:
        """乡镇服务名单, computed at once in the background."""
        from app.township_rosters import TownshipRostersView

        try:
            registry = load_app_lists(self.ctx.data_dir)
        except FormFileError as exc:
            QMessageBox.warning(self.window, "服务清单有误",
                                f"服务清单文件有误：{exc.file}：{exc.key}：{exc.reason}")
            return None
        view = TownshipRostersView(self.ctx.workspace, registry, self.window)
        self.township_view = view
        view.show()
        view.refresh()
        return view

    def open_lists(self, *, install: bool) -> ListsDialog:
        """服务清单版本 (and, for administrators, the file chooser at once)."""
        dialog = ListsDialog(self.ctx.data_dir, self.ctx.workspace.current_user.role,
                             self.window)
        dialog.installed.connect(lambda _version: self._lists_changed())
        self.lists_dialog = dialog
        dialog.setModal(True)
        dialog.show()
        if install and dialog.install_button.isEnabled():
            dialog.choose_and_install()
        return dialog

    def _lists_changed(self) -> None:
        stack = self.window.stack
        for index in range(stack.count()):
            page = stack.widget(index)
            if isinstance(page, ElderPage):  # made on first use: maybe not yet
                page.reload_lists()


def install_eligibility_menu(window: MainWindow, ctx: AppContext) -> EligibilityMenu:
    """Add the 老人 and 服务清单 menus to the main window."""
    return EligibilityMenu(window, ctx)
