"""探访关爱 on the elder page: the elder's visits and the re-assessment a visit proposes.

The table lists every visit, newest first (date, method, visitor, risk, emergency, open
referrals). When the latest visit found a change after the last assessment, the banner shows
"建议即时评估（状况发生变化）" with what was found and a button that starts the assessment.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from app.common.readonly_table import ReadOnlyTableModel
from assessment.errors import FormFileError
from assessment.records.visits import ReferralRecord, VisitRecord
from assessment.records.workspace import Workspace

_Index = QModelIndex | QPersistentModelIndex
PROPOSAL_HEADING = "建议即时评估（状况发生变化）"


class ElderVisitsModel(ReadOnlyTableModel):
    """One row per visit of one elder; an emergency row is tinted."""

    HEADERS = ("探访日期", "方式", "探访人", "风险", "紧急情况", "未办结转介")

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: tuple[tuple[str, ...], ...] = ()
        self._emergency: tuple[bool, ...] = ()

    def set_visits(self, visits: Sequence[VisitRecord],
                   open_referrals: Sequence[ReferralRecord],
                   risk_names: Mapping[str, str]) -> None:
        """Show ``visits`` with their open referrals; risk codes shown by their names."""
        by_visit: dict[str, list[str]] = {}
        for ref in open_referrals:
            by_visit.setdefault(ref.visit_id, []).append(ref.target)
        self.beginResetModel()
        self._rows = tuple((
            v.visit_date.isoformat(), v.method, v.visitor, risk_names.get(v.risk, v.risk),
            "是" if v.emergency else "否", "、".join(by_visit.get(v.visit_id, [])) or "无",
        ) for v in visits)
        self._emergency = tuple(v.emergency for v in visits)
        self.endResetModel()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not (0 <= index.row() < len(self._rows)) or \
                not (0 <= index.column() < len(self.HEADERS)):
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return self._rows[index.row()][index.column()]
        if role == Qt.ItemDataRole.BackgroundRole and self._emergency[index.row()]:
            return QBrush(QColor("#ffd8d3"))
        return None


def risk_names(workspace: Workspace, today: dt.date) -> dict[str, str]:
    """Risk level code → name in the plan in force (empty when no plan can be read)."""
    try:
        return dict(workspace.visits.plan(today).record.risk_levels)
    except FormFileError:
        return {}
