"""Walk a signed-in main window through every page and report what does not fit the screen.

Used in-process by ``test_window_fit.py`` and, for other scale factors (which Qt reads only
before the application starts), as a script in a child process:

    python -m tests.gui.fit_probe DATA_DIR USERNAME PASSWORD

prints one JSON object: the available screen area (logical pixels), the window's frame and the
problems found (empty when every page fits).
"""

from __future__ import annotations

import itertools
import json
import sys
from pathlib import Path

from PySide6.QtCore import QDeadlineTimer, QRect, QThread
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QLabel,
    QScrollArea,
    QStyle,
    QStyleOptionComboBox,
    QWidget,
)

from app.common.geometry import available_area, inside_screen
from app.elder.page import ElderPage
from app.shell.main_window import MainWindow
from assessment.records.api import RegisterFilter


def settle() -> None:
    """Let pending layouts and deferred calls run."""
    for _ in range(3):
        QApplication.processEvents()


def global_rect(widget: QWidget) -> QRect:
    """A widget's rectangle in screen coordinates."""
    return QRect(widget.mapToGlobal(widget.rect().topLeft()), widget.size())


def outside(widget: QWidget, name: str) -> list[str]:
    """A problem line when ``widget`` is not shown wholly inside the available screen area."""
    if not widget.isVisible():
        return [f"{name} 未显示"]
    if not inside_screen(widget):
        return [f"{name} 超出屏幕：{global_rect(widget)} 不在 {available_area(widget)} 内"]
    return []


def clipped_labels(container: QWidget, name: str) -> list[str]:
    """Word-wrapped labels that are shorter than their text needs, or overlap the next one."""
    problems: list[str] = []
    labels = [w for w in container.findChildren(QLabel)
              if w.isVisible() and w.wordWrap() and w.text()]
    labels.sort(key=lambda w: global_rect(w).top())
    for label in labels:
        need = label.heightForWidth(label.width())
        if need > label.height() + 1:
            problems.append(f"{name} 文字被截断：{label.text()[:16]}"
                            f"（需 {need}，实 {label.height()}）")
    for upper, lower in itertools.pairwise(labels):
        if global_rect(upper).intersects(global_rect(lower)) \
                and upper.parentWidget() is lower.parentWidget():
            problems.append(f"{name} 文字重叠：{upper.text()[:12]} / {lower.text()[:12]}")
    return problems


def clipped_combos(container: QWidget, name: str) -> list[str]:
    """Visible drop-down lists whose text field is narrower than the text they show."""
    problems: list[str] = []
    for combo in container.findChildren(QComboBox):
        if not combo.isVisible() or not combo.currentText() or combo.isEditable():
            continue
        option = QStyleOptionComboBox()
        combo.initStyleOption(option)
        field = combo.style().subControlRect(QStyle.ComplexControl.CC_ComboBox, option,
                                             QStyle.SubControl.SC_ComboBoxEditField, combo)
        # the text's ink: a full-width bracket's advance is twice its ink (the open one's
        # ink in its right half, the close one's in its left)
        need = combo.fontMetrics().boundingRect(combo.currentText()).right() + 1
        if need > field.width():
            problems.append(f"{name} 下拉框文字被截断：{combo.currentText()[:16]}"
                            f"（需 {need}，实 {field.width()}）")
    return problems


def unchosen_places(tab: QWidget, name: str) -> list[str]:
    """The division pickers as an elder without a recorded place shows them (no city, the
    county list's placeholder), checked like every list; then the stored values again."""
    cities = [c for c in tab.findChildren(QComboBox)
              if c.objectName().startswith("city-") and c.isVisible()]
    if not cities:
        return []
    for city in cities:
        city.setCurrentIndex(0)
    settle()
    problems = clipped_combos(tab, f"{name}（未选区划）")
    elder_page = tab.window().findChild(ElderPage)
    if elder_page is not None:
        elder_page.revert_attributes_button.click()
        settle()
    return problems


def visits_window(window: MainWindow) -> list[str]:
    """Open 探访关爱 from the menu, wait for its plan, check it; close it."""
    visits = window.visits_menu.open_window()
    deadline = QDeadlineTimer(60_000)
    while visits.task is None or visits.task.running:
        if deadline.hasExpired():
            return ["探访关爱窗口 计划未能算出"]
        QApplication.processEvents()
        QThread.msleep(10)
    settle()
    problems = outside(visits, "探访关爱窗口") + clipped_combos(visits, "探访关爱窗口")
    visits.close()
    return problems


def walk(window: MainWindow) -> list[str]:
    """Visit roster, elder page (each tab), entry page (each form page) and the 探访关爱
    window; collect problems."""
    problems: list[str] = []
    settle()
    problems += outside(window, "主窗口")
    problems += outside(window.statusBar(), "状态栏")
    problems += outside(window.register, "花名册")
    problems += clipped_combos(window.register, "花名册")
    elder = window.ctx.workspace.elders.page(RegisterFilter(), 0, 1)[0]
    window.open_elder(elder.elder_id)
    page = window.elder_page
    for index in range(page.tabs.count()):
        page.tabs.setCurrentIndex(index)
        settle()
        tab = page.tabs.currentWidget()
        assert tab is not None
        problems += outside(tab, f"老人页“{page.tabs.tabText(index)}”")
        problems += clipped_combos(tab, f"老人页“{page.tabs.tabText(index)}”")
        problems += unchosen_places(tab, f"老人页“{page.tabs.tabText(index)}”")
    page.tabs.setCurrentIndex(0)
    page.ask_reason = lambda reasons, default: default or reasons[0]
    page.new_assessment()
    entry = window.entry_page
    form = entry.form_widget
    for row in range(form.nav.count()):
        form.nav.setCurrentRow(row)
        settle()
        title = form.nav.item(row).text()
        current = form.stack.currentWidget()
        assert current is not None
        problems += outside(current, f"评估页“{title}”")
        if isinstance(current, QScrollArea) and current.horizontalScrollBar().isVisible():
            problems.append(f"评估页“{title}” 内容比窗口宽，需要横向滚动")
        problems += clipped_combos(current, f"评估页“{title}”")
    problems += outside(entry.panel, "结果栏")
    problems += outside(entry.panel.finalize_button, "完成评估按钮")
    if not entry.panel.folded:
        problems += clipped_labels(entry.panel.details, "结果栏")
    problems += outside(window.statusBar(), "状态栏（评估页）")
    problems += visits_window(window)
    return problems


def main(argv: list[str]) -> int:
    """Sign in to ``DATA_DIR`` through the app controller, walk, print JSON."""
    from app.shell.main import AppController, configure
    from app.shell.store import opener_for

    data_dir, username, password = Path(argv[0]), argv[1], argv[2]
    app = QApplication(sys.argv[:1])
    configure(app)
    controller = AppController(app, data_dir, opener_for(data_dir))
    controller.start()
    controller.signin.username.setText(username)
    controller.signin.password.setText(password)
    controller.signin.submit()
    window = controller.window
    assert window is not None, "sign-in failed"
    settle()
    area = available_area(window)
    frame = window.frameGeometry()
    problems = walk(window)
    print(json.dumps({
        "screen": [area.x(), area.y(), area.width(), area.height()],
        "frame": [frame.x(), frame.y(), frame.width(), frame.height()],
        "scale": window.devicePixelRatio(),
        "problems": problems,
    }, ensure_ascii=False))
    controller.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
