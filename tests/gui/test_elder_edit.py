"""Editing an elder: the vocabulary-generated attributes editor round-trips through the store,
and 新建老人 refuses a bad ID number beside the field, then registers a good one."""

from __future__ import annotations

from datetime import date

from pytestqt.qtbot import QtBot

from app.common.context import AppContext
from app.elder.attributes_editor import (
    BoolEditor,
    ChoiceEditor,
    IntEditor,
    RecordEditor,
    SetEditor,
    TextEditor,
)
from app.elder.new_elder_dialog import NewElderDialog
from app.elder.page import ElderPage
from assessment.identity import make_resident_id
from assessment.records.api import RegisterFilter
from tests.gui.conftest import KNOWN_ID


def open_page(qtbot: QtBot, ctx: AppContext, elder_id: str) -> ElderPage:
    page = ElderPage(ctx)
    qtbot.addWidget(page)
    page.resize(1300, 800)
    page.show()
    page.open(elder_id)
    page.tabs.setCurrentIndex(2)
    return page


def test_attributes_editor_round_trips(qtbot: QtBot, ctx: AppContext) -> None:
    elder = ctx.workspace.elders.find_by_id_number(KNOWN_ID)
    assert elder is not None
    page = open_page(qtbot, ctx, elder.elder_id)
    editor = page.attribute_editor
    assert editor is not None
    # Generated from the vocabulary; derived attributes are not editable.
    assert "capability_grade" not in editor.editors
    assert "birth_date" not in editor.editors
    assert all(value is None for value in editor.values().values())  # all 未登记
    edits = editor.editors
    area = edits["area_type"]
    assert isinstance(area, ChoiceEditor)
    assert area.combo.itemText(0) == "未登记"
    area.combo.setCurrentIndex(area.combo.findText("农村"))
    living = edits["living"]
    assert isinstance(living, SetEditor)
    living.boxes["独居"].setChecked(True)
    veteran = edits["veteran_status"]
    assert isinstance(veteran, SetEditor)
    veteran.unknown.setChecked(False)  # recorded as 无 (empty set)
    children = edits["children_count"]
    assert isinstance(children, IntEditor)
    children.spin.setValue(2)
    away = edits["children_away"]
    assert isinstance(away, BoolEditor)
    away.buttons[False].setChecked(True)
    cert = edits["disability_cert"]
    assert isinstance(cert, RecordEditor)
    cert.state.setCurrentIndex(cert.state.findData("held"))
    category, grade = cert.fields["category"], cert.fields["grade"]
    assert isinstance(category, ChoiceEditor)
    assert isinstance(grade, IntEditor)
    category.combo.setCurrentIndex(category.combo.findData("肢体"))
    grade.spin.setValue(2)
    code = edits["residence_code"]
    assert isinstance(code, TextEditor)

    # Validation beside the field, in Chinese; nothing is saved.
    code.edit.setText("14042")
    assert not editor.problems["residence_code"].isHidden()
    version = ctx.workspace.elders.get(elder.elder_id).version
    page.save_attributes()
    assert ctx.workspace.elders.get(elder.elder_id).version == version
    assert "未保存" in page.attributes_status.text()
    code.edit.setText("140421")
    assert editor.problems["residence_code"].isHidden()
    # Live: 独居 + age ≥ 60 → 探访关爱 before saving.
    assert page.eligibility.result is not None
    assert page.eligibility.result.item("N11").result == "eligible"

    page.save_attributes()
    assert page.attributes_status.text() == "服务清单属性已保存。"
    stored = ctx.workspace.elders.get(elder.elder_id)
    assert stored.version == version + 1
    expected = {"area_type": "rural", "living": ["独居"], "veteran_status": [],
                "children_count": 2, "children_away": False, "residence_code": "140421",
                "disability_cert": {"category": "肢体", "grade": 2}}
    for name, value in expected.items():
        assert stored.attributes[name] == value, name
    assert stored.attributes.get("assistance_status") is None

    # Reopened, the editor shows what was stored; 未登记 again removes it.
    again = open_page(qtbot, ctx, elder.elder_id)
    assert again.attribute_editor is not None
    assert again.attribute_editor.values() == {**dict.fromkeys(editor.editors), **expected}
    reopened = again.attribute_editor.editors["living"]
    assert isinstance(reopened, SetEditor)
    reopened.unknown.setChecked(True)
    again.save_attributes()
    assert "living" not in ctx.workspace.elders.get(elder.elder_id).attributes \
        or ctx.workspace.elders.get(elder.elder_id).attributes["living"] is None
    page.grab().save("/tmp/elig/test_attributes.png")


def test_attributes_editor_offers_no_certificate(qtbot: QtBot, ctx: AppContext) -> None:
    """The store accepts ``"none"`` (vocabulary data), so the editor offers 无残疾证 by itself."""
    elder = ctx.workspace.elders.find_by_id_number(KNOWN_ID)
    assert elder is not None
    page = open_page(qtbot, ctx, elder.elder_id)
    assert page.attribute_editor is not None
    cert = page.attribute_editor.editors["disability_cert"]
    assert isinstance(cert, RecordEditor)
    index = cert.state.findData("none")
    assert index >= 0
    assert cert.state.itemText(index) == "无残疾证"
    cert.state.setCurrentIndex(index)
    page.save_attributes()
    assert page.attributes_status.text() == "服务清单属性已保存。"
    assert ctx.workspace.elders.get(elder.elder_id).attributes["disability_cert"] == "none"
    assert page.eligibility.result is not None
    reasons = page.eligibility.result.item("N11").reasons
    assert not any("残疾证：未登记" in line for line in reasons)
    again = open_page(qtbot, ctx, elder.elder_id)
    assert again.attribute_editor is not None
    assert again.attribute_editor.values()["disability_cert"] == "none"


def test_new_elder_refused_then_created(qtbot: QtBot, ctx: AppContext) -> None:
    before = ctx.workspace.elders.count(RegisterFilter())
    dialog = NewElderDialog(ctx.workspace)
    qtbot.addWidget(dialog)
    dialog.show()
    good = make_resident_id("140421", date(1942, 7, 9), 301, male=False)
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")  # wrong check digit
    dialog.edits["name"].setText("王秀兰")
    dialog.edits["id_number"].setText(bad)
    assert not dialog.problems["id_number"].isHidden()  # checked as typed
    dialog.edits["village"].setText("东关村")
    dialog.edits["phone"].setText("13912345678")
    dialog.submit()
    assert dialog.created is None
    assert dialog.problems["id_number"].text()
    assert "校验" in dialog.problems["id_number"].text() or "号码" in \
        dialog.problems["id_number"].text()
    assert ctx.workspace.elders.count(RegisterFilter()) == before
    dialog.grab().save("/tmp/elig/test_new_elder_bad.png")

    dialog.edits["id_number"].setText(good)
    assert dialog.problems["id_number"].isHidden()
    assert "1942-07-09" in dialog.derived.text()
    assert "女" in dialog.derived.text()
    with qtbot.waitSignal(dialog.accepted, timeout=2000):
        dialog.submit()
    created = dialog.created
    assert created is not None
    assert (created.sex, created.birth_date, created.village) == ("女", date(1942, 7, 9),
                                                                 "东关村")
    assert ctx.workspace.elders.count(RegisterFilter()) == before + 1

    # The same ID number again is refused beside the field.
    again = NewElderDialog(ctx.workspace)
    qtbot.addWidget(again)
    again.edits["name"].setText("王秀兰")
    again.edits["id_number"].setText(good)
    again.edits["village"].setText("东关村")  # required
    again.submit()
    assert again.created is None
    assert "已登记" in again.problems["id_number"].text()
