"""完成评估 shows a review first: result, C.4 reasons, open warnings and missing fields; a
warning is fixed or acknowledged with a reason (audited); 更正 asks for its reason.

The reported case: B.3.9 昏迷 while A.5.11 is not 有 was finalized in 0.3 s with the warning
still showing."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLabel, QPushButton
from pytestqt.qtbot import QtBot

from app.common.context import AppContext
from app.entry.correction_dialog import CorrectionReasonDialog
from app.entry.entry_page import EntryPage
from app.entry.review_dialog import ReviewDialog
from app.shell.main_window import MainWindow
from assessment.records.api import AssessmentStatus
from tests.gui.conftest import KNOWN_ID

WARNING = "A.5.11/coma_mismatch"


def coma_entry(qtbot: QtBot, ctx: AppContext, **changes: Any) -> EntryPage:
    """The entry page on a complete draft where B.3.9 is 昏迷 but A.5.11 is 无."""
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.resize(1280, 720)
    window.show()
    elder = ctx.workspace.elders.find_by_id_number(KNOWN_ID)
    assert elder is not None
    window.open_elder(elder.elder_id)
    window.elder_page.ask_reason = lambda reasons, default: "即时评估"
    window.elder_page.new_assessment()
    entry = window.entry_page
    assert entry.record is not None
    answers: dict[str, Any] = dict(entry.record.answers)
    for item in ctx.form.items:
        answers[item.key] = max(item.scores)
    answers.update({"B.3.9": 0, "B.3.9.state": "昏迷", "A.5.11": "无", "A.3.1": "张小三",
                    "A.3.2": "子女", "sign.assessor_1": "pinggu1", "sign.assessor_2": "pinggu2"})
    answers.update(changes)
    entry.open(ctx.workspace.assessments.autosave(entry.record.assessment_id,
                                      {k: v for k, v in answers.items() if v is not None}))
    return entry


def texts(dialog: ReviewDialog) -> str:
    return "\n".join(label.text() for label in dialog.findChildren(QLabel))


def test_warning_must_be_acknowledged_and_is_audited(qtbot: QtBot, ctx: AppContext) -> None:
    entry = coma_entry(qtbot, ctx)
    assert "A.5.11" in entry.panel.warnings.text()
    seen: list[str] = []

    def review(dialog: ReviewDialog) -> bool:
        shown = texts(dialog)
        seen.append(shown)
        assert "能力完全丧失（完全失能）" in shown  # C.5
        assert "☑处于昏迷状态者" in shown  # the C.4 reason it will cite
        assert "A.5.11 昏迷未选“有”" in shown
        assert not dialog.confirm_button.isEnabled()  # the warning is open
        edit = dialog.reason_edits[WARNING]
        QTest.keyClicks(edit, "x")
        assert not dialog.confirm_button.isEnabled()  # too short to be a reason
        edit.insert("家属确认：今晨起昏迷")  # Chinese arrives through the input method
        assert dialog.confirm_button.isEnabled()
        return True

    entry.run_review = review
    QTest.mouseClick(entry.panel.finalize_button, Qt.MouseButton.LeftButton)
    assert seen
    assert entry.record is not None
    assert entry.record.status is AssessmentStatus.FINALIZED
    trail = ctx.workspace.audit.trail(entry.record.assessment_id)
    final = [e for e in trail if e.action == "finalize"][-1]
    assert final.detail["acknowledged"] == {WARNING: "x家属确认：今晨起昏迷"}


def test_going_back_to_fix_the_warning(qtbot: QtBot, ctx: AppContext) -> None:
    entry = coma_entry(qtbot, ctx)

    def fix_it(dialog: ReviewDialog) -> bool:
        button = dialog.findChild(QPushButton, "goto-A.5.11")
        assert isinstance(button, QPushButton)
        QTest.mouseClick(button, Qt.MouseButton.LeftButton)
        assert dialog.result() == ReviewDialog.DialogCode.Rejected
        return False

    entry.run_review = fix_it
    QTest.mouseClick(entry.panel.finalize_button, Qt.MouseButton.LeftButton)
    assert entry.record is not None
    assert entry.record.status is AssessmentStatus.DRAFT  # nothing finalized
    row = entry.form_widget.field_row("A.5.11")
    page = entry.form_widget.stack.currentWidget()
    assert row is not None
    assert page is not None
    assert page.isAncestorOf(row)  # the page of the field to fix is shown
    # Fixed: the warning disappears and the review lets the user confirm without a reason.
    entry.apply_change({"A.5.11": "有"})
    entry.run_review = lambda dialog: (not dialog.reason_edits
                                       and dialog.confirm_button.isEnabled())
    QTest.mouseClick(entry.panel.finalize_button, Qt.MouseButton.LeftButton)
    stored = ctx.workspace.assessments.get(entry.record.assessment_id)
    assert stored.status is AssessmentStatus.FINALIZED


def test_review_lists_missing_fields(qtbot: QtBot, ctx: AppContext) -> None:
    entry = coma_entry(qtbot, ctx, **{"A.3.2": None, "sign.assessor_2": None,
                                      "A.5.11": "有"})
    shown: list[str] = []

    def review(dialog: ReviewDialog) -> bool:
        shown.append(texts(dialog))
        assert not dialog.confirm_button.isEnabled()
        return False

    entry.run_review = review
    QTest.mouseClick(entry.panel.finalize_button, Qt.MouseButton.LeftButton)
    assert "尚未完成（2 处" in shown[0]
    assert "A.3.2 与老年人的关系" in shown[0] or "A.3.2" in shown[0]
    assert "评估员 2" in shown[0]
    assert entry.record is not None
    assert entry.record.status is AssessmentStatus.DRAFT
    row = entry.form_widget.field_row("A.3.2")
    assert row is not None
    assert not row.problem.isHidden()  # marked beside the field after going back


def test_correction_asks_for_its_reason(qtbot: QtBot, ctx: AppContext) -> None:
    entry = coma_entry(qtbot, ctx, **{"A.5.11": "有"})
    entry.run_review = lambda dialog: dialog.confirm_button.isEnabled()
    entry.finalize()
    assert entry.record is not None
    original = entry.record.assessment_id
    entry.ask_correction_reason = lambda: None  # cancelled: nothing happens
    QTest.mouseClick(entry.panel.correct_button, Qt.MouseButton.LeftButton)
    assert entry.record.assessment_id == original
    assert ctx.workspace.assessments.drafts() == [] or all(
        d.supersedes != original for d in ctx.workspace.assessments.drafts())

    dialog = CorrectionReasonDialog()
    qtbot.addWidget(dialog)
    assert not dialog.ok_button.isEnabled()
    QTest.keyClicks(dialog.edit, "B.1.1 ")
    dialog.edit.insert("录入错误，已与家属核实")
    assert dialog.ok_button.isEnabled()
    entry.ask_correction_reason = dialog.reason
    QTest.mouseClick(entry.panel.correct_button, Qt.MouseButton.LeftButton)
    assert entry.record.supersedes == original
    trail = ctx.workspace.audit.trail(entry.record.assessment_id)
    started = next(e for e in trail if e.action == "start_assessment")
    assert started.detail["correction_reason"] == "B.1.1 录入错误，已与家属核实"
