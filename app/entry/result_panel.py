"""The live result beside the entry form: C.1 subtotals, C.2 total, C.3 initial grade, the C.4
boxes and C.5 final grade, with consistency warnings and the finalize button.

Nothing is computed here: :func:`evaluate` asks :mod:`assessment.scoring` and the panel shows
what it says, with the form's verbatim names and sentences. Until all items are answered no
subtotal, total or grade is shown (spec §6.1: no partial grading), only the progress.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QLabel, QPushButton, QVBoxLayout, QWidget

from app.common.fields import repolish
from assessment.errors import InputRejected, Problem
from assessment.forms import Form
from assessment.scoring import Grader, GradeResult, consistency_warnings, is_complete, split_answers


@dataclass(frozen=True, slots=True)
class Evaluation:
    """What the panel shows for one answer dict."""

    answered: Mapping[str, int]  # dimension key -> answered item count
    result: GradeResult | None
    problems: tuple[Problem, ...]  # why it cannot be graded yet (beyond missing items)
    warnings: tuple[Problem, ...]


def evaluate(grader: Grader, answers: Mapping[str, Any]) -> Evaluation:
    """Grade the answers when complete; always count progress and consistency warnings."""
    form = grader.form
    answered = {
        d.key: sum(1 for item in d.items if answers.get(item.key) is not None)
        for d in form.dimensions
    }
    scores, facts = split_answers(form, answers)
    scores = {k: v for k, v in scores.items() if v is not None}
    result: GradeResult | None = None
    problems: tuple[Problem, ...] = ()
    if is_complete(form, answers):
        try:
            result = grader.grade(scores, facts)
        except InputRejected as exc:
            problems = exc.problems
    warnings = tuple(consistency_warnings(scores, facts))
    return Evaluation(answered, result, problems, warnings)


class ResultPanel(QFrame):
    """Shows an :class:`Evaluation`; ``finalize_requested`` when 完成评估 is pressed."""

    finalize_requested = Signal()
    correct_requested = Signal()

    def __init__(self, form: Form, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.form = form
        self.setObjectName("resultPanel")
        self.setMinimumWidth(330)
        self.setMaximumWidth(420)
        layout = QVBoxLayout(self)
        layout.setSpacing(6)
        heading = QLabel(form.report.title)
        heading.setObjectName("panelTitle")
        layout.addWidget(heading)
        self.progress = QLabel()
        self.progress.setObjectName("progressLabel")
        layout.addWidget(self.progress)
        c1 = form.report.sections.get("C.1", "一级指标分级")
        layout.addWidget(self._caption(f"C.1 {c1}"))
        self.subtotals: dict[str, QLabel] = {}
        for dimension in form.dimensions:
            label = QLabel()
            label.setObjectName(f"subtotal-{dimension.key}")
            self.subtotals[dimension.key] = label
            layout.addWidget(label)
        self.total = QLabel()
        self.total.setObjectName("totalLabel")
        layout.addWidget(self.total)
        self.initial = QLabel()
        self.initial.setWordWrap(True)
        self.initial.setObjectName("initialGrade")
        layout.addWidget(self.initial)
        layout.addWidget(self._caption(f"C.4 {form.report.sections.get('C.4', '')}"))
        self.reason_labels: dict[str, QLabel] = {}
        for rule in form.change_rules:
            label = QLabel()
            label.setWordWrap(True)
            label.setObjectName(f"reason-{rule.code}")
            self.reason_labels[rule.code] = label
            layout.addWidget(label)
        layout.addWidget(self._caption(f"C.5 {form.report.sections.get('C.5', '')}"))
        self.final = QLabel()
        self.final.setWordWrap(True)
        self.final.setObjectName("finalGrade")
        layout.addWidget(self.final)
        self.warnings = QLabel()
        self.warnings.setWordWrap(True)
        self.warnings.setObjectName("warningBox")
        self.warnings.hide()
        layout.addWidget(self.warnings)
        self.messages = QLabel()
        self.messages.setWordWrap(True)
        self.messages.setObjectName("problemBox")
        self.messages.hide()
        layout.addWidget(self.messages)
        layout.addStretch(1)
        self.saved = QLabel()
        self.saved.setObjectName("savedLabel")
        layout.addWidget(self.saved)
        self.finalize_button = QPushButton("完成评估")
        self.finalize_button.setObjectName("finalizeButton")
        self.finalize_button.setToolTip("26 项评定完毕、两名评估员与信息提供者填写后可完成；"
                                        "完成后不可修改，只能更正")
        self.finalize_button.clicked.connect(self.finalize_requested)
        layout.addWidget(self.finalize_button)
        self.correct_button = QPushButton("更正（新建取代本次的评估）")
        self.correct_button.clicked.connect(self.correct_requested)
        self.correct_button.hide()
        layout.addWidget(self.correct_button)

    @staticmethod
    def _caption(text: str) -> QLabel:
        label = QLabel(text)
        label.setObjectName("panelCaption")
        label.setWordWrap(True)
        return label

    def show_evaluation(self, evaluation: Evaluation) -> None:
        """Update every label from one evaluation."""
        form = self.form
        result = evaluation.result
        total_items = len(form.items)
        done = sum(evaluation.answered.values())
        self.progress.setText(f"已评定 {done}/{total_items} 项")
        for dimension in form.dimensions:
            count = evaluation.answered[dimension.key]
            if result is not None:
                value = f"{result.subtotal(dimension.key)}分"
            else:
                value = f"—（已评 {count}/{len(dimension.items)} 项）"
            self.subtotals[dimension.key].setText(
                f"{dimension.report_key} {dimension.report_label}：{value}")
        c2 = form.report.sections.get("C.2", "初步等级得分")
        c3 = form.report.sections.get("C.3", "老年人能力初步等级")
        ticked, unticked = form.report.ticked, form.report.unticked
        if result is None:
            self.total.setText(f"C.2 {c2}：—")
            self.initial.setText(f"C.3 {c3}：—（{total_items} 项全部评定后显示）")
            for rule in form.change_rules:
                self.reason_labels[rule.code].setText(f"{unticked}{rule.text}")
            self.final.setText("—")
            self.final.setProperty("grade", -1)
        else:
            self.total.setText(f"C.2 {c2}：{result.total}分")
            self.initial.setText(f"C.3 {c3}：{form.grade_name(result.initial_grade)}")
            for rule in form.change_rules:
                mark = ticked if rule.code in result.reasons else unticked
                self.reason_labels[rule.code].setText(f"{mark}{rule.text}")
            self.final.setText(form.grade_name(result.final_grade))
            self.final.setProperty("grade", result.final_grade)
        repolish(self.final)
        notes = [p.message for p in evaluation.warnings]
        notes += [f"{p.field}：{p.message}" for p in evaluation.problems]
        self.warnings.setText("\n".join(f"⚠ {n}" for n in notes))
        self.warnings.setVisible(bool(notes))

    def show_messages(self, problems: Sequence[Problem], title: str = "") -> None:
        """Show problems that belong to no single field (or a summary) under the result."""
        lines = [title] if title else []
        lines += [f"• {p.message}" if not p.field else f"• {p.field}：{p.message}"
                  for p in problems]
        self.messages.setText("\n".join(lines))
        self.messages.setVisible(bool(lines))

    def set_state(self, *, editable: bool, can_finalize: bool, correctable: bool) -> None:
        """Draft: 完成评估 (enabled when complete); finalized: 更正 instead."""
        self.finalize_button.setVisible(editable)
        self.finalize_button.setEnabled(editable and can_finalize)
        self.correct_button.setVisible(correctable)
