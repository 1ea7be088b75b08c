"""Finalizing an assessment in the entry page re-matches the open elder page's service-list
panel at once (main window wiring of ``EntryPage.finalized``), without leaving the entry page."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from app.common.context import AppContext
from app.shell.main_window import MainWindow
from assessment.records.api import AssessmentStatus
from tests.gui.conftest import KNOWN_ID
from tests.gui.test_eligibility_panel import shown
from tests.gui.test_flow import confirm_if_possible


def test_finalize_refreshes_the_open_elder_panel(qtbot: QtBot, ctx: AppContext) -> None:
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.show()
    elder = ctx.workspace.elders.find_by_id_number(KNOWN_ID)
    assert elder is not None
    window.open_elder(elder.elder_id)
    page = window.elder_page
    page.tabs.setCurrentIndex(2)
    before = shown(page)
    # Never assessed: whether the elder is 失能 is unknown.
    assert before["N13"] == "undetermined"

    page.ask_reason = lambda reasons, default: "首次评估"
    QTest.mouseClick(page.new_button, Qt.MouseButton.LeftButton)
    entry = window.entry_page
    assert window.stack.currentWidget() is entry
    assert entry.record is not None
    answers: dict[str, Any] = dict(entry.record.answers)
    for item in ctx.form.items:
        answers[item.key] = min(item.scores)  # every item at its lowest: 完全失能
    answers.update({"B.3.9.state": "昏睡", "A.3.1": "张小三", "A.3.2": "子女",
                    "sign.assessor_1": "pinggu1", "sign.assessor_2": "pinggu2"})
    entry.open(ctx.workspace.assessments.autosave(entry.record.assessment_id, answers))

    entry.run_review = confirm_if_possible
    QTest.mouseClick(entry.panel.finalize_button, Qt.MouseButton.LeftButton)

    assert entry.record.status is AssessmentStatus.FINALIZED
    assert entry.record.final_grade == 4
    assert window.stack.currentWidget() is entry  # the user never left the entry page
    after = shown(page)
    assert after["N13"] == "eligible"  # age ≥ 60 and 失能 (grade 4 ≥ 1)
    assert after != before
    assert page.profile is not None
    assert page.profile.attributes.get("capability_grade") == 4
