"""An elder's assessments as a small table model (newest first)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from app.common.readonly_table import ReadOnlyTableModel
from assessment.records.api import AssessmentRecord, AssessmentStatus

STATUS_TEXT = {
    AssessmentStatus.DRAFT: "草稿",
    AssessmentStatus.FINALIZED: "已完成",
    AssessmentStatus.SUPERSEDED: "已被更正取代",
}
ASSESSMENT_ID_ROLE = Qt.ItemDataRole.UserRole + 1
HEADERS = ("评估基准日期", "评估原因", "状态", "总分", "最终等级", "评估员", "证书编号")

_Index = QModelIndex | QPersistentModelIndex


class HistoryModel(ReadOnlyTableModel):
    """Rows: one assessment each; the record id under ``ASSESSMENT_ID_ROLE``."""

    HEADERS = HEADERS

    def __init__(self, grade_name: Callable[[int], str], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._grade_name = grade_name
        self._records: list[AssessmentRecord] = []
        self._names: dict[str, str] = {}

    def set_records(self, records: Sequence[AssessmentRecord],
                    names: Mapping[str, str] | None = None) -> None:
        """Show these assessments, newest first; ``names`` maps usernames to display names
        (an assessor this laptop does not know is shown by username)."""
        self.beginResetModel()
        if names is not None:
            self._names = dict(names)
        self._records = sorted(records, key=lambda r: (r.reference_date or r.created_at.date(),
                                                       r.created_at), reverse=True)
        self.endResetModel()

    def record(self, row: int) -> AssessmentRecord | None:
        """The assessment on ``row``."""
        return self._records[row] if 0 <= row < len(self._records) else None

    @property
    def records(self) -> tuple[AssessmentRecord, ...]:
        """All shown assessments, newest first."""
        return tuple(self._records)

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: N802, B008 - Qt API
        """Number of assessments."""
        return 0 if parent.isValid() else len(self._records)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: N802, B008 - Qt API
        """Number of columns."""
        return 0 if parent.isValid() else len(HEADERS)

    def _cell(self, record: AssessmentRecord, column: int) -> str:
        if column == 0:
            day = record.reference_date or record.created_at.date()
            return day.isoformat()
        if column == 1:
            return record.reason or ""
        if column == 2:
            return STATUS_TEXT[record.status]
        if column == 3:
            return "" if record.total is None else f"{record.total}分"
        if column == 4:
            return "" if record.final_grade is None else self._grade_name(record.final_grade)
        if column == 5:
            return "、".join(self._names.get(a, a)
                            for a in (record.assessor_1, record.assessor_2) if a)
        return record.certificate_no or ""

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Cell text, the record id and a colour per status."""
        if not index.isValid() or index.parent().isValid():
            return None
        record = self.record(index.row())
        if record is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self._cell(record, index.column())
        if role == ASSESSMENT_ID_ROLE:
            return record.assessment_id
        if role == Qt.ItemDataRole.ForegroundRole:
            if record.status is AssessmentStatus.SUPERSEDED:
                return QBrush(QColor("#888888"))
            if record.status is AssessmentStatus.DRAFT:
                return QBrush(QColor("#9a6700"))
        return None

