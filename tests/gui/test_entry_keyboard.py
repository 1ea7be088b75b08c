"""Keyboard entry that cannot skip items: the words on screen say what the keys do, Enter on an
unanswered item stays, a jump list names the unanswered items, Ctrl+Z takes the last change of
the draft back (in the store too); and the live result shows each finished dimension at once."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLabel
from pytestqt.qtbot import QtBot

from app.common.context import AppContext
from app.entry.entry_page import EntryPage
from app.entry.item_widget import KEYBOARD_HELP, UNANSWERED_ENTER, ItemWidget
from app.shell.main_window import MainWindow
from tests.gui.test_flow import E21, digit_key, open_known_elder, start_window, type_scores


def new_draft(qtbot: QtBot, ctx: AppContext) -> tuple[MainWindow, EntryPage]:
    window = start_window(qtbot, ctx)
    open_known_elder(qtbot, window)
    window.elder_page.ask_reason = lambda reasons, default: "首次评估"
    window.elder_page.new_assessment()
    return window, window.entry_page


def focused_item() -> ItemWidget:
    widget = QApplication.focusWidget()
    assert isinstance(widget, ItemWidget)
    return widget


def test_the_page_says_what_the_keys_do(qtbot: QtBot, ctx: AppContext) -> None:
    _window, entry = new_draft(qtbot, ctx)
    texts = [label.text() for label in entry.form_widget.findChildren(QLabel)]
    assert not any("回车下一项" in text for text in texts)  # the old, wrong instruction
    assert sum(text == KEYBOARD_HELP for text in texts) == 4  # one per dimension page
    assert "选后自动到下一项" in focused_item().status.text()


def test_digit_then_enter_does_not_skip_the_next_item(qtbot: QtBot, ctx: AppContext) -> None:
    _window, entry = new_draft(qtbot, ctx)
    first = focused_item()
    assert first.item.key == "B.1.1"
    QTest.keyClick(first, digit_key(3))
    second = focused_item()
    assert second.item.key == "B.1.2"  # the digit moved on by itself
    QTest.keyClick(second, Qt.Key.Key_Return)
    assert focused_item() is second  # Enter on an unanswered item stays
    assert second.score is None
    assert second.status.text() == UNANSWERED_ENTER
    assert "B.1.2" not in entry.answers
    QTest.keyClick(second, digit_key(2))
    assert focused_item().item.key == "B.1.3"
    previous = entry.form_widget.items["B.1.2"]
    previous.setFocus()
    QTest.keyClick(previous, Qt.Key.Key_Return)  # answered: Enter moves on
    assert focused_item().item.key == "B.1.3"
    assert entry.answers["B.1.1"] == 3
    assert entry.answers["B.1.2"] == 2


def test_jump_list_shows_and_reaches_the_unanswered_items(qtbot: QtBot, ctx: AppContext) -> None:
    _window, entry = new_draft(qtbot, ctx)
    form = entry.form_widget
    assert form.jump_button.text() == "未评项（26）▾"
    type_scores(qtbot, E21[:10])
    QTest.keyClick(form.items["B.1.4"], Qt.Key.Key_Backspace)  # cleared again
    expected = [item.key for item in ctx.form.items][10:]
    expected.insert(0, "B.1.4")
    assert form.unanswered() == expected
    assert form.jump_button.text() == f"未评项（{len(expected)}）▾"
    form._fill_jump_menu()  # what opening the menu (Ctrl+J) does
    actions = form.jump_menu.actions()
    assert [action.data() for action in actions] == expected
    assert actions[0].text().startswith("B.1.4 ")
    actions[0].trigger()
    assert focused_item().item.key == "B.1.4"
    assert form.stack.currentIndex() == form.nav.currentRow()
    assert form.nav.currentItem().text().startswith("B.1")
    last = next(a for a in actions if a.data() == "B.4.5")
    last.trigger()
    assert focused_item().item.key == "B.4.5"
    assert form.nav.currentItem().text().startswith("B.4")


def test_ctrl_z_undoes_the_last_changes_of_the_draft(qtbot: QtBot, ctx: AppContext) -> None:
    _window, entry = new_draft(qtbot, ctx)
    assert entry.record is not None
    draft_id = entry.record.assessment_id
    first = focused_item()
    QTest.keyClick(first, digit_key(4))
    item = entry.form_widget.items["B.1.1"]
    item.setFocus()
    QTest.keyClick(item, digit_key(1))  # changed its mind: 4 → 1
    assert ctx.workspace.assessments.get(draft_id).answers["B.1.1"] == 1
    QTest.keyClick(focused_item(), Qt.Key.Key_Z,
                   Qt.KeyboardModifier.ControlModifier)
    assert entry.answers["B.1.1"] == 4
    assert item.score == 4
    assert focused_item() is item
    assert ctx.workspace.assessments.get(draft_id).answers["B.1.1"] == 4  # saved at once
    assert "撤销" in entry.panel.saved.text()
    QTest.keyClick(item, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert "B.1.1" not in entry.answers
    assert item.score is None
    assert ctx.workspace.assessments.get(draft_id).answers.get("B.1.1") is None
    assert not entry.undo()  # nothing left to undo


def test_each_dimension_shows_its_subtotal_when_done(qtbot: QtBot, ctx: AppContext) -> None:
    _window, entry = new_draft(qtbot, ctx)
    panel = entry.panel
    type_scores(qtbot, E21[:7])
    assert panel.subtotals["B.1"].text() == "C.1.1 自理能力得分：—（已评 7/8 项）"
    assert panel.total.text() == "C.2 初步等级得分：—"
    type_scores(qtbot, E21[7:8])
    assert panel.subtotals["B.1"].text() == "C.1.1 自理能力得分：27分"
    assert panel.total.text() == "C.2 初步等级得分：暂计 27分（1/4 个维度已评完）"
    type_scores(qtbot, E21[8:12])
    assert panel.subtotals["B.2"].text() == "C.1.2 基础运动能力得分：11分"
    assert panel.total.text() == "C.2 初步等级得分：暂计 38分（2/4 个维度已评完）"
    assert panel.final.text() == "—"  # no grade before all 26 items
    assert "未定等级" in panel.summary.text()
    type_scores(qtbot, E21[12:])
    assert panel.total.text() == "C.2 初步等级得分：73分"
