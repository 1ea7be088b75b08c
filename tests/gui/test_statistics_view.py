"""The statistics window: model, charts, tables, export, and the background computation."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Protocol, cast

import pandas as pd
from PySide6.QtCore import QAbstractItemModel
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from app.common.background import BackgroundTask, CancelToken
from app.statistics.view import DataFrameModel, StatisticsView
from assessment.documents.exports import read_statistics_xlsx
from assessment.documents.statistics import TOTAL, Statistics
from assessment.records.workspace import Workspace
from assessment.usecases.statistics import statistics_job
from tests.documents.test_statistics import AS_OF, sample_input


class ModelChecker(Protocol):
    """The typed face of pytest-qt's (untyped) ``ModelTester.check``."""

    def check(self, model: QAbstractItemModel, force_py: bool = False) -> None: ...


def sample_stats() -> Statistics:
    from assessment.documents.statistics import compute_statistics

    return compute_statistics(sample_input(), as_of=AS_OF, start=date(2026, 1, 1), end=AS_OF)


def test_model_passes_the_model_tester(qtbot: QtBot, qtmodeltester: ModelTester) -> None:
    checker = cast(ModelChecker, qtmodeltester)
    model = DataFrameModel(sample_stats().grades)
    checker.check(model)
    assert model.rowCount() == len(sample_stats().grades)
    assert model.headerData(0, __import__("PySide6.QtCore").QtCore.Qt.Orientation.Horizontal) \
        == "乡镇（街道）"
    model.set_frame(pd.DataFrame({"a": [1, None]}))
    checker.check(model)


def test_view_shows_tables_and_charts_and_exports(qtbot: QtBot, tmp_path: Path) -> None:
    view = StatisticsView()
    qtbot.addWidget(view)
    stats = sample_stats()
    view.set_statistics(stats)
    assert view.tabs.count() == len(stats.tables())
    assert set(view.chart_views) == {"能力等级", "年龄与性别", "服务项目汇总"}
    assert view.export_button.isEnabled()
    assert "6 人" in view.summary.text()
    path = view.export(tmp_path / "stats.xlsx")
    back = read_statistics_xlsx(path)
    assert int(back["能力等级"].iloc[-1][TOTAL]) == 6


def test_job_over_the_workspace(qtbot: QtBot, workspace: Workspace) -> None:
    stats = statistics_job(workspace, date(2000, 1, 1), date.today())(
        lambda done, total, text="": None, CancelToken())
    assert isinstance(stats, Statistics)
    elders = workspace.counts()["elders"]
    assert stats.grades.iloc[-1][TOTAL] == elders
    assert len(stats.eligibility_summary) > 0


def test_refresh_in_the_background(qtbot: QtBot, workspace: Workspace) -> None:
    view = StatisticsView(None, workspace)
    qtbot.addWidget(view)
    task = view.refresh()
    assert isinstance(task, BackgroundTask)
    qtbot.waitUntil(lambda: view.stats is not None, timeout=60_000)
    assert view.tabs.count() == 8  # the seven tables and 月探访率 (探访关爱)
    assert view.tabs.tabText(7) == "月探访率"
