"""The 探访关爱 menu: opens the visits window (plan, visit form, sheets, referrals)."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenuBar, QWidget

from app.visits.window import VisitsWindow
from assessment.records.workspace import Workspace


class VisitsMenu(QObject):
    """The menu and the window it opens (kept for tests and to stay alive); ``changed``
    passes on the window's: a visit recorded or a referral closed."""

    changed = Signal()

    def __init__(self, parent: QWidget, bar: QMenuBar, workspace: Workspace) -> None:
        super().__init__(parent)
        self.setObjectName("visitsMenu")
        self._parent = parent
        self.workspace = workspace
        self.window: VisitsWindow | None = None
        self.open_action = QAction("探访计划与记录…", parent)
        self.open_action.triggered.connect(self.open_window)
        menu = bar.addMenu("探访关爱(&V)")
        menu.addAction(self.open_action)

    def open_window(self) -> VisitsWindow:
        """Show the visits window with today's plan."""
        window = VisitsWindow(self.workspace, self._parent)
        self.window = window
        window.changed.connect(self.changed)
        window.show()
        window.refresh()
        return window
