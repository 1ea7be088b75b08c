"""The 服务清单 menu: 乡镇服务名单, 服务清单版本, 安装服务清单.

The menu knows nothing of the main window: it adds its actions to a menu bar and reports an
install through :attr:`ListsMenu.lists_changed`, so that open elder pages match again with the
new versions. 安装服务清单… is enabled only for administrator accounts.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenuBar, QMessageBox, QWidget

from app.lists.install import ListsDialog, load_app_lists, may_install
from assessment.errors import FormFileError
from assessment.records.workspace import Workspace

if TYPE_CHECKING:  # pandas loads when the township view first opens
    from app.lists.township_rosters import TownshipRostersView


class ListsMenu(QObject):
    """The actions and the dialogs they open (kept for tests and to stay alive)."""

    lists_changed = Signal()
    """A new list version was installed."""

    def __init__(self, parent: QWidget, bar: QMenuBar, workspace: Workspace,
                 data_dir: Path) -> None:
        super().__init__(parent)
        self.setObjectName("listsMenu")
        self._parent = parent
        self.workspace = workspace
        self.data_dir = data_dir
        self.township_view: TownshipRostersView | None = None
        self.lists_dialog: ListsDialog | None = None
        self.rosters = QAction("乡镇服务名单…", parent)
        self.rosters.triggered.connect(self.open_township_rosters)
        self.versions = QAction("服务清单版本…", parent)
        self.versions.triggered.connect(lambda: self.open_lists(install=False))
        self.install = QAction("安装服务清单…", parent)
        self.install.setEnabled(may_install(workspace.current_user.role))
        if not self.install.isEnabled():
            self.install.setToolTip("只有管理员账户可以安装服务清单")
        self.install.triggered.connect(lambda: self.open_lists(install=True))
        lists = bar.addMenu("服务清单(&L)")
        lists.setToolTipsVisible(True)
        lists.addAction(self.rosters)
        lists.addSeparator()
        lists.addAction(self.versions)
        lists.addAction(self.install)

    def open_township_rosters(self) -> TownshipRostersView | None:
        """乡镇服务名单, computed at once in the background."""
        from app.lists.township_rosters import TownshipRostersView

        try:
            registry = load_app_lists(self.data_dir)
        except FormFileError as exc:
            QMessageBox.warning(self._parent, "服务清单有误",
                                f"服务清单文件有误：{exc.file}：{exc.key}：{exc.reason}")
            return None
        view = TownshipRostersView(self.workspace, registry, self._parent)
        self.township_view = view
        view.show()
        view.refresh()
        return view

    def open_lists(self, *, install: bool) -> ListsDialog:
        """服务清单版本 (and, for administrators, the file chooser at once)."""
        dialog = ListsDialog(self.data_dir, self.workspace.current_user.role, self._parent,
                             installer=self.workspace.lists.install)
        dialog.installed.connect(lambda _version: self.lists_changed.emit())
        self.lists_dialog = dialog
        dialog.setModal(True)
        dialog.show()
        if install and dialog.install_button.isEnabled():
            dialog.choose_and_install()
        return dialog
