"""The assessor's whole path on the real store: find an elder by pinyin initials, open them,
enter a complete assessment with the keyboard, see the grade, finalize, correct."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.common.context import AppContext
from app.entry.item_widget import ItemWidget
from app.entry.review_dialog import ReviewDialog
from app.shell.main_window import MainWindow
from assessment.records.api import AssessmentStatus
from tests.gui.conftest import KNOWN_NAME

# Worked example E21 of the spec: 27/11/26/9, total 73, grade 1.
E21 = [4, 4, 2, 4, 3, 3, 4, 3, 4, 3, 3, 1, 4, 3, 4, 3, 4, 4, 1, 1, 2, 1, 1, 3, 1, 3]
GRADE_1 = "能力轻度受损（轻度失能）"


def digit_key(digit: int) -> Qt.Key:
    """The Qt key of a digit."""
    return Qt.Key(Qt.Key.Key_0.value + digit)


def open_known_elder(qtbot: QtBot, window: MainWindow) -> None:
    """Type ``zsf`` (pinyin initials) in the search box, Enter: the single match opens."""
    roster = window.register
    QTest.keyClicks(roster.search, "zsf")
    qtbot.waitUntil(lambda: roster.model.rowCount() == 1, timeout=3000)
    qtbot.waitUntil(lambda: roster.model.index(0, 0).data() == KNOWN_NAME, timeout=3000)
    QTest.keyClick(roster.search, Qt.Key.Key_Return)
    assert window.stack.currentWidget() is window.elder_page
    assert window.elder_page.heading.text() == KNOWN_NAME


def type_scores(qtbot: QtBot, scores: list[int]) -> None:
    """One digit per item, always to the focused widget (focus moves on by itself)."""
    for score in scores:
        focused = QApplication.focusWidget()
        assert isinstance(focused, ItemWidget)
        QTest.keyClick(focused, digit_key(score))


def confirm_if_possible(dialog: ReviewDialog) -> bool:
    """The review step as a user who confirms whenever 确认完成评估 is enabled."""
    return dialog.confirm_button.isEnabled()


def start_window(qtbot: QtBot, ctx: AppContext) -> MainWindow:
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    return window


def test_search_enter_finalize_and_correct(qtbot: QtBot, ctx: AppContext) -> None:
    window = start_window(qtbot, ctx)
    open_known_elder(qtbot, window)
    elder_page = window.elder_page
    elder_page.ask_reason = lambda reasons, default: "首次评估"
    QTest.mouseClick(elder_page.new_button, Qt.MouseButton.LeftButton)
    entry = window.entry_page
    assert window.stack.currentWidget() is entry
    assert entry.record is not None
    assert entry.record.status is AssessmentStatus.DRAFT
    first = QApplication.focusWidget()
    assert isinstance(first, ItemWidget)
    assert first.item.key == "B.1.1"

    type_scores(qtbot, E21)
    entry.run_review = confirm_if_possible

    panel = entry.panel
    assert panel.total.text().endswith("73分")
    assert panel.subtotals["B.1"].text() == "C.1.1 自理能力得分：27分"
    assert panel.initial.text().endswith(GRADE_1)
    assert panel.final.text() == GRADE_1
    assert panel.finalize_button.isEnabled()
    # Every change was autosaved through the store.
    stored = ctx.workspace.assessments.get(entry.record.assessment_id)
    assert stored.answers["B.4.5"] == 3

    # Finalizing without the information provider is refused, and the store's problems
    # appear beside those fields (the signed-in assessor is already the first assessor).
    assert stored.answers["sign.assessor_1"] == ctx.workspace.current_user.username
    QTest.mouseClick(panel.finalize_button, Qt.MouseButton.LeftButton)
    form = entry.form_widget
    for key in ("A.3.1", "A.3.2"):
        row = form.field_row(key)
        assert row is not None
        assert not row.problem.isHidden(), key
        assert row.problem.text()
    assert ctx.workspace.assessments.get(entry.record.assessment_id).status \
        is AssessmentStatus.DRAFT

    provider = form.field_row("A.3.1")
    assert provider is not None
    QTest.keyClicks(provider.editor.focus_target(), "Zhang Xiaoming")
    relation = form.field_row("A.3.2")
    assert relation is not None
    relation.editor.focus_target().setCurrentIndex(3)  # type: ignore[attr-defined]
    for key, index in (("sign.assessor_1", 1), ("sign.assessor_2", 2)):
        row = form.field_row(key)
        assert row is not None
        row.editor.focus_target().setCurrentIndex(index)  # type: ignore[attr-defined]
    QTest.mouseClick(panel.finalize_button, Qt.MouseButton.LeftButton)

    record = entry.record
    assert record is not None
    assert record.status is AssessmentStatus.FINALIZED
    assert record.final_grade == 1
    assert record.total == 73
    assert not panel.finalize_button.isVisible()
    assert panel.correct_button.isVisible()
    assert "已完成" in entry.banner.text()
    # Read-only: a digit on an item changes nothing.
    item = form.items["B.1.1"]
    QTest.keyClick(item, digit_key(0))
    assert item.score == 4

    entry.ask_correction_reason = lambda: "B.1.1 录入错误"
    QTest.mouseClick(panel.correct_button, Qt.MouseButton.LeftButton)
    correction = entry.record
    assert correction is not None
    assert correction.status is AssessmentStatus.DRAFT
    assert correction.supersedes == record.assessment_id
    assert correction.answers["B.1.1"] == 4
    assert "更正" in entry.banner.text()

    # Back on the elder page the history shows both, and the current grade.
    entry.back_requested.emit()
    assert window.stack.currentWidget() is elder_page
    assert elder_page.history.rowCount() == 2
    assert GRADE_1 in elder_page.summary.text()


def test_b39_zero_twice_records_coma(qtbot: QtBot, ctx: AppContext) -> None:
    window = start_window(qtbot, ctx)
    open_known_elder(qtbot, window)
    window.elder_page.ask_reason = lambda reasons, default: "即时评估"
    window.elder_page.new_assessment()
    entry = window.entry_page
    type_scores(qtbot, E21[:20])
    item = QApplication.focusWidget()
    assert isinstance(item, ItemWidget)
    assert item.item.key == "B.3.9"
    QTest.keyClick(item, digit_key(0))
    assert (item.score, item.state) == (0, "昏睡")
    assert QApplication.focusWidget() is item  # waits: a second 0 would mean 昏迷
    assert "再按 0" in item.status.text()
    QTest.keyClick(item, digit_key(0))
    assert (item.score, item.state) == (0, "昏迷")
    QTest.keyClick(item, Qt.Key.Key_Return)
    type_scores(qtbot, E21[21:])
    panel = entry.panel
    assert panel.total.text().endswith("71分")
    assert panel.final.text() == "能力完全丧失（完全失能）"
    assert panel.reason_labels["coma"].text().startswith("☑")
    assert "A.5.11" in panel.warnings.text()  # B.3.9 昏迷 but A.5.11 not 有
    assert entry.answers["B.3.9.state"] == "昏迷"
    stored = ctx.workspace.assessments.get(entry.record.assessment_id)  # type: ignore[union-attr]
    assert stored.answers["B.3.9.state"] == "昏迷"
