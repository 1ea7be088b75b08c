"""The 老人 menu: 新建老人 (Ctrl+N) and 导入部门名单….

The menu knows nothing of the main window: it adds its action to a menu bar and reports a new
elder through :attr:`ElderMenu.elder_created`; the window decides what to show.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenuBar, QWidget

from app.elder.new_elder_dialog import NewElderDialog
from app.elder.registry_import_dialog import RegistryImportDialog
from assessment.records.workspace import Workspace


class ElderMenu(QObject):
    """新建老人 and the dialog it opens."""

    elder_created = Signal(str, str)
    """The new elder's id and name."""
    registry_imported = Signal(object)
    """The summary of a roster import that was applied."""

    def __init__(self, parent: QWidget, bar: QMenuBar, workspace: Workspace) -> None:
        super().__init__(parent)
        self.setObjectName("elderMenu")
        self._parent = parent
        self.workspace = workspace
        self.new_elder = QAction("新建老人…", parent)
        self.new_elder.setShortcut(QKeySequence("Ctrl+N"))
        self.new_elder.triggered.connect(self.open_new_elder)
        self.import_office_file = QAction("导入部门名单…", parent)
        self.import_office_file.setToolTip("民政、残联、卫健、退役军人事务的名单：按身份证号更新救助身份等属性")
        self.import_office_file.triggered.connect(self.open_registry_import)
        elders = bar.addMenu("老人(&E)")
        elders.addAction(self.new_elder)
        elders.addAction(self.import_office_file)

    def open_new_elder(self) -> NewElderDialog:
        """新建老人; :attr:`elder_created` is emitted after 建档."""
        dialog = NewElderDialog(self.workspace, self._parent)
        dialog.accepted.connect(lambda: self._elder_created(dialog))
        dialog.open()
        return dialog

    def open_registry_import(self) -> RegistryImportDialog:
        """导入部门名单; :attr:`registry_imported` is emitted after an import is applied."""
        dialog = RegistryImportDialog(self.workspace, self._parent)
        dialog.imported.connect(self.registry_imported)
        dialog.open()
        return dialog

    def _elder_created(self, dialog: NewElderDialog) -> None:
        if dialog.created is not None:
            self.elder_created.emit(dialog.created.elder_id, dialog.created.name)
