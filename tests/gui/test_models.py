"""Every custom Qt model passes qtmodeltester, on the real store."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import pytest
from PySide6.QtCore import Qt
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from app.common.context import AppContext
from app.elder.history_model import HistoryModel
from app.register import model as roster_model
from app.register.model import ELDER_ID_ROLE, PLACEHOLDER, RegisterModel
from assessment.records.api import RegisterFilter, RegisterKey, RegisterRow, RegisterSort
from assessment.records.elders import Elders
from tests.gui.conftest import DEMO_ELDERS


def test_roster_model_passes_modeltester(ctx: AppContext, qtmodeltester: ModelTester) -> None:
    model = RegisterModel(ctx.workspace.elders, ctx.form.grade_name)
    assert model.rowCount() == DEMO_ELDERS + 1
    qtmodeltester.check(model)  # type: ignore[no-untyped-call]


def test_roster_model_filters_and_sorts_in_the_store(ctx: AppContext,
                                                     qtmodeltester: ModelTester) -> None:
    model = RegisterModel(ctx.workspace.elders, ctx.form.grade_name)
    village = ctx.workspace.elders.villages()[0]
    model.set_filter(replace(model.register_filter, village=village))
    assert 0 < model.rowCount() < DEMO_ELDERS
    assert {model.index(r, 4).data() for r in range(model.rowCount())} == {village}
    qtmodeltester.check(model)  # type: ignore[no-untyped-call]
    model.set_filter(replace(model.register_filter, village=None))
    model.sort(2, Qt.SortOrder.DescendingOrder)
    assert model.register_filter.sort is RegisterSort.AGE
    assert model.register_filter.descending
    ages = [int(model.index(r, 2).data()) for r in range(model.rowCount())]
    assert ages == sorted(ages, reverse=True)
    assert isinstance(model.index(0, 0).data(ELDER_ID_ROLE), str)
    model.sort(1)  # 性别: not sortable in the store, order kept
    assert model.register_filter.sort is RegisterSort.AGE


def test_another_order_keeps_the_count_and_a_refresh_counts_again(
        ctx: AppContext, monkeypatch: pytest.MonkeyPatch) -> None:
    elders = ctx.workspace.elders
    model = RegisterModel(elders, ctx.form.grade_name)
    total = model.rowCount()
    counted: list[RegisterFilter] = []
    real = elders.count

    def counting(flt: RegisterFilter) -> int:
        counted.append(flt)
        return real(flt)

    monkeypatch.setattr(elders, "count", counting)
    model.sort(2, Qt.SortOrder.DescendingOrder)  # the same elders in another order
    assert model.register_filter.sort is RegisterSort.AGE
    assert counted == []
    assert model.rowCount() == total
    model.refresh()  # the store may have changed: count again
    assert len(counted) == 1
    village = ctx.workspace.elders.villages()[0]
    model.set_filter(replace(model.register_filter, village=village))
    assert len(counted) == 2
    assert 0 < model.rowCount() < total


def test_history_model_passes_modeltester(ctx: AppContext, qtmodeltester: ModelTester) -> None:
    workspace = ctx.workspace
    elder = workspace.elders.page(RegisterFilter(grade=1), 0, 1)[0]
    model = HistoryModel(ctx.form.grade_name)
    model.set_records(workspace.assessments.for_elder(elder.elder_id))
    assert model.rowCount() >= 1
    assert "已完成" in {model.index(r, 2).data() for r in range(model.rowCount())}
    qtmodeltester.check(model)  # type: ignore[no-untyped-call]



def test_deferred_roster_reads_pages_once_the_view_rests(qtbot: QtBot, ctx: AppContext,
                                                          qtmodeltester: ModelTester) -> None:
    model = RegisterModel(ctx.workspace.elders, ctx.form.grade_name)
    model.deferred = True
    assert model.index(0, 0).data() == PLACEHOLDER
    assert isinstance(model.index(0, 0).data(ELDER_ID_ROLE), str)  # always at once
    with qtbot.waitSignal(model.dataChanged, timeout=2000):
        pass
    assert model.index(0, 0).data() != PLACEHOLDER
    qtmodeltester.check(model)  # type: ignore[no-untyped-call]


class _PageLog:
    """The real elder register, noting how each roster page was asked for (offset, after)."""

    def __init__(self, elders: Elders) -> None:
        self._real = elders
        self.calls: list[tuple[int, object]] = []

    def count(self, flt: RegisterFilter) -> int:
        return self._real.count(flt)

    def page(self, flt: RegisterFilter, offset: int, limit: int,
             after: RegisterKey | None = None) -> Sequence[RegisterRow]:
        self.calls.append((offset, after))
        return self._real.page(flt, offset, limit, after)


def test_roster_model_reads_the_next_page_past_the_last_key(
        ctx: AppContext, qtmodeltester: ModelTester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(roster_model, "PAGE_SIZE", 7)
    log = _PageLog(ctx.workspace.elders)
    model = RegisterModel(log, ctx.form.grade_name)
    model.sort(2, Qt.SortOrder.DescendingOrder)  # birth dates: a nullable leading column
    for flt in (model.register_filter, replace(model.register_filter, sort=RegisterSort.NAME)):
        model.set_filter(flt)
        log.calls.clear()
        shown = [model.index(r, 0).data(ELDER_ID_ROLE) for r in range(model.rowCount())]
        expected = [r.elder_id for r in ctx.workspace.elders.page(flt, 0, 10_000)]
        assert shown == expected
        assert len(log.calls) == -(-len(expected) // 7) > 3
        assert log.calls[0] == (0, None)
        assert all(offset == 0 and after is not None for offset, after in log.calls[1:])
    # A jump far ahead counts rows past the nearest page start known before it.
    model.set_filter(model.register_filter)
    log.calls.clear()
    model.index(7 * 2 + 3, 0).data()
    assert log.calls == [(7 * 2, None)]
    model.index(7 * 3, 0).data()
    assert log.calls[-1][0] == 0
    assert log.calls[-1][1] is not None
    qtmodeltester.check(model)  # type: ignore[no-untyped-call]
