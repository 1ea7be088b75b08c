"""The plan per village as a read-only table model (one row per elder in the plan)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from app.common.readonly_table import ReadOnlyTableModel
from assessment.visits.measure import DUE_COLUMNS, PlanRow

_Index = QModelIndex | QPersistentModelIndex
STATUS_COLOURS = {"overdue": "#ffd8d3", "never": "#fff1c2", "due": "#e7f0ff", "done": "#dafbe1"}


class PlanModel(ReadOnlyTableModel):
    """Rows of :func:`assessment.visits.measure.plan_rows`; the status cell is coloured."""

    HEADERS = DUE_COLUMNS
    STATUS = DUE_COLUMNS.index("状态")

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: tuple[PlanRow, ...] = ()

    def set_rows(self, rows: Sequence[PlanRow]) -> None:
        """Show new rows."""
        self.beginResetModel()
        self._rows = tuple(rows)
        self.endResetModel()

    def row(self, number: int) -> PlanRow:
        """The plan row shown on ``number``."""
        return self._rows[number]

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not (0 <= index.row() < len(self._rows)) or \
                not (0 <= index.column() < len(self.HEADERS)):
            return None
        row = self._rows[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return str(row.cells()[index.column()])
        if role == Qt.ItemDataRole.UserRole:
            return row.status
        if role == Qt.ItemDataRole.BackgroundRole and index.column() == self.STATUS:
            return QBrush(QColor(STATUS_COLOURS[row.status]))
        return None
