"""更正原因: why a finalized assessment is being corrected (kept in the audit log).

The text is checked by the store's own reader (:func:`assessment.records.review.check_reason`)
while it is typed, so 确定更正 is enabled only for a reason the store will accept.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from assessment.errors import InputRejected
from assessment.records.review import REASON_MAX, check_reason


class CorrectionReasonDialog(QDialog):
    """Asks for the reason of a correction; :meth:`reason` after acceptance."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("更正评估")
        intro = QLabel("更正将新建一份评估，完成后取代原评估（原评估保留，可查看和重印）。\n"
                       "请写明更正原因，它将记入审计日志：")
        intro.setWordWrap(True)
        self.edit = QLineEdit()
        self.edit.setObjectName("correctionReason")
        self.edit.setMaxLength(REASON_MAX)
        self.edit.setPlaceholderText("例如：B.1.3 录入错误，已与家属核实")
        self.problem = QLabel()
        self.problem.setObjectName("fieldProblem")
        self.ok_button = QPushButton("确定更正")
        self.ok_button.setDefault(True)
        self.ok_button.clicked.connect(self.accept)
        cancel = QPushButton("取消")
        cancel.setAutoDefault(False)
        cancel.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(cancel)
        buttons.addWidget(self.ok_button)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.edit)
        layout.addWidget(self.problem)
        layout.addLayout(buttons)
        self.edit.textChanged.connect(self._check)
        self._check()
        self.resize(460, self.sizeHint().height())

    def _check(self) -> None:
        try:
            check_reason("correction_reason", self.edit.text(), "更正原因")
        except InputRejected as exc:
            self.ok_button.setEnabled(False)
            self.problem.setText(exc.problems[0].message if self.edit.text() else "")
            return
        self.ok_button.setEnabled(True)
        self.problem.setText("")

    def reason(self) -> str:
        """The reason as typed."""
        return self.edit.text()


def ask_correction_reason(parent: QWidget | None) -> str | None:
    """Show :class:`CorrectionReasonDialog`; the reason, or ``None`` when cancelled."""
    dialog = CorrectionReasonDialog(parent)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    return dialog.reason()
