"""The workspace's change notices as one Qt signal (docs/architecture.md §3.3: one broadcast,
no refreshes by hand).

Every committed write of the core tells its subscribers once what changed
(:class:`~assessment.records.api.Changed`), whoever wrote it: this window, a sync on the
background thread, a roster import. :class:`ChangeNotices` turns that into the ``changed``
signal, delivered on the GUI thread (queued when the write ran on another thread), so views
connect once and refresh themselves.
"""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import QObject, Signal

from assessment.records.api import Changed
from assessment.records.workspace import Workspace


class ChangeNotices(QObject):
    """Re-emits the workspace's change notices as :attr:`changed` (a ``Changed``)."""

    changed = Signal(object)

    def __init__(self, workspace: Workspace, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._stop = workspace.subscribe(self._heard)

    def _heard(self, changed: Changed) -> None:
        if shiboken6.isValid(self):  # its window may be gone; the workspace lives on
            self.changed.emit(changed)
        else:
            self._stop()

    def stop(self) -> None:
        """Stop listening."""
        self._stop()
