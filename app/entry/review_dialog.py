"""完成评估前核对: the review an assessor reads and confirms before an assessment is finalized
(issue: finalizing is irreversible, so it must never happen unread).

The dialog shows what the store's :meth:`review_finalize` says: C.1 subtotals, C.2 total,
C.3 initial grade, the ticked C.4 reasons and the C.5 final grade, every field still missing
and every open consistency warning. A missing field can only be fixed (去改正 closes the dialog
and shows the field); a warning is fixed the same way or acknowledged with a reason, which the
store keeps in the audit log. 确认完成评估 is enabled only when nothing is missing and every
warning has a reason.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app.common.fields import repolish
from assessment.errors import InputRejected
from assessment.forms import Form
from assessment.records.review import FinalizeReview, check_reason, field_label, warning_key


class ReviewDialog(QDialog):
    """The review of one draft; after ``exec()``: accepted with :attr:`acknowledged`, or
    rejected with :attr:`goto_field` naming the field to fix (``None``: just go back)."""

    def __init__(self, form: Form, review: FinalizeReview, title: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("完成评估前核对")
        self.setObjectName("reviewDialog")
        self.form = form
        self.review = review
        self.goto_field: str | None = None
        self.reason_edits: dict[str, QLineEdit] = {}
        body = QWidget()
        content = QVBoxLayout(body)
        heading = QLabel(title)
        heading.setObjectName("pageHeading")
        heading.setWordWrap(True)
        content.addWidget(heading)
        content.addWidget(self._result_box())
        if review.missing:
            content.addWidget(self._missing_box())
        if review.warnings:
            content.addWidget(self._warnings_box())
        if review.ready and not review.warnings:
            ok = QLabel("各项已填写完整，没有待核对的提示。")
            ok.setObjectName("fieldHint")
            content.addWidget(ok)
        content.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(body)
        note = QLabel("完成后评估不可修改，如需修改只能“更正”（新建一份取代它的评估）。")
        note.setWordWrap(True)
        note.setObjectName("fieldHint")
        self.confirm_button = QPushButton("确认完成评估")
        self.confirm_button.setObjectName("finalizeButton")
        self.confirm_button.clicked.connect(self.accept)
        back = QPushButton("返回修改")
        back.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(note, 1)
        buttons.addWidget(back)
        buttons.addWidget(self.confirm_button)
        layout = QVBoxLayout(self)
        layout.addWidget(scroll, 1)
        layout.addLayout(buttons)
        self.resize(640, 560)
        self._refresh()
        back.setDefault(True)

    # ---- sections -----------------------------------------------------------------------

    def _result_box(self) -> QWidget:
        form, result = self.form, self.review.result
        box = QFrame()
        box.setObjectName("resultPanel")
        grid = QGridLayout(box)
        sections = form.report.sections
        if result is None:
            grid.addWidget(QLabel(f"{len(form.items)} 项尚未全部评定，无法评定等级。"), 0, 0)
            return box
        row = 0
        for dimension in form.dimensions:
            grid.addWidget(QLabel(f"{dimension.report_key} {dimension.report_label}"), row, 0)
            grid.addWidget(QLabel(f"{result.subtotal(dimension.key)}分"), row, 1)
            row += 1
        total = QLabel(f"{result.total}分")
        total.setObjectName("totalLabel")
        grid.addWidget(QLabel(f"C.2 {sections.get('C.2', '初步等级得分')}"), row, 0)
        grid.addWidget(total, row, 1)
        row += 1
        grid.addWidget(QLabel(f"C.3 {sections.get('C.3', '老年人能力初步等级')}"), row, 0)
        grid.addWidget(QLabel(form.grade_name(result.initial_grade)), row, 1)
        row += 1
        grid.addWidget(QLabel(f"C.4 {sections.get('C.4', '能力等级变更依据')}"), row, 0)
        reasons = [f"{form.report.ticked}{rule.text}" for rule in form.change_rules
                   if rule.code in result.reasons] or ["无"]
        why = QLabel("\n".join(reasons))
        why.setObjectName("reviewReasons")
        why.setWordWrap(True)
        grid.addWidget(why, row, 1)
        row += 1
        grid.addWidget(QLabel(f"C.5 {sections.get('C.5', '老年人能力最终等级')}"), row, 0)
        final = QLabel(form.grade_name(result.final_grade))
        final.setObjectName("finalGrade")
        final.setProperty("grade", result.final_grade)
        repolish(final)
        grid.addWidget(final, row, 1)
        grid.setColumnStretch(1, 1)
        return box

    def _missing_box(self) -> QWidget:
        box = QFrame()
        box.setObjectName("problemBox")
        layout = QVBoxLayout(box)
        title = QLabel(f"尚未完成（{len(self.review.missing)} 处，须改正后才能完成评估）")
        title.setObjectName("groupHeading")
        layout.addWidget(title)
        for problem in self.review.missing:
            line = QHBoxLayout()
            text = QLabel(f"{field_label(self.form, problem.field)}：{problem.message}"
                          if problem.field else problem.message)
            text.setWordWrap(True)
            line.addWidget(text, 1)
            if problem.field:
                line.addWidget(self._goto_button(problem.field))
            layout.addLayout(line)
        return box

    def _warnings_box(self) -> QWidget:
        box = QFrame()
        box.setObjectName("warningBox")
        layout = QVBoxLayout(box)
        title = QLabel(f"请核对（{len(self.review.warnings)} 条提示：改正，或确认无误并填写理由）")
        title.setObjectName("groupHeading")
        title.setWordWrap(True)
        layout.addWidget(title)
        for warning in self.review.warnings:
            line = QHBoxLayout()
            text = QLabel(f"⚠ {warning.message}")
            text.setWordWrap(True)
            line.addWidget(text, 1)
            line.addWidget(self._goto_button(warning.field))
            layout.addLayout(line)
            edit = QLineEdit()
            edit.setObjectName(f"ack-{warning_key(warning)}")
            edit.setPlaceholderText("核对理由（确认无误时填写，记入审计日志）")
            edit.setMaxLength(200)
            edit.textChanged.connect(self._refresh)
            self.reason_edits[warning_key(warning)] = edit
            layout.addWidget(edit)
        return box

    def _goto_button(self, field: str) -> QPushButton:
        button = QPushButton("去改正")
        button.setObjectName(f"goto-{field}")
        button.setAutoDefault(False)
        button.clicked.connect(lambda: self._goto(field))
        return button

    # ---- state --------------------------------------------------------------------------

    def _goto(self, field: str) -> None:
        self.goto_field = field
        self.reject()

    def _refresh(self) -> None:
        ready = self.review.ready
        for edit in self.reason_edits.values():
            try:
                check_reason("ack", edit.text(), "核对理由")
            except InputRejected:
                ready = False
        self.confirm_button.setEnabled(ready)

    @property
    def acknowledged(self) -> dict[str, str]:
        """``{warning key: reason}`` as typed (the store checks them again)."""
        return {key: edit.text() for key, edit in self.reason_edits.items()}
