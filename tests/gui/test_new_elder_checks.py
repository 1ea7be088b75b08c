"""New elders: the village is required; a person under 60 is warned about and registered only
with a reason, which the audit trail keeps."""

from __future__ import annotations

from datetime import date

from pytestqt.qtbot import QtBot

from app.common.context import AppContext
from app.elder.new_elder_dialog import UNDER_60_ACTION, NewElderDialog
from assessment.identity import make_resident_id
from assessment.records.api import ElderProfile, RegisterFilter
from assessment.records.profiles import registration_checks


def years_ago(years: int) -> date:
    today = date.today()
    return date(today.year - years, 1, 15) if today >= date(today.year, 1, 15) \
        else date(today.year - years - 1, 1, 15)


def test_rules_in_the_core() -> None:
    young = make_resident_id("140421", years_ago(46), 301, male=True)
    profile = ElderProfile(elder_id="", name="赵中年", id_number=young, sex=None,
                           birth_date=None, township="荫城镇", village=None, address=None,
                           phone=None)
    problems, warnings = registration_checks(profile, date.today())
    assert [p.field for p in problems] == ["village"]
    assert [w.code for w in warnings] == ["under_60"]
    assert "46 周岁" in warnings[0].message
    old = make_resident_id("140421", years_ago(70), 302, male=False)
    problems, warnings = registration_checks(
        ElderProfile(elder_id="", name="钱老", id_number=old, sex=None, birth_date=None,
                     township=None, village="东关村", address=None, phone=None), date.today())
    assert (problems, warnings) == ([], [])


def test_46_year_old_without_village_is_stopped_then_kept_with_a_reason(
        qtbot: QtBot, ctx: AppContext) -> None:
    before = ctx.workspace.elders.count(RegisterFilter())
    dialog = NewElderDialog(ctx.workspace)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.edits["name"].setText("赵中年")
    dialog.edits["id_number"].setText(make_resident_id("140421", years_ago(46), 301,
                                                       male=True))
    assert dialog.young.isVisible()  # warned as soon as the number is typed
    assert "46 周岁" in dialog.young.text()
    assert dialog.reason.isVisible()
    dialog.submit()
    assert dialog.created is None
    assert dialog.problems["village"].text() == "请填写村（社区）"
    assert "建档原因" in dialog.problems["id_number"].text()
    assert ctx.workspace.elders.count(RegisterFilter()) == before  # nothing stored

    dialog.edits["village"].setText("东关村")
    dialog.submit()
    assert dialog.created is None  # still no reason
    assert dialog.problems["village"].isHidden()
    assert ctx.workspace.elders.count(RegisterFilter()) == before

    dialog.reason.setText("残疾人，乡里要求提前建档")
    with qtbot.waitSignal(dialog.accepted, timeout=2000):
        dialog.submit()
    created = dialog.created
    assert created is not None
    assert created.village == "东关村"
    assert ctx.workspace.elders.count(RegisterFilter()) == before + 1
    trail = ctx.workspace.audit.trail(created.elder_id)
    kept = [entry for entry in trail if entry.action == UNDER_60_ACTION]
    assert len(kept) == 1
    assert kept[0].detail == {"age": 46, "reason": "残疾人，乡里要求提前建档"}


def test_an_elder_of_70_needs_no_reason(qtbot: QtBot, ctx: AppContext) -> None:
    dialog = NewElderDialog(ctx.workspace)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.edits["name"].setText("钱老")
    dialog.edits["id_number"].setText(make_resident_id("140421", years_ago(70), 302,
                                                       male=False))
    assert not dialog.young.isVisible()
    assert not dialog.reason.isVisible()
    dialog.edits["village"].setText("东关村")
    with qtbot.waitSignal(dialog.accepted, timeout=2000):
        dialog.submit()
    assert dialog.created is not None
    trail = ctx.workspace.audit.trail(dialog.created.elder_id)
    assert not [entry for entry in trail if entry.action == UNDER_60_ACTION]
