"""At start: offer the open drafts (for example after a crash or a flat battery)."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from assessment.records.api import AssessmentRecord


class DraftsDialog(QDialog):
    """Lists the drafts; ``resume`` carries the chosen assessment id."""

    resume = Signal(str)

    def __init__(self, drafts: Sequence[AssessmentRecord], names: dict[str, str],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("未完成的评估")
        self.setMinimumWidth(460)
        label = QLabel(f"有 {len(drafts)} 份未完成的评估草稿（已自动保存）。要继续哪一份？")
        label.setWordWrap(True)
        self.list = QListWidget()
        for record in drafts:
            name = names.get(record.elder_id, "")
            when = record.updated_at.strftime("%Y-%m-%d %H:%M")
            done = sum(1 for k, v in record.answers.items() if k.startswith("B.")
                       and not k.endswith(".state") and v is not None)
            item = QListWidgetItem(f"{name}　{record.reason or ''}　已评 {done} 项　保存于 {when}")
            item.setData(Qt.ItemDataRole.UserRole, record.assessment_id)
            self.list.addItem(item)
        self.list.setCurrentRow(0)
        self.list.itemDoubleClicked.connect(lambda _i: self._resume())
        buttons = QDialogButtonBox()
        buttons.addButton("继续评估", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton("稍后", QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self._resume)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(label)
        layout.addWidget(self.list)
        layout.addWidget(buttons)

    def _resume(self) -> None:
        item = self.list.currentItem()
        if item is not None:
            self.resume.emit(str(item.data(Qt.ItemDataRole.UserRole)))
        self.accept()
