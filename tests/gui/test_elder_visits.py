"""The elder page's 探访关爱 tab on the real store at 1280×720: the elder's visits with their
open referrals, and a visit that found a change proposes 即时评估 (状况发生变化), started with
one button through the same path as 新建评估."""

from __future__ import annotations

from datetime import date, timedelta

from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from app.common.context import AppContext
from app.elder.page import CHANGE_ASSESSMENT_REASON, ElderPage
from app.shell.main_window import MainWindow
from app.shell.style import STYLE_SHEET
from assessment.records.api import AssessmentRecord, AssessmentStatus
from tests.gui.conftest import KNOWN_ID


def elder_page(qtbot: QtBot, ctx: AppContext) -> tuple[MainWindow, ElderPage, str]:
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.setStyleSheet(STYLE_SHEET)  # as the app runs it, so the screenshot looks right
    window.resize(1280, 720)
    window.show()
    elder = ctx.workspace.elders.find_by_id_number(KNOWN_ID)
    assert elder is not None
    window.open_elder(elder.elder_id)
    return window, window.elder_page, elder.elder_id


def visit(ctx: AppContext, elder_id: str, day: date, **more: object) -> None:
    ctx.workspace.visits.record(elder_id, {
        "visit_date": day.isoformat(), "method": "上门", "visitor": "王村医",
        "checklist": {"安全": {"checked": True, "note": "夜里摔倒"}}, "risk": "high",
        **more})


def test_visits_and_the_change_proposal(qtbot: QtBot, ctx: AppContext,
                                        qtmodeltester: ModelTester) -> None:
    _window, page, elder_id = elder_page(qtbot, ctx)
    assert page.visits.rowCount() == 0
    assert page.proposal.isHidden()
    today = date.today()
    visit(ctx, elder_id, today - timedelta(days=3), method="电话", risk="low")
    visit(ctx, elder_id, today, emergency=True, change_found=True, change_note="跌倒后行走困难",
          referrals=[{"kind": "department", "target": "乡镇卫生院", "note": "复查"}])
    page.reload_history()
    qtmodeltester.check(page.visits)  # type: ignore[no-untyped-call]
    rows = [[page.visits.index(r, c).data() for c in range(page.visits.columnCount())]
            for r in range(page.visits.rowCount())]
    assert rows == [
        [today.isoformat(), "上门", "王村医", "高", "是", "乡镇卫生院"],
        [(today - timedelta(days=3)).isoformat(), "电话", "王村医", "低", "否", "无"],
    ]
    assert "（2）" in page.tabs.tabText(page.tabs.indexOf(page.visits_tab))
    assert not page.proposal.isHidden()
    assert page.proposal_text.text() == (
        f"建议即时评估（状况发生变化）：{today.isoformat()} "
        "探访发现“跌倒后行走困难”，请尽快重新评估。")
    page.tabs.setCurrentWidget(page.visits_tab)
    page.window().grab().save("/tmp/elder_visits.png")
    # The reason the button uses is one the form offers (the store refuses any other).
    assert CHANGE_ASSESSMENT_REASON in ctx.form.info_field("A.1.3").option_texts()
    with qtbot.waitSignal(page.assessment_opened) as opened:
        page.proposal_button.click()
    record = opened.args[0]
    assert isinstance(record, AssessmentRecord)
    assert record.status is AssessmentStatus.DRAFT
    assert record.reason == CHANGE_ASSESSMENT_REASON
    assert ctx.workspace.assessments.get(record.assessment_id).answers["A.1.3"] == \
        CHANGE_ASSESSMENT_REASON
    # With the draft open the button cannot start a second one.
    assert not page.proposal_button.isEnabled()


def test_a_visit_without_change_proposes_nothing(qtbot: QtBot, ctx: AppContext) -> None:
    _window, page, elder_id = elder_page(qtbot, ctx)
    visit(ctx, elder_id, date.today())
    page.reload_history()
    assert page.visits.rowCount() == 1
    assert page.proposal.isHidden()


def test_the_page_follows_the_visits_window(qtbot: QtBot, ctx: AppContext) -> None:
    """A visit saved in the 探访关爱 window shows on the open elder page at once."""
    window, page, elder_id = elder_page(qtbot, ctx)
    visits = window.visits_menu.open_window()
    qtbot.waitUntil(lambda: visits.task is not None and not visits.task.running,
                    timeout=60_000)
    row = next(r for r in range(visits.model.rowCount())
               if visits.model.row(r).elder_id == elder_id)
    visits.view.selectRow(row)
    dialog = visits.record_selected()
    assert dialog is not None
    dialog.form.methods.button(1).setChecked(True)  # 上门
    dialog.form.checks["生活"][0].setChecked(True)
    assert page.visits.rowCount() == 0
    dialog.save()
    assert dialog.result() == 1, dialog.problem.text()
    assert page.visits.rowCount() == 1
    visits.close()
