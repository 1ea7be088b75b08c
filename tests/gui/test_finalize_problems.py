"""Finalize problems lead to the fields: sections carry their counts, F8 / 下一处问题 steps
through every problem (page by page, then round again), and the marks and the summary go away
as soon as the last problem is fixed."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QComboBox, QWidget
from pytestqt.qtbot import QtBot

from app.common.context import AppContext
from app.entry.entry_page import EntryPage
from app.entry.review_dialog import ReviewDialog
from tests.gui.test_flow import E21, open_known_elder, start_window, type_scores


def refused_draft(qtbot: QtBot, ctx: AppContext) -> EntryPage:
    """All 26 items typed, the informant left empty; 完成评估 pressed, the review left."""
    window = start_window(qtbot, ctx)
    open_known_elder(qtbot, window)
    window.elder_page.ask_reason = lambda reasons, default: "首次评估"
    window.elder_page.new_assessment()
    entry = window.entry_page
    type_scores(qtbot, E21)

    def leave(dialog: ReviewDialog) -> bool:
        return False  # the review lists what is missing; the assessor goes back to fix it

    entry.run_review = leave
    QTest.mouseClick(entry.panel.finalize_button, Qt.MouseButton.LeftButton)
    return entry


def nav_text(entry: EntryPage, page: str) -> str:
    form = entry.form_widget
    for row in range(form.nav.count()):
        item = form.nav.item(row)
        if item.data(Qt.ItemDataRole.UserRole) == page:
            return item.text()
    raise AssertionError(page)


def test_sections_carry_counts_and_f8_steps_through(qtbot: QtBot, ctx: AppContext) -> None:
    entry = refused_draft(qtbot, ctx)
    form = entry.form_widget
    keys = form.problem_keys
    assert {"A.3.1", "A.3.2"} <= set(keys)
    pages = [form.page_of(key) for key in keys]
    assert pages == sorted(pages, key=form._page_keys.index)  # in form order
    for page in set(pages):
        assert nav_text(entry, page).endswith(f" ⚠{pages.count(page)}"), page
    assert "⚠" not in nav_text(entry, "B.1")
    panel = entry.panel
    assert panel.messages.isVisible()
    assert f"{len(keys)} 处已在字段旁标出" in panel.messages.text()
    assert panel.next_problem_button.isVisible()
    assert f"共 {len(keys)} 处" in panel.next_problem_button.text()

    visited: list[str] = []
    for _ in keys:
        QTest.keyClick(QApplication.focusWidget() or entry, Qt.Key.Key_F8)
        key = keys[len(visited)]
        visited.append(key)
        assert form.nav.currentItem().data(Qt.ItemDataRole.UserRole) == form.page_of(key)
        row = form.field_row(key)
        if row is not None:
            focused = QApplication.focusWidget()
            assert isinstance(focused, QWidget)
            assert focused is row.editor.focus_target()
    assert visited == keys
    assert entry.next_problem() == keys[0]  # round again


def fill_informant(entry: EntryPage) -> None:
    form = entry.form_widget
    provider = form.field_row("A.3.1")
    assert provider is not None
    QTest.keyClicks(provider.editor.focus_target(), "Zhang")
    relation = form.field_row("A.3.2")
    assert relation is not None
    combo = relation.editor.focus_target()
    assert isinstance(combo, QComboBox)
    combo.setCurrentIndex(3)


def test_marks_and_summary_clear_when_fixed(qtbot: QtBot, ctx: AppContext) -> None:
    entry = refused_draft(qtbot, ctx)
    form = entry.form_widget
    before = len(form.problem_keys)
    provider = form.field_row("A.3.1")
    assert provider is not None
    QTest.keyClicks(provider.editor.focus_target(), "Zhang")
    assert "A.3.1" not in form.problem_keys
    assert len(form.problem_keys) == before - 1
    assert nav_text(entry, "A.3").endswith(" ⚠1")
    assert entry.panel.messages.isVisible()
    fill_informant(entry)
    for key in list(form.problem_keys):  # whatever else the review named (sign-off fields)
        row = form.field_row(key)
        assert row is not None, key
        target = row.editor.focus_target()
        if isinstance(target, QComboBox):
            target.setCurrentIndex(max(1, target.currentIndex()))
        else:
            QTest.keyClicks(target, "jia")
    assert form.problem_keys == []
    assert "⚠" not in nav_text(entry, "A.3")
    assert not entry.panel.messages.isVisible()
    assert not entry.panel.next_problem_button.isVisible()
    assert entry.panel.saved.text() == "标出的问题已全部改正，可以完成评估。"
    assert not entry.problems_open
