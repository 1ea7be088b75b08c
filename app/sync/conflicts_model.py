"""The sync conflicts kept on this laptop as a table model (oldest first).

Each row is one :class:`~assessment.records.incoming.LocalConflict`: whose record, which field
(in Chinese), the value the record holds now and the other value with the device that wrote
each, when this laptop found it, and its status (待县级审核 / 已自动处理 / 已由县级处理). The
rows are read through the ``Workspace`` facade; elder names are looked up on first display.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from app.common.readonly_table import ReadOnlyTableModel
from app.sync.conflict_labels import ConflictLabeller, ConflictStatus, conflict_status, local_time
from assessment.eligibility.vocabulary import Vocabulary, load_vocabulary
from assessment.errors import FormFileError
from assessment.forms import Form, default_form
from assessment.records import countynotes
from assessment.records.api import RecordNotFound
from assessment.records.incoming import LocalConflict
from assessment.records.workspace import Workspace
from assessment.wire.countydevice import county_device_of

ELDER_ID_ROLE = Qt.ItemDataRole.UserRole + 1
CONFLICT_ID_ROLE = Qt.ItemDataRole.UserRole + 2
HEADERS = ("老人", "项目", "当前值", "当前值来自", "另一值", "另一值来自", "发现时间", "状态")
UNKNOWN_ELDER = "（未知老人）"
STATUS_COLOURS = {
    ConflictStatus.REVIEW: "#9a6700",
    ConflictStatus.RESOLVED: "#888888",
}

_Index = QModelIndex | QPersistentModelIndex


def default_vocabulary() -> Vocabulary | None:
    """The bundled service-list vocabulary, or None when its file is damaged (keys shown)."""
    try:
        return load_vocabulary()
    except FormFileError:
        return None


def labeller_for(source: Workspace, form: Form | None = None,
                 vocabulary: Vocabulary | None = None) -> ConflictLabeller:
    """A labeller that knows this laptop and, once enrolled, the county's device."""
    county = county_device_of(source.settings.get(countynotes.COUNTY_SIGN_PUBLIC))
    return ConflictLabeller(form or default_form(),
                            vocabulary if vocabulary is not None else default_vocabulary(),
                            source.device_id, county)


def open_review_count(conflicts: list[LocalConflict]) -> int:
    """How many of ``conflicts`` still wait for the county's review."""
    return sum(1 for c in conflicts if conflict_status(c) is ConflictStatus.REVIEW)


class ConflictsModel(ReadOnlyTableModel):
    """Rows: one kept conflict each; the elder id under ``ELDER_ID_ROLE``."""

    HEADERS = HEADERS

    def __init__(self, source: Workspace, labeller: ConflictLabeller | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._source = source
        self._labels = labeller or labeller_for(source)
        self._include_resolved = False
        self._rows: list[LocalConflict] = []
        self._elders: dict[str, tuple[str | None, str]] = {}  # record id → (elder id, name)
        self.refresh()

    # ---- rows ---------------------------------------------------------------------------

    @property
    def include_resolved(self) -> bool:
        """Whether conflicts the county already settled are listed."""
        return self._include_resolved

    def set_include_resolved(self, include: bool) -> None:
        """Show (or hide) the conflicts the county already settled."""
        if include != self._include_resolved:
            self._include_resolved = include
            self.refresh()

    def refresh(self) -> None:
        """Re-read the conflicts (after a sync)."""
        self.beginResetModel()
        self._rows = self._source.outbox.conflicts(include_resolved=self._include_resolved)
        self._elders.clear()
        self.endResetModel()

    def conflict(self, row: int) -> LocalConflict | None:
        """The conflict on ``row``."""
        return self._rows[row] if 0 <= row < len(self._rows) else None

    @property
    def conflicts(self) -> tuple[LocalConflict, ...]:
        """Every listed conflict, oldest first."""
        return tuple(self._rows)

    def open_count(self) -> int:
        """Listed conflicts waiting for the county's review."""
        return open_review_count(self._rows)

    def elder_of(self, conflict: LocalConflict) -> tuple[str | None, str]:
        """(elder id, name) of the record a conflict is about; None when not on this laptop."""
        key = f"{conflict.record_type}:{conflict.record_id}"
        if key not in self._elders:
            self._elders[key] = self._look_up(conflict)
        return self._elders[key]

    def _look_up(self, conflict: LocalConflict) -> tuple[str | None, str]:
        try:
            elder_id = conflict.record_id
            if conflict.record_type == "assessment":
                elder_id = self._source.assessments.get(conflict.record_id).elder_id
            elif conflict.record_type != "elder":
                return None, UNKNOWN_ELDER
            return elder_id, self._source.elders.get(elder_id).name
        except RecordNotFound:
            return None, UNKNOWN_ELDER

    # ---- Qt model API -------------------------------------------------------------------

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: N802, B008 - Qt API
        """Number of conflicts."""
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: N802, B008 - Qt API
        """Number of columns."""
        return 0 if parent.isValid() else len(HEADERS)

    def _cells(self) -> tuple[Callable[[LocalConflict], str], ...]:
        labels = self._labels
        return (
            lambda c: self.elder_of(c)[1],
            labels.field_label,
            labels.kept_text,
            lambda c: labels.device_text(c.winner_device),
            labels.other_text,
            lambda c: labels.device_text(c.loser_device),
            lambda c: local_time(c.created_at),
            lambda c: conflict_status(c).value,
        )

    def _tooltip(self, conflict: LocalConflict, column: int) -> str:
        if column == len(HEADERS) - 1 and conflict.resolved_at is not None:
            return f"县级处理结果于 {local_time(conflict.resolved_at)} 同步到本机"
        if column == len(HEADERS) - 1 and conflict.review_required:
            return "等级、得分和服务清单属性的冲突一律由县级审核决定"
        if column in (3, 5):  # the full device id: short forms of laptops set up together match
            return conflict.winner_device if column == 3 else conflict.loser_device
        return self._cells()[column](conflict)  # long values are cut off in the table

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Cell text, the elder and conflict ids, a colour and a tooltip per status."""
        if not index.isValid() or index.parent().isValid():
            return None
        conflict = self.conflict(index.row())
        column = index.column()
        if conflict is None or not 0 <= column < len(HEADERS):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self._cells()[column](conflict)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(conflict, column)
        if role == ELDER_ID_ROLE:
            return self.elder_of(conflict)[0]
        if role == CONFLICT_ID_ROLE:
            return conflict.conflict_id
        if role == Qt.ItemDataRole.ForegroundRole:
            colour = STATUS_COLOURS.get(conflict_status(conflict))
            return QBrush(QColor(colour)) if colour is not None else None
        return None


