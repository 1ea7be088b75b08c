"""The service-list tab: residence codes picked by name from the division table, an eligible
row shows the branch that holds (failed alternatives set apart), and the results table keeps
several rows in view at 1280×720."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.common.context import AppContext
from app.elder.attributes_editor import DivisionEditor
from app.lists.models import EligibilityModel
from app.shell.main_window import MainWindow
from assessment.eligibility import ItemResult
from assessment.eligibility.explain import holding_reasons
from assessment.eligibility.vocabulary import load_vocabulary
from assessment.records.api import RegisterFilter


def residence_editor(qtbot: QtBot) -> DivisionEditor:
    vocabulary = load_vocabulary()
    editor = DivisionEditor("residence_code", vocabulary.attributes["residence_code"])
    qtbot.addWidget(editor)
    return editor


def test_residence_is_picked_by_name(qtbot: QtBot) -> None:
    editor = residence_editor(qtbot)
    changes: list[object] = []
    editor.changed.connect(lambda: changes.append(editor.value()))
    editor.city.setCurrentIndex(editor.city.findText("长治市"))
    names = [editor.county.itemText(i) for i in range(editor.county.count())]
    assert "上党区" in names
    assert "小店区" not in names  # a Taiyuan district is not offered under Changzhi
    editor.county.setCurrentIndex(editor.county.findText("上党区"))
    assert editor.value() == "140404"
    assert editor.place.text() == "长治市 上党区"
    assert changes[-1] == "140404"


def test_a_stored_code_shows_its_name_and_other_codes_still_work(qtbot: QtBot) -> None:
    editor = residence_editor(qtbot)
    editor.set_value("140105")
    assert editor.city.currentText() == "太原市"
    assert editor.county.currentText() == "小店区"
    assert editor.place.text() == "太原市 小店区"
    editor.set_value("110101")  # outside Shanxi: kept as typed, said so
    assert editor.value() == "110101"
    assert editor.place.text() == "不在山西区划表中"
    editor.set_value(None)
    assert editor.value() is None
    assert editor.place.text() == "未登记"


def test_eligible_row_shows_the_branch_that_holds() -> None:
    reasons = ("年龄 73 ≥ 60 ✓", "年龄 73 ≥ 80 ✗", "救助身份：最低生活保障对象 ✓")
    assert holding_reasons("eligible", reasons) == (
        ("年龄 73 ≥ 60 ✓", "救助身份：最低生活保障对象 ✓"), ("年龄 73 ≥ 80 ✗",))
    assert holding_reasons("not_eligible", reasons) == (reasons, ())
    model = EligibilityModel()
    model.set_results([ItemResult("N03", "经济困难老年人养老服务补贴", "shanxi@1", "benefit",
                                  "eligible", reasons, (), "", False)])
    text = model.data(model.index(0, EligibilityModel.REASONS))
    assert "≥ 80 ✗" not in text
    assert "救助身份：最低生活保障对象 ✓" in text
    assert "另有 1 个可选条件未满足，不影响结果" in text
    tip = model.data(model.index(0, EligibilityModel.REASONS), 3)  # ToolTipRole
    assert "未满足、但不影响结果的可选条件：\n年龄 73 ≥ 80 ✗" in tip


def test_several_result_rows_in_view_at_1280x720(qtbot: QtBot, ctx: AppContext) -> None:
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.show()
    QApplication.processEvents()
    elder = ctx.workspace.elders.page(RegisterFilter(), 0, 1)[0]
    window.open_elder(elder.elder_id)
    page = window.elder_page
    page.tabs.setCurrentIndex(2)  # 服务清单
    QApplication.processEvents()
    view = page.eligibility.view
    assert page.eligibility.model.rowCount() > 3
    viewport = view.viewport()
    last = view.rowAt(viewport.height() - 1)
    shown = (last if last >= 0 else page.eligibility.model.rowCount()) - view.rowAt(0)
    assert shown >= 2  # at least three rows start inside the view (one before the change)
