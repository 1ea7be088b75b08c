"""探访关爱 in the desktop client, on the real store: the plan per village, the visit form
(keyboard, autosaved draft, refused input), the sheet read back from its PDF, referrals."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QDate, Qt
from PySide6.QtTest import QTest
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from app.common.context import AppContext
from app.shell.main_window import MainWindow
from app.visits.window import VisitsWindow, draft_key
from assessment.records.workspace import Workspace
from assessment.usecases.visits import visit_plan


def settled(qtbot: QtBot, window: VisitsWindow) -> VisitsWindow:
    """Wait until the plan computed off the GUI thread is shown."""
    qtbot.waitUntil(lambda: window.task is not None and not window.task.running,
                    timeout=60_000)
    return window


def open_window(qtbot: QtBot, ctx: AppContext) -> VisitsWindow:
    main = MainWindow(ctx)
    qtbot.addWidget(main)
    return settled(qtbot, main.visits_menu.open_window())


def test_the_plan_of_a_village(qtbot: QtBot, ctx: AppContext,
                               qtmodeltester: ModelTester) -> None:
    window = open_window(qtbot, ctx)
    qtmodeltester.check(window.model)  # type: ignore[no-untyped-call]
    assert isinstance(ctx.workspace, Workspace)
    expected = visit_plan(ctx.workspace)
    assert window.model.rowCount() == len(expected.rows) > 0
    assert "应探访" in window.summary.text()
    assert "月探访率" in window.rate.text()
    village = expected.rows[0].village
    window.village.setCurrentIndex(window.village.findData(village))
    settled(qtbot, window)
    assert {window.model.row(r).village for r in range(window.model.rowCount())} == {village}
    assert "过去月份" not in window.rate.text()
    assert "未保存历史" in window.rate.toolTip()
    # A past month: the rate says how its tiers were computed (attributes have no history).
    last_month = date.today().replace(day=1) - timedelta(days=1)
    window.as_of.setDate(QDate(last_month.year, last_month.month, last_month.day))
    settled(qtbot, window)
    assert f"{last_month:%Y-%m} 全乡镇月探访率" in window.rate.text()
    assert "过去月份：在册状态和能力等级按该月末计算" in window.rate.text()


def test_record_a_visit_with_the_keyboard_and_a_draft(qtbot: QtBot, ctx: AppContext) -> None:
    window = open_window(qtbot, ctx)
    window.view.selectRow(0)
    row = window.model.row(0)
    dialog = window.record_selected()
    assert dialog is not None
    form = dialog.form
    QTest.keyClick(form.methods.button(2), Qt.Key.Key_Space)  # 电话
    form.checks["生活"][0].setChecked(True)
    form.checks["安全"][1].setText("煤炉无烟囱")  # QTest types ASCII only
    form.checks["安全"][0].setChecked(True)
    dialog.autosave()
    assert ctx.workspace.settings.get(draft_key(row.elder_id))["checklist"]["安全"]["note"] == \
        "煤炉无烟囱"
    dialog.reject()
    # Reopened later: the draft comes back.
    again = window.record_selected()
    assert again is not None
    assert again.form.checks["安全"][1].text() == "煤炉无烟囱"
    assert again.form.entry()["method"] == "电话"
    assert "已恢复" in again.draft_label.text()
    again.form.target.setCurrentIndex(again.form.target.findText("乡镇卫生院"))
    again.form.target_note.setText("血压高")
    again.form.add_referral.click()
    again.form.grab().save("/tmp/visits_form.png")
    again.save()
    assert again.result() == 1
    visits = window.workspace.visits.visits_for(row.elder_id)
    assert [v.method for v in visits] == ["电话"]
    assert ctx.workspace.settings.get(draft_key(row.elder_id)) is None
    assert [r.target for r in window.workspace.visits.referrals(status="open")] == ["乡镇卫生院"]
    settled(qtbot, window)
    refreshed = {window.model.row(r).elder_id: window.model.row(r).status
                 for r in range(window.model.rowCount())}
    assert refreshed[row.elder_id] == "done"


def test_bad_input_is_refused_and_nothing_is_written(qtbot: QtBot, ctx: AppContext) -> None:
    window = open_window(qtbot, ctx)
    window.view.selectRow(0)
    row = window.model.row(0)
    dialog = window.record_selected()
    assert dialog is not None
    dialog.form.visitor.clear()
    dialog.save()
    assert not dialog.problem.isHidden()
    text = dialog.problem.text()
    assert "探访方式" in text
    assert "探访人" in text
    assert "至少查看一个探访项目" in text
    assert window.workspace.visits.visits_for(row.elder_id) == []
    assert ctx.workspace.settings.get(draft_key(row.elder_id)) is not None  # kept as a draft


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext 未安装")
def test_print_the_sheet_and_close_a_referral(qtbot: QtBot, ctx: AppContext,
                                              tmp_path: Path) -> None:
    window = open_window(qtbot, ctx)
    first = window.model.row(0)
    window.village.setCurrentIndex(window.village.findData(first.village))
    settled(qtbot, window)
    window.ask_path = lambda suffix: tmp_path / f"sheet{suffix}"
    pdf = window.export(".pdf")
    assert pdf is not None
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True,
                          capture_output=True, text=True).stdout
    assert "探访关爱计划表" in text
    assert first.village in text
    assert first.name in text
    window.workspace.visits.record(first.elder_id, {
        "visit_date": date.today().isoformat(), "method": "上门", "visitor": "王村医",
        "checklist": {"生活": {"checked": True}}, "risk": "low",
        "referrals": [{"kind": "item", "target": "N12", "note": "加装扶手"}]})
    dialog = window.open_referrals()
    assert dialog.list.count() == 1
    dialog.list.setCurrentRow(0)
    dialog.ask_outcome = lambda: "已纳入改造名单"
    dialog.close_selected()
    assert dialog.list.count() == 0
    settled(qtbot, window)
    assert "已办结 1" in window.rate.text()


def test_living_cannot_be_none_in_the_editor(qtbot: QtBot) -> None:
    """空巢 needs 居住情况: an empty set is 未登记 (docs/spec/service-lists.md §3).

    So the editor offers no “无”.
    """
    from app.elder.attributes_editor import SetEditor
    from assessment.eligibility import load_vocabulary

    vocabulary = load_vocabulary()
    living = SetEditor("living", vocabulary.attributes["living"])
    qtbot.addWidget(living)
    assert living.unknown.text() == "未登记"
    living.boxes["独居"].setChecked(True)
    assert living.value() == ["独居"]
    living.boxes["独居"].setChecked(False)
    assert living.value() is None
    veterans = SetEditor("veteran_status", vocabulary.attributes["veteran_status"])
    qtbot.addWidget(veterans)
    assert "现役军人家属" in veterans.boxes
    veterans.boxes["现役军人家属"].setChecked(True)
    veterans.boxes["现役军人家属"].setChecked(False)
    assert veterans.value() == []  # no 优抚 status is a known value
