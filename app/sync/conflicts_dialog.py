"""同步冲突: the conflicts kept on this laptop, with what they mean and who decides them.

The dialog is non-modal and only reads: a conflict is decided by the county (review queue on
the county server), whose decision reaches this laptop with the next sync. ``elder_opened``
carries the elder id of a double-clicked row (or of 打开老人档案) for the main window to show.
"""

from __future__ import annotations

from PySide6.QtCore import QItemSelection, QModelIndex, QSize, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.common.geometry import fit_window
from app.sync.conflict_labels import ConflictStatus, conflict_status
from app.sync.conflicts_model import ELDER_ID_ROLE, ConflictsModel
from assessment.records.workspace import Workspace

EXPLANATION = (
    "两台笔记本在离线时修改了同一位老人的同一项信息，就会产生同步冲突。"
    "同步时按修改时间先后自动保留一个值（“当前值”），另一个值不会丢弃，保存在此备查。"
    "等级、得分和服务清单属性的冲突标为“待县级审核”，须由县级审核决定采用哪个值；"
    "县级决定改用另一值后，下次同步时本机自动更新，并标为“已由县级处理”。"
)


class ConflictsDialog(QDialog):
    """The table of kept conflicts, a 显示已处理的 switch and 打开老人档案."""

    elder_opened = Signal(str)

    def __init__(self, source: Workspace, parent: QWidget | None = None, *,
                 model: ConflictsModel | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("同步冲突")
        self.setObjectName("conflictsDialog")
        fit_window(self, QSize(1040, 420))
        self.model = model or ConflictsModel(source, parent=self)
        explanation = QLabel(EXPLANATION)
        explanation.setObjectName("fieldHint")
        explanation.setWordWrap(True)
        self.summary = QLabel()
        self.summary.setObjectName("conflictsSummary")
        self.table = QTableView()
        self.table.setObjectName("conflictsTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.table.doubleClicked.connect(self._open_index)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.show_resolved = QCheckBox("显示已处理的")
        self.show_resolved.setToolTip("同时列出县级已经处理过的冲突")
        self.show_resolved.toggled.connect(self._toggle_resolved)
        self.open_button = QPushButton("打开老人档案")
        self.open_button.clicked.connect(self.open_selected)
        close = QPushButton("关闭")
        close.clicked.connect(self.accept)
        bar = QHBoxLayout()
        bar.addWidget(self.show_resolved)
        bar.addStretch(1)
        bar.addWidget(self.open_button)
        bar.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(explanation)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addLayout(bar)
        self.model.modelReset.connect(self._after_reset)
        self._after_reset()

    def refresh(self) -> None:
        """Re-read the conflicts (after a sync)."""
        self.model.refresh()

    def _toggle_resolved(self, checked: bool) -> None:
        self.model.set_include_resolved(checked)

    def _after_reset(self) -> None:
        counts = dict.fromkeys(ConflictStatus, 0)
        for conflict in self.model.conflicts:
            counts[conflict_status(conflict)] += 1
        if not self.model.conflicts:
            text = "本机没有同步冲突。" if self.model.include_resolved \
                else "本机没有未处理的同步冲突。"
        else:
            parts = [f"{status.value} {count} 项" for status, count in counts.items() if count]
            text = "，".join(parts) + "。"
        self.summary.setText(text)
        self._update_button()

    def _selection_changed(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        self._update_button()

    def _update_button(self) -> None:
        self.open_button.setEnabled(self.selected_elder() is not None)

    def selected_elder(self) -> str | None:
        """The elder id of the selected row (None when nothing, or nobody here, is selected)."""
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        elder_id = rows[0].data(ELDER_ID_ROLE)
        return elder_id if isinstance(elder_id, str) else None

    def open_selected(self) -> None:
        """打开老人档案 of the selected row."""
        elder_id = self.selected_elder()
        if elder_id is not None:
            self.elder_opened.emit(elder_id)

    def _open_index(self, index: QModelIndex) -> None:
        elder_id = index.sibling(index.row(), 0).data(ELDER_ID_ROLE)
        if isinstance(elder_id, str):
            self.elder_opened.emit(elder_id)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        """Enter in the table opens the selected elder instead of closing the dialog."""
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.table.hasFocus():
            self.open_selected()
            return
        super().keyPressEvent(event)
