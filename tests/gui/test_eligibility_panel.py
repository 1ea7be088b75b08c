"""The elder page's service-list panel on the real store: results, reasons, what to ask, and
live updates when an attribute is edited or an assessment is finalized."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from app.common.context import AppContext
from app.elder.attributes_editor import BoolEditor, ChoiceEditor
from app.elder.page import ElderPage
from app.lists.install import load_app_lists
from app.lists.models import EligibilityModel
from assessment.eligibility import match_profile
from assessment.records.api import ElderProfile
from tests.gui.conftest import KNOWN_ID, KNOWN_NAME


def known_elder(ctx: AppContext) -> ElderProfile:
    found = ctx.workspace.elders.find_by_id_number(KNOWN_ID)
    assert found is not None
    assert found.name == KNOWN_NAME
    return found


def open_page(qtbot: QtBot, ctx: AppContext, elder_id: str) -> ElderPage:
    page = ElderPage(ctx)
    qtbot.addWidget(page)
    page.resize(1300, 800)
    page.show()
    page.open(elder_id)
    page.tabs.setCurrentIndex(2)
    return page


def shown(page: ElderPage) -> dict[str, str]:
    """Item id → result code, as the panel's model shows them."""
    model = page.eligibility.model
    return {model.item(row).id: model.data(model.index(row, EligibilityModel.RESULT),
                                           Qt.ItemDataRole.UserRole)
            for row in range(model.rowCount())}


def finalize_assessment(ctx: AppContext, elder_id: str, *, lowest: bool) -> int:
    """Finalize a complete assessment through the store; return its final grade."""
    ws = ctx.workspace
    draft = ws.assessments.start(elder_id, "首次评估")
    answers: dict[str, Any] = dict(draft.answers)
    for item in ctx.form.items:
        answers[item.key] = min(item.scores) if lowest else max(item.scores)
    if lowest:
        answers["B.3.9.state"] = "昏睡"
    answers.update({"A.3.1": "张小三", "A.3.2": "子女", "sign.assessor_1": "pinggu1",
                    "sign.assessor_2": "pinggu2"})
    ws.assessments.autosave(draft.assessment_id, answers)
    final = ws.assessments.finalize(draft.assessment_id).final_grade
    assert final is not None
    return final


def test_panel_shows_every_item_as_the_engine_does(qtbot: QtBot, ctx: AppContext,
                                                   qtmodeltester: ModelTester) -> None:
    elder = known_elder(ctx)
    page = open_page(qtbot, ctx, elder.elder_id)
    expected = match_profile({k: v for k, v in elder.attributes.items() if v is not None},
                             None, load_app_lists(ctx.data_dir))
    assert shown(page) == {item.id: item.result for item in expected.items}
    results = shown(page)
    assert results["N01"] == "eligible"
    assert results["N02"] == "eligible"
    # The explanation is the engine's, in Chinese, beside the item.
    model = page.eligibility.model
    row = next(r for r in range(model.rowCount()) if model.item(r).id == "N02")
    assert "≥ 80 ✓" in model.data(model.index(row, EligibilityModel.REASONS))
    assert model.data(model.index(row, EligibilityModel.RESULT)) == "✓ 符合"
    # List version shown, the provisional list marked 暂行.
    assert "shanxi-provisional@" in page.eligibility.lists_label.text()
    assert "暂行" in page.eligibility.lists_label.text()
    assert page.eligibility.provisional.isVisibleTo(page)
    qtmodeltester.check(model)  # type: ignore[no-untyped-call]
    page.grab().save("/tmp/elig/test_panel.png")


def test_undetermined_items_say_what_to_ask(qtbot: QtBot, ctx: AppContext) -> None:
    page = open_page(qtbot, ctx, known_elder(ctx).elder_id)  # no attributes recorded
    assert shown(page)["N07"] == "undetermined"
    model = page.eligibility.model
    row = next(r for r in range(model.rowCount()) if model.item(r).id == "N07")
    assert model.data(model.index(row, EligibilityModel.MISSING)) == "救助身份"
    assert "救助身份：未登记 ?" in model.data(model.index(row, EligibilityModel.REASONS))
    assert "救助身份" in page.eligibility.questions()
    assert page.eligibility.ask.text().startswith("需核实")


def test_editing_an_attribute_updates_at_once(qtbot: QtBot, ctx: AppContext) -> None:
    page = open_page(qtbot, ctx, known_elder(ctx).elder_id)
    editor = page.attribute_editor
    assert editor is not None
    status = editor.editors["assistance_status"]
    assert isinstance(status, ChoiceEditor)
    status.combo.setCurrentIndex(status.combo.findData("dibao"))
    results = shown(page)
    assert results["N07"] == "eligible"
    assert results["N05"] == "not_eligible"
    assert page.eligibility.unsaved.isVisibleTo(page)
    assert "救助身份" not in page.eligibility.questions()
    insured = editor.editors["ltc_insured"]
    assert isinstance(insured, BoolEditor)
    insured.buttons[True].setChecked(True)
    status.combo.setCurrentIndex(status.combo.findData("none"))
    assert shown(page)["N07"] == "not_eligible"
    # How long this takes on the GUI thread is measured by benchmarks/gui_eligibility.py.


def test_a_finalized_assessment_updates_the_panel(qtbot: QtBot, ctx: AppContext) -> None:
    elder = known_elder(ctx)
    page = open_page(qtbot, ctx, elder.elder_id)
    assert shown(page)["N13"] == "undetermined"  # capability grade unknown
    assert "能力等级" in page.eligibility.questions()
    grade = finalize_assessment(ctx, elder.elder_id, lowest=True)
    assert grade == 4
    page.reload_history()  # what the page does when the user comes back from the entry
    results = shown(page)
    assert results["N13"] == "eligible"
    assert results["N06"] != "eligible"  # needs 特困, still unknown
    assert "能力等级" not in page.eligibility.questions()
    assert page.profile is not None
    assert page.profile.attributes["capability_grade"] == 4


def test_the_selected_item_shows_the_sentence_it_implements(qtbot: QtBot, ctx: AppContext) -> None:
    """Seed 003 §21: 对分散供养特困人员中的高龄、失能、残疾老年人家庭实施居家适老化改造."""
    page = open_page(qtbot, ctx, known_elder(ctx).elder_id)
    panel = page.eligibility
    assert "选中一个条目" in panel.source_text()
    model = panel.model
    row = next(r for r in range(model.rowCount()) if model.item(r).id == "N12")
    panel.view.setCurrentIndex(model.index(row, EligibilityModel.NAME))
    text = panel.source_text()
    assert text.startswith("N12 居家适老化改造")
    assert "003_9e25c00274b5eed5.txt" in text
    assert "对分散供养特困人员中的高龄、失能、残疾老年人家庭实施居家适老化改造" in text
