"""乡镇服务名单 on the real store: counts equal the per-person and batch engines, tables show
what is missing, exports read back with pandas; every model passes qtmodeltester."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from app.common.context import AppContext
from app.lists.install import load_app_lists
from app.lists.models import ItemCountsModel, ListVersionsModel, RosterTableModel
from app.lists.township_rosters import TownshipRostersView
from assessment.eligibility import match_frame, match_profile
from assessment.records.api import RegisterFilter
from assessment.records.workspace import Workspace
from assessment.usecases.rosters import item_counts, registry_frame

AS_OF = date(2026, 6, 1)


def per_person_counts(ctx: AppContext) -> dict[str, tuple[int, int]]:
    """Counts by matching every elder one by one (the independent reference)."""
    registry = load_app_lists(ctx.data_dir)
    ws = ctx.workspace
    total = ws.elders.count(RegisterFilter())
    counts: dict[str, list[int]] = {}
    for row in ws.elders.page(RegisterFilter(), 0, total):
        attrs = {k: v for k, v in ws.elders.get(row.elder_id).attributes.items() if v is not None}
        for item in match_profile(attrs, AS_OF, registry).items:
            pair = counts.setdefault(item.id, [0, 0])
            pair[0] += item.result == "eligible"
            pair[1] += item.result == "undetermined"
    return {k: (v[0], v[1]) for k, v in counts.items()}


def computed_view(qtbot: QtBot, ctx: AppContext) -> TownshipRostersView:
    view = TownshipRostersView(ctx.workspace, load_app_lists(ctx.data_dir), as_of=AS_OF)
    qtbot.addWidget(view)
    view.show()
    task = view.refresh()
    with qtbot.waitSignal(task.finished, timeout=30000):
        pass
    assert view.rosters is not None
    return view


def test_counts_match_the_engines_and_tables_show_missing(
        qtbot: QtBot, ctx: AppContext, qtmodeltester: ModelTester) -> None:
    view = computed_view(qtbot, ctx)
    rosters = view.rosters
    assert rosters is not None
    shown = {view.counts.count(r).item_id: (view.counts.count(r).eligible,
                                            view.counts.count(r).undetermined)
             for r in range(view.counts.rowCount())}
    # Same as the batch API on the same frame …
    registry = load_app_lists(ctx.data_dir)
    assert isinstance(ctx.workspace, Workspace)
    frame = registry_frame(ctx.workspace, registry).frame
    batch = {c.item_id: (c.eligible, c.undetermined)
             for c in item_counts(match_frame(frame, AS_OF, registry))}
    assert shown == batch
    # … and as matching every elder one by one.
    reference = per_person_counts(ctx)
    assert {k: v for k, v in shown.items() if k in reference} == reference
    assert len(rosters.frame) == ctx.workspace.elders.count(RegisterFilter())
    assert sum(e for e, _ in shown.values()) > 0
    assert sum(u for _, u in shown.values()) > 0

    # The selected item's table: eligible first, then undetermined with what is missing.
    item_id = next(k for k, (e, u) in shown.items() if e and u)
    row = next(r for r in range(view.counts.rowCount())
               if view.counts.count(r).item_id == item_id)
    view.items_view.selectRow(row)
    model = view.roster
    names = model.column_names()
    result_at, missing_at = names.index("结果"), names.index("待补充信息")
    results = [model.data(model.index(r, result_at)) for r in range(model.rowCount())]
    eligible, undetermined = shown[item_id]
    assert results == ["符合"] * eligible + ["待核实"] * undetermined
    assert all(model.data(model.index(r, missing_at)) for r in range(eligible, len(results)))
    assert view.roster_view.isColumnHidden(names.index("项目编号"))
    qtmodeltester.check(view.counts)  # type: ignore[no-untyped-call]
    qtmodeltester.check(model)  # type: ignore[no-untyped-call]
    view.grab().save("/tmp/elig/test_township.png")


def test_exports_read_back_with_pandas(qtbot: QtBot, ctx: AppContext, tmp_path: Path) -> None:
    view = computed_view(qtbot, ctx)
    rosters = view.rosters
    assert rosters is not None
    targets = {".xlsx": tmp_path / "名单.xlsx", ".csv": tmp_path / "名单.csv"}
    view.ask_path = lambda suffix: targets[suffix]
    for suffix, button in ((".xlsx", view.excel_button), (".csv", view.csv_button)):
        assert button.isEnabled()
        task = view.export_dialog(suffix)
        assert task is not None
        with qtbot.waitSignal(task.finished, timeout=30000):
            pass
        assert str(targets[suffix]) in view.status.text()
    sheets = pd.read_excel(targets[".xlsx"], sheet_name=None)
    assert "说明" in sheets
    for item_id, table in rosters.tables.items():
        assert len(sheets[item_id[:31]]) == len(table)
    csv = pd.read_csv(targets[".csv"], encoding="utf-8-sig")
    assert len(csv) == sum(len(t) for t in rosters.tables.values())
    eligible = sum(c.eligible for c in rosters.counts)
    assert int((csv["结果"] == "符合").sum()) == eligible


def test_cancel_stops_the_computation(qtbot: QtBot, ctx: AppContext) -> None:
    view = TownshipRostersView(ctx.workspace, load_app_lists(ctx.data_dir), as_of=AS_OF)
    qtbot.addWidget(view)
    task = view.refresh()
    task.cancel()
    with qtbot.waitSignal(task.finished, timeout=30000):
        pass
    assert view.rosters is None
    assert "取消" in view.status.text()
    assert not view.excel_button.isEnabled()


def test_versions_model_passes_the_model_tester(ctx: AppContext,
                                                qtmodeltester: ModelTester) -> None:
    registry = load_app_lists(ctx.data_dir)
    model = ListVersionsModel()
    model.set_versions(registry.versions, [v.ref for v in registry.in_force(AS_OF)])
    qtmodeltester.check(model)  # type: ignore[no-untyped-call]
    empty_counts, empty_roster = ItemCountsModel(), RosterTableModel()
    qtmodeltester.check(empty_counts)  # type: ignore[no-untyped-call]
    qtmodeltester.check(empty_roster)  # type: ignore[no-untyped-call]
