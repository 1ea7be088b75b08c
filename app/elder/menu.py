"""The 老人 menu: 新建老人 (Ctrl+N).

The menu knows nothing of the main window: it adds its action to a menu bar and reports a new
elder through :attr:`ElderMenu.elder_created`; the window decides what to show.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenuBar, QWidget

from app.elder.new_elder_dialog import NewElderDialog


class ElderMenu(QObject):
    """新建老人 and the dialog it opens."""

    elder_created = Signal(str, str)
    """The new elder's id and name."""

    def __init__(self, parent: QWidget, bar: QMenuBar, workspace: Any) -> None:
        super().__init__(parent)
        self.setObjectName("elderMenu")
        self._parent = parent
        self.workspace = workspace
        self.new_elder = QAction("新建老人…", parent)
        self.new_elder.setShortcut(QKeySequence("Ctrl+N"))
        self.new_elder.triggered.connect(self.open_new_elder)
        elders = bar.addMenu("老人(&E)")
        elders.addAction(self.new_elder)

    def open_new_elder(self) -> NewElderDialog:
        """新建老人; :attr:`elder_created` is emitted after 建档."""
        dialog = NewElderDialog(self.workspace, self._parent)
        dialog.accepted.connect(lambda: self._elder_created(dialog))
        dialog.open()
        return dialog

    def _elder_created(self, dialog: NewElderDialog) -> None:
        if dialog.created is not None:
            self.elder_created.emit(dialog.created.elder_id, dialog.created.name)
