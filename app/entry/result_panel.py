"""The live result beside the entry form: C.1 subtotals, C.2 total, C.3 initial grade, the C.4
boxes and C.5 final grade, with consistency warnings and the finalize button.

Nothing is computed here: :func:`evaluate` asks :mod:`assessment.scoring` and the panel shows
what it says, with the form's verbatim names and sentences. While items are open, each
dimension shows its subtotal as soon as all its items are answered, and the sum of those as a
provisional total marked 暂计; no grade is shown until all items are answered
(docs/spec/gbt42195.md §6.1: no partial grading).

The figures scroll (they never clip on a low screen) while the finalize button stays in view;
on a narrow window the entry page folds the panel to one summary line (:meth:`set_folded`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from app.common.fields import repolish
from assessment.errors import InputRejected, Problem
from assessment.forms import Form
from assessment.scoring import (
    Grader,
    GradeResult,
    consistency_warnings,
    dimension_subtotals,
    is_complete,
    split_answers,
)


@dataclass(frozen=True, slots=True)
class Evaluation:
    """What the panel shows for one answer dict."""

    answered: Mapping[str, int]  # dimension key -> answered item count
    subtotals: Mapping[str, int | None]  # dimension key -> subtotal once the dimension is done
    result: GradeResult | None
    problems: tuple[Problem, ...]  # why it cannot be graded yet (beyond missing items)
    warnings: tuple[Problem, ...]

    @property
    def provisional_total(self) -> int:
        """The sum of the completed dimensions' subtotals (暂计, not a result)."""
        return sum(v for v in self.subtotals.values() if v is not None)


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
    return Evaluation(answered, dimension_subtotals(form, answers), result, problems, warnings)


class ResultPanel(QFrame):
    """Shows an :class:`Evaluation`; ``finalize_requested`` when 完成评估 is pressed."""

    finalize_requested = Signal()
    correct_requested = Signal()
    next_problem_requested = Signal()

    def __init__(self, form: Form, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.form = form
        self.folded = False
        self.setObjectName("resultPanel")
        self.setMinimumWidth(300)
        self.setMaximumWidth(420)
        outer = QVBoxLayout(self)
        outer.setSpacing(6)
        top = QHBoxLayout()
        heading = QLabel(form.report.title)
        heading.setObjectName("panelTitle")
        heading.setWordWrap(True)
        top.addWidget(heading, 1)
        self.fold_button = QPushButton("展开")
        self.fold_button.setObjectName("foldButton")
        self.fold_button.setToolTip("显示或收起评估结果的详细内容")
        self.fold_button.clicked.connect(lambda: self.set_folded(not self.folded))
        self.fold_button.hide()
        top.addWidget(self.fold_button)
        outer.addLayout(top)
        self.summary = QLabel()
        self.summary.setObjectName("panelSummary")
        self.summary.setWordWrap(True)
        self.summary.hide()
        outer.addWidget(self.summary)
        self.details = QWidget()
        self.details.setObjectName("panelDetails")
        layout = QVBoxLayout(self.details)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        self.progress = QLabel()
        self.progress.setObjectName("progressLabel")
        layout.addWidget(self.progress)
        c1 = form.report.sections.get("C.1", "一级指标分级")
        layout.addWidget(self._caption(f"C.1 {c1}"))
        self.subtotals: dict[str, QLabel] = {}
        for dimension in form.dimensions:
            label = QLabel()
            label.setObjectName(f"subtotal-{dimension.key}")
            label.setWordWrap(True)
            self.subtotals[dimension.key] = label
            layout.addWidget(label)
        self.total = QLabel()
        self.total.setObjectName("totalLabel")
        self.total.setWordWrap(True)
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
        self.details_scroll = QScrollArea()
        self.details_scroll.setObjectName("panelScroll")
        self.details_scroll.setWidgetResizable(True)
        self.details_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.details_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.details_scroll.setWidget(self.details)
        outer.addWidget(self.details_scroll, 1)
        self.next_problem_button = QPushButton()
        self.next_problem_button.setObjectName("nextProblemButton")
        self.next_problem_button.setToolTip("逐个跳到标出的问题（F8）")
        self.next_problem_button.clicked.connect(self.next_problem_requested)
        self.next_problem_button.hide()
        outer.addWidget(self.next_problem_button)
        self.saved = QLabel()
        self.saved.setObjectName("savedLabel")
        self.saved.setWordWrap(True)
        outer.addWidget(self.saved)
        self.finalize_button = QPushButton("完成评估")
        self.finalize_button.setObjectName("finalizeButton")
        self.finalize_button.setToolTip("26 项评定完毕、两名评估员与信息提供者填写后可完成；"
                                        "完成后不可修改，只能更正")
        self.finalize_button.clicked.connect(self.finalize_requested)
        outer.addWidget(self.finalize_button)
        self.correct_button = QPushButton("更正（新建取代本次的评估）")
        self.correct_button.clicked.connect(self.correct_requested)
        self.correct_button.hide()
        outer.addWidget(self.correct_button)

    def set_problem_count(self, count: int) -> None:
        """下一处问题 while ``count`` problems are marked beside fields (hidden at 0)."""
        self.next_problem_button.setText(f"下一处问题（共 {count} 处，F8）")
        self.next_problem_button.setVisible(count > 0)

    def set_foldable(self, foldable: bool) -> None:
        """Narrow window: offer 展开/收起 and start folded; wide: always show everything."""
        self.fold_button.setVisible(foldable)
        self.set_folded(foldable)

    def set_folded(self, folded: bool) -> None:
        """Show only the summary line (folded) or all figures."""
        self.folded = folded
        self.details_scroll.setVisible(not folded)
        self.summary.setVisible(folded)
        self.fold_button.setText("展开" if folded else "收起")
        self.setSizePolicy(QSizePolicy.Policy.Preferred,
                           QSizePolicy.Policy.Maximum if folded else QSizePolicy.Policy.Preferred)

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
            subtotal = evaluation.subtotals.get(dimension.key)
            if result is not None:
                value = f"{result.subtotal(dimension.key)}分"
            elif subtotal is not None:
                value = f"{subtotal}分"
            else:
                value = f"—（已评 {count}/{len(dimension.items)} 项）"
            self.subtotals[dimension.key].setText(
                f"{dimension.report_key} {dimension.report_label}：{value}")
        c2 = form.report.sections.get("C.2", "初步等级得分")
        c3 = form.report.sections.get("C.3", "老年人能力初步等级")
        ticked, unticked = form.report.ticked, form.report.unticked
        if result is None:
            finished = [d for d in form.dimensions
                        if evaluation.subtotals.get(d.key) is not None]
            if finished:
                self.total.setText(f"C.2 {c2}：暂计 {evaluation.provisional_total}分"
                                   f"（{len(finished)}/{len(form.dimensions)} 个维度已评完）")
            else:
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
        if result is not None:
            brief = f"{result.total}分 · {form.grade_name(result.final_grade)}"
        else:
            brief = f"暂计 {evaluation.provisional_total}分 · 未定等级"
        warned = f" · ⚠ {len(notes)} 条提示" if notes else ""
        self.summary.setText(f"已评定 {done}/{total_items} 项 · {brief}{warned}")

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
