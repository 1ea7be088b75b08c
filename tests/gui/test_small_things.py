"""The smaller findings of the village walk: names instead of usernames, a roster count that
follows a new elder, a manual lock that says so, a wrong password that says so, round chart
ticks with room for the bar labels, and 帮助 (F1) / 关于."""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCharts import QAbstractBarSeries, QBarCategoryAxis, QValueAxis
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLabel, QTableWidget
from pytestqt.qtbot import QtBot

from app.common.context import AppContext
from app.elder.history_model import HEADERS
from app.lists.install import load_app_lists
from app.shell.main import IDLE_LOCK, MANUAL_LOCK, AppController
from app.shell.main_window import MainWindow
from app.shell.sign_in import WRONG_PASSWORD
from app.shell.store import opener_for
from app.statistics.view import StatisticsView, nice_axis
from assessment import __version__
from assessment.identity import make_resident_id
from assessment.records.api import AssessmentStatus, ElderProfile, RegisterFilter
from tests.gui.conftest import PASSWORD, USERNAME
from tests.gui.test_statistics_view import sample_stats


def test_history_names_the_assessors(qtbot: QtBot, ctx: AppContext) -> None:
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    names = {a.username: a.display_name for a in ctx.workspace.accounts.all()}
    elder = next(row for row in ctx.workspace.elders.page(RegisterFilter(), 0, 40)
                 if any(r.status is AssessmentStatus.FINALIZED and r.assessor_1
                        for r in ctx.workspace.assessments.for_elder(row.elder_id)))
    window.open_elder(elder.elder_id)
    history = window.elder_page.history
    column = HEADERS.index("评估员")
    record = next(r for r in history.records if r.assessor_1)
    row = history.records.index(record)
    text = history.index(row, column).data()
    assert record.assessor_1 is not None
    assert names[record.assessor_1] in text
    assert record.assessor_1 not in text  # the username is not what is shown


def test_roster_count_follows_a_new_elder(qtbot: QtBot, ctx: AppContext) -> None:
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    before = ctx.workspace.elders.count(RegisterFilter())
    assert window.count_label.text().startswith(f"共 {before} 位老人")
    created = ctx.workspace.elders.create(ElderProfile(
        elder_id="", name="李新来", id_number=make_resident_id("140421", date(1950, 1, 2), 77,
                                                             male=True),
        sex="男", birth_date=date(1950, 1, 2), township="荫城镇", village="东关村",
        address=None, phone=None))
    window.elder_menu.elder_created.emit(created.elder_id, created.name)  # as after 建档
    assert window.count_label.text().startswith(f"共 {before + 1} 位老人")
    assert window.stack.currentWidget() is window.elder_page
    assert window.statusBar().currentMessage() == "已建档：李新来"


def signed_in(qtbot: QtBot, data_dir: Path) -> AppController:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    controller = AppController(app, data_dir, opener_for(data_dir))
    controller.start()
    qtbot.addWidget(controller.signin)
    controller.signin.username.setText(USERNAME)
    controller.signin.password.setText(PASSWORD)
    controller.signin.submit()
    assert controller.window is not None
    return controller


def test_manual_lock_says_so_and_a_wrong_password_says_so(
        qtbot: QtBot, data_dir: Path) -> None:
    controller = signed_in(qtbot, data_dir)
    assert controller.window is not None
    controller.window.lock_requested.emit()  # 锁定 (Ctrl+L)
    signin = controller.signin
    assert signin.locked
    assert signin.subtitle.text().startswith(MANUAL_LOCK)
    assert IDLE_LOCK not in signin.subtitle.text()
    signin.password.setText("not-the-password")
    signin.submit()
    assert controller.window is None
    assert signin.password_problem.text() == WRONG_PASSWORD
    signin.password.setText(PASSWORD)
    signin.submit()
    assert controller.window is not None
    controller.lock()  # the idle watcher's call
    assert signin.subtitle.text().startswith(IDLE_LOCK)
    controller.dispose()


def test_wrong_password_at_sign_in_does_not_blame_the_database(
        qtbot: QtBot, data_dir: Path) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    controller = AppController(app, data_dir, opener_for(data_dir))
    controller.start()
    qtbot.addWidget(controller.signin)
    controller.signin.username.setText(USERNAME)
    controller.signin.password.setText("wrong")
    controller.signin.submit()
    text = controller.signin.password_problem.text()
    assert "密码错误" in text
    assert "数据库" not in text
    controller.dispose()


@pytest.mark.parametrize("top", [0, 1, 3, 7, 12, 45, 99, 194, 389, 583, 778, 1000, 4321])
def test_axis_ticks_are_round_and_leave_room(top: int) -> None:
    upper, step = nice_axis(top)
    power = 10 ** math.floor(math.log10(step))
    assert step // power in (1, 2, 5)
    assert step % power == 0
    assert upper % step == 0
    assert upper >= top * 1.1
    assert 1 <= upper // step <= 10


def test_statistics_charts_use_round_ticks_and_outside_labels(qtbot: QtBot) -> None:
    view = StatisticsView()
    qtbot.addWidget(view)
    view.set_statistics(sample_stats())
    charts = view.chart_views
    assert len(charts) >= 2
    for chart_view in charts.values():
        chart = chart_view.chart()
        axes = [a for a in chart.axes() if isinstance(a, QValueAxis)]
        assert len(axes) == 1
        axis = axes[0]
        assert axis.tickType() is QValueAxis.TickType.TicksDynamic
        step = axis.tickInterval()
        assert step >= 1
        assert axis.max() % step == 0
        assert str(int(step))[0] in "125"
        assert set(str(int(step))[1:]) <= {"0"}
        for series in chart.series():
            assert isinstance(series, QAbstractBarSeries)
            assert series.labelsPosition() is QAbstractBarSeries.LabelsPosition.LabelsOutsideEnd
            top = max((s.at(i) for s in series.barSets() for i in range(s.count())), default=0)
            assert axis.max() >= top * 1.1
    grade_axis = next(a for a in charts["能力等级"].chart().axes()
                      if isinstance(a, QBarCategoryAxis))
    assert "能力轻度受损<br>（轻度失能）" in grade_axis.categories()  # two lines, not cut


def test_f1_shows_the_keyboard_reference(qtbot: QtBot, ctx: AppContext) -> None:
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    QTest.keyClick(window, Qt.Key.Key_F1)
    dialog = window.help_menu.keys_dialog
    assert dialog is not None
    assert dialog.isVisible()
    table = dialog.findChild(QTableWidget)
    assert isinstance(table, QTableWidget)
    cells = [table.item(row, 1) for row in range(table.rowCount())]
    keys = {cell.text() for cell in cells if cell is not None}
    assert {"数字键", "回车", "Ctrl+Z", "Ctrl+J", "F5", "F1", "Ctrl+L"} <= keys


def test_about_names_the_versions(qtbot: QtBot, ctx: AppContext) -> None:
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    dialog = window.help_menu.open_about()
    text = dialog.findChild(QLabel, "aboutText")
    assert isinstance(text, QLabel)
    shown = text.text()
    assert __version__ in shown
    assert ctx.form.version in shown
    registry = load_app_lists(ctx.data_dir)
    assert registry.versions
    for version in registry.versions:
        assert version.ref in shown
    dialog.close()
