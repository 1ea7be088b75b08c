"""Every custom Qt model passes qtmodeltester, on the real store."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Qt
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from app.common.context import AppContext
from app.elder.history_model import HistoryModel
from app.roster.model import ELDER_ID_ROLE, PLACEHOLDER, RosterModel
from assessment.records.api import RosterFilter, RosterSort
from tests.gui.conftest import DEMO_ELDERS


def test_roster_model_passes_modeltester(ctx: AppContext, qtmodeltester: ModelTester) -> None:
    model = RosterModel(ctx.workspace, ctx.form.grade_name)
    assert model.rowCount() == DEMO_ELDERS + 1
    qtmodeltester.check(model)  # type: ignore[no-untyped-call]


def test_roster_model_filters_and_sorts_in_the_store(ctx: AppContext,
                                                     qtmodeltester: ModelTester) -> None:
    model = RosterModel(ctx.workspace, ctx.form.grade_name)
    village = ctx.workspace.villages()[0]
    model.set_filter(replace(model.roster_filter, village=village))
    assert 0 < model.rowCount() < DEMO_ELDERS
    assert {model.index(r, 4).data() for r in range(model.rowCount())} == {village}
    qtmodeltester.check(model)  # type: ignore[no-untyped-call]
    model.set_filter(replace(model.roster_filter, village=None))
    model.sort(2, Qt.SortOrder.DescendingOrder)
    assert model.roster_filter.sort is RosterSort.AGE
    assert model.roster_filter.descending
    ages = [int(model.index(r, 2).data()) for r in range(model.rowCount())]
    assert ages == sorted(ages, reverse=True)
    assert isinstance(model.index(0, 0).data(ELDER_ID_ROLE), str)
    model.sort(1)  # 性别: not sortable in the store, order kept
    assert model.roster_filter.sort is RosterSort.AGE


def test_history_model_passes_modeltester(ctx: AppContext, qtmodeltester: ModelTester) -> None:
    workspace = ctx.workspace
    elder = workspace.roster_page(RosterFilter(grade=1), 0, 1)[0]
    model = HistoryModel(ctx.form.grade_name)
    model.set_records(workspace.assessments_for(elder.elder_id))
    assert model.rowCount() >= 1
    assert "已完成" in {model.index(r, 2).data() for r in range(model.rowCount())}
    qtmodeltester.check(model)  # type: ignore[no-untyped-call]



def test_deferred_roster_reads_pages_once_the_view_rests(qtbot: QtBot, ctx: AppContext,
                                                          qtmodeltester: ModelTester) -> None:
    model = RosterModel(ctx.workspace, ctx.form.grade_name)
    model.deferred = True
    assert model.index(0, 0).data() == PLACEHOLDER
    assert isinstance(model.index(0, 0).data(ELDER_ID_ROLE), str)  # always at once
    with qtbot.waitSignal(model.dataChanged, timeout=2000):
        pass
    assert model.index(0, 0).data() != PLACEHOLDER
    qtmodeltester.check(model)  # type: ignore[no-untyped-call]
