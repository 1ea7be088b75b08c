"""The assessment entry page: the generated form, the live result and the lifecycle buttons.

Every change is autosaved through ``workspace.assessments.autosave`` at once (a crash loses
nothing) and the result is recomputed by :mod:`assessment.scoring`. 完成评估 first shows the
review (:class:`~app.entry.review_dialog.ReviewDialog`: result, missing fields, open warnings
to fix or acknowledge with a reason), then calls ``workspace.assessments.finalize``; when the
store refuses, its problems are shown beside the fields they name. A finalized or superseded
assessment is shown read-only; 更正 asks for its reason and starts a superseding draft
(``workspace.assessments.correct``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QResizeEvent, QShortcut
from PySide6.QtWidgets import (
    QBoxLayout,
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.common.context import AppContext
from app.common.fields import repolish
from app.entry.correction_dialog import ask_correction_reason
from app.entry.form_widget import AssessmentFormWidget
from app.entry.result_panel import Evaluation, ResultPanel, evaluate
from app.entry.review_dialog import ReviewDialog
from assessment.errors import InputRejected, Problem
from assessment.records.api import AssessmentRecord, AssessmentStatus, ElderProfile
from assessment.scoring import Grader

NARROW_WIDTH = 1100
"""Below this page width the result panel moves below the form, folded to one line."""
WIDGET_MAX = 16_777_215

UNDO_DEPTH = 200
"""Changes of one draft that Ctrl+Z can take back, newest last."""

STATUS_NAMES = {
    AssessmentStatus.DRAFT: "草稿",
    AssessmentStatus.FINALIZED: "已完成",
    AssessmentStatus.SUPERSEDED: "已被更正取代",
}


class EntryPage(QWidget):
    """Enter, view, finalize or correct one assessment."""

    back_requested = Signal()
    finalized = Signal(str)
    correction_started = Signal(str)
    autosaved = Signal(str)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.grader: Grader = ctx.grader()
        self.record: AssessmentRecord | None = None
        self.elder: ElderProfile | None = None
        self.answers: dict[str, Any] = {}
        self.evaluation: Evaluation | None = None
        self.undo_stack: list[dict[str, Any]] = []
        self.problems_open = False
        step = QShortcut(QKeySequence("F8"), self)
        step.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        step.activated.connect(self.next_problem)
        undo = QShortcut(QKeySequence.StandardKey.Undo, self)
        undo.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        undo.activated.connect(self.undo)
        # How dialogs are shown (tests drive the real dialogs through these).
        self.run_review: Callable[[ReviewDialog], bool] = _exec_accepted
        self.ask_correction_reason: Callable[[], str | None] = lambda: ask_correction_reason(self)
        back = QPushButton("← 返回老人信息")
        back.clicked.connect(self.back_requested)
        self.title = QLabel()
        self.title.setObjectName("pageHeading")
        self.banner = QLabel()
        self.banner.setObjectName("banner")
        self.banner.setWordWrap(True)
        self.banner.hide()
        header = QHBoxLayout()
        header.addWidget(back)
        header.addWidget(self.title, 1)
        # Documents of a finalized (or superseded) assessment: shown read-only only.
        self.preview_button = QPushButton("打印预览")
        self.preview_button.clicked.connect(self.preview_certificate)
        self.print_button = QPushButton("打印")
        self.print_button.clicked.connect(self.print_certificate)
        self.pdf_button = QPushButton("另存为PDF")
        self.pdf_button.clicked.connect(lambda: self.save_pdf())
        for button in (self.preview_button, self.print_button, self.pdf_button):
            button.setToolTip("评估报告（已打印过的将标注“补打”并记入审计日志）")
            button.hide()
            header.addWidget(button)
        self.form_widget = AssessmentFormWidget(ctx.form, ctx.workspace.accounts.all())
        self.form_widget.answers_changed.connect(self.apply_change)
        self.panel = ResultPanel(ctx.form)
        self.panel.finalize_requested.connect(self.finalize)
        self.panel.correct_requested.connect(self.correct)
        self.panel.next_problem_requested.connect(self.next_problem)
        self.body = QBoxLayout(QBoxLayout.Direction.LeftToRight)
        self.body.addWidget(self.form_widget, 1)
        self.body.addWidget(self.panel)
        self.narrow = False
        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(self.banner)
        layout.addLayout(self.body, 1)

    # ---- opening ------------------------------------------------------------------------

    def open(self, record: AssessmentRecord, elder: ElderProfile | None = None) -> None:
        """Show an assessment: editable when a draft, read-only otherwise."""
        self.grader = self.ctx.grader()
        self.record = record
        if elder is not None:
            self.elder = elder
        elif self.elder is None or self.elder.elder_id != record.elder_id:
            self.elder = self.ctx.workspace.elders.get(record.elder_id)
        self.answers = {k: v for k, v in record.answers.items() if v is not None}
        self.undo_stack.clear()
        self.form_widget.load(self.answers)
        self.form_widget.clear_problems()
        self.panel.show_messages([])
        self.panel.set_problem_count(0)
        self.problems_open = False
        self.panel.saved.setText("")
        editable = record.status is AssessmentStatus.DRAFT
        self.form_widget.set_read_only(not editable)
        for button in (self.preview_button, self.print_button, self.pdf_button):
            button.setVisible(not editable)
        name = self.elder.name if self.elder else ""
        reason = record.reason or self.answers.get("A.1.3") or ""
        self.title.setText(f"{name} · {reason} · {STATUS_NAMES[record.status]}")
        self._show_banner(record)
        self.recompute()
        if editable:
            self.form_widget.show_page("B.1" if self.answers.get("A.1.3") else "A.1")
            self.form_widget.focus_first_unanswered()
        else:
            self.form_widget.show_page("B.1")

    def _show_banner(self, record: AssessmentRecord) -> None:
        if record.status is AssessmentStatus.FINALIZED:
            cert = f"，证书编号 {record.certificate_no}" if record.certificate_no else ""
            text = f"本评估已完成（只读）{cert}。如需修改，请点“更正”新建一份取代它的评估。"
        elif record.status is AssessmentStatus.SUPERSEDED:
            text = "本评估已被更正取代（只读），仅供查看与重印。"
        elif record.supersedes:
            text = "这是一份更正评估：完成后将取代原评估。"
        else:
            text = ""
        self.banner.setText(text)
        self.banner.setVisible(bool(text))
        self.banner.setProperty("kind", record.status.value)
        repolish(self.banner)

    # ---- changes ------------------------------------------------------------------------

    def apply_change(self, update: Mapping[str, Any]) -> None:
        """Take changed answers from the form: store them, autosave, recompute.

        What the change replaced is kept so that Ctrl+Z (:meth:`undo`) can put it back.
        """
        if self.record is None or self.record.status is not AssessmentStatus.DRAFT:
            return
        before = {key: self.answers.get(key) for key in update}
        if any(before[key] != value for key, value in update.items()):
            self.undo_stack.append(before)
            del self.undo_stack[:-UNDO_DEPTH]
        self._store(update)

    def undo(self) -> bool:
        """Ctrl+Z: put back what the last change of this draft replaced (saved at once)."""
        if not self.undo_stack or self.record is None \
                or self.record.status is not AssessmentStatus.DRAFT:
            return False
        previous = self.undo_stack.pop()
        self._store(previous)
        self.form_widget.load(self.answers)
        keys = sorted(previous)
        item = next((k for k in keys if k in self.form_widget.items), None)
        if item is not None:
            self.form_widget.focus_item(item)
        elif keys:
            self._reveal(keys[0])
        self.panel.saved.setText(f"已撤销对 {'、'.join(keys)} 的修改并保存")
        return True

    def _store(self, update: Mapping[str, Any]) -> None:
        for key, value in update.items():
            if value is None:
                self.answers.pop(key, None)
            else:
                self.answers[key] = value
        self.autosave()
        self.recompute()
        if self.problems_open:
            self._recheck_problems()

    def autosave(self) -> None:
        """Write the draft through the store (one transaction per change)."""
        assert self.record is not None
        try:
            self.record = self.ctx.workspace.assessments.autosave(self.record.assessment_id,
                                                                  self.answers)
        except InputRejected as exc:
            rest = self.form_widget.show_problems(exc.problems)
            self.panel.show_messages(rest, "未能自动保存：")
            return
        except Exception as exc:  # environment trouble: disk full, database locked
            self.panel.saved.setText(f"自动保存失败：{exc}")
            return
        self.panel.saved.setText(f"已自动保存 {datetime.now():%H:%M:%S}")
        self.autosaved.emit(self.record.assessment_id)

    def recompute(self) -> Evaluation:
        """Re-grade the current answers and refresh the result panel and the progress."""
        evaluation = evaluate(self.grader, self.answers)
        self.evaluation = evaluation
        self.panel.show_evaluation(evaluation)
        self.form_widget.update_progress(self.answers)
        record = self.record
        editable = record is not None and record.status is AssessmentStatus.DRAFT
        self.panel.set_state(
            editable=editable,
            can_finalize=evaluation.result is not None,
            correctable=record is not None and record.status is AssessmentStatus.FINALIZED,
        )
        return evaluation

    # ---- lifecycle ----------------------------------------------------------------------

    def finalize(self) -> None:
        """完成评估: the store decides; its refusal is shown beside the fields."""
        if self.record is None:
            return
        local: list[Problem] = []
        for section in self.form_widget.sections.values():
            local.extend(section.local_problems())
        if local:
            self._show_problems(local, "请先改正标出的字段：")
            return
        review = self.ctx.workspace.assessments.review(self.record.assessment_id)
        name = self.elder.name if self.elder else ""
        dialog = ReviewDialog(self.ctx.form, review,
                              f"{name} · 评估编号 {self.record.assessment_no or ''}", self)
        confirmed = self.run_review(dialog)
        if not confirmed:
            self._show_problems([*review.missing, *review.warnings],
                                "尚未完成评估：" if review.missing else "")
            target = dialog.goto_field or next((p.field for p in review.missing if p.field),
                                               None)
            if target is not None:
                self._reveal(target)
            return
        try:
            record = self.ctx.workspace.assessments.finalize(self.record.assessment_id,
                                                             dialog.acknowledged)
        except InputRejected as exc:
            self._show_problems(exc.problems, "无法完成评估：")
            first = next((p for p in exc.problems if p.field), None)
            if first is not None:
                self._reveal(first.field)
            return
        self.open(record)
        self.finalized.emit(record.assessment_id)

    # ---- problems -----------------------------------------------------------------------

    def _show_problems(self, problems: Sequence[Problem], title: str) -> None:
        """Mark problems beside their fields and count them on the sections; the rest and a
        summary go under the result, with 下一处问题 (F8) to step through them."""
        rest = self.form_widget.show_problems(problems)
        marked = len(self.form_widget.problem_keys)
        self.problems_open = bool(marked or rest)
        if marked:
            title += f"{marked} 处已在字段旁标出（左侧各部分标有处数），按 F8 逐个查看。"
        self.panel.show_messages(rest, title if self.problems_open else "")
        self.panel.set_problem_count(marked)

    def next_problem(self) -> str | None:
        """Go to the next marked problem (F8, 下一处问题); its field key, None when none."""
        return self.form_widget.next_problem()

    def _recheck_problems(self) -> None:
        """After a change while problems are shown: show what is still open, and clear the
        marks and the summary once everything is fixed."""
        if self.record is None or self.record.status is not AssessmentStatus.DRAFT:
            return
        local: list[Problem] = []
        for section in self.form_widget.sections.values():
            local.extend(section.local_problems())
        review = self.ctx.workspace.assessments.review(self.record.assessment_id)
        still = [*local, *review.missing, *review.warnings]
        if still:
            self._show_problems(still, "尚未完成评估：")
            return
        self.form_widget.clear_problems()
        self.panel.show_messages([])
        self.panel.set_problem_count(0)
        self.problems_open = False
        self.panel.saved.setText("标出的问题已全部改正，可以完成评估。")

    def _reveal(self, key: str) -> None:
        self.form_widget.reveal(key)

    def correct(self) -> None:
        """更正: a new draft that supersedes this finalized assessment."""
        if self.record is None:
            return
        reason = self.ask_correction_reason()
        if reason is None:
            return
        try:
            record = self.ctx.workspace.assessments.correct(self.record.assessment_id, reason)
        except InputRejected as exc:
            self.panel.show_messages(exc.problems, "无法更正：")
            return
        self.open(record)
        self.correction_started.emit(record.assessment_id)

    # ---- documents ----------------------------------------------------------------------

    def preview_certificate(self) -> bool:
        """打印预览: the certificate in the print preview, printable from there."""
        if self.record is None or self.record.status is AssessmentStatus.DRAFT:
            return False
        from app.documents import printing  # reportlab loads on first print, not at start-up

        return printing.print_certificate(self, self.ctx.workspace, self.record.assessment_id)

    def print_certificate(self) -> bool:
        """打印: the print dialog, then the printer."""
        if self.record is None or self.record.status is AssessmentStatus.DRAFT:
            return False
        from app.documents import printing

        return printing.print_certificate_now(self, self.ctx.workspace,
                                              self.record.assessment_id)

    def save_pdf(self, path: Path | None = None) -> Path | None:
        """另存为PDF (asking where when ``path`` is None); the saved file."""
        if self.record is None or self.record.status is AssessmentStatus.DRAFT:
            return None
        from app.documents import printing

        return printing.save_certificate_pdf(self, self.ctx.workspace,
                                             self.record.assessment_id, path)

    def set_narrow(self, narrow: bool) -> None:
        """Narrow: the result panel goes below the form, folded; wide: beside it."""
        if narrow == self.narrow:
            return
        self.narrow = narrow
        if narrow:
            self.body.setDirection(QBoxLayout.Direction.TopToBottom)
            self.panel.setMaximumWidth(WIDGET_MAX)
        else:
            self.body.setDirection(QBoxLayout.Direction.LeftToRight)
            self.panel.setMaximumWidth(420)
        self.panel.set_foldable(narrow)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt override
        """Choose the layout for the width the page has."""
        super().resizeEvent(event)
        self.set_narrow(event.size().width() < NARROW_WIDTH)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        """Escape goes back to the elder page."""
        if event.key() == Qt.Key.Key_Escape:
            self.back_requested.emit()
            return
        super().keyPressEvent(event)


def _exec_accepted(dialog: QDialog) -> bool:
    """Show a dialog modally; True when it was accepted."""
    return dialog.exec() == QDialog.DialogCode.Accepted
