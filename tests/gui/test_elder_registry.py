"""The registry on the desktop (real store, offscreen widgets): 注销 from the elder page stops
new work and says why, restoring needs a supervisor and a reason, roster provenance is shown
beside the attributes, and 新建老人 shows possible duplicates before saving."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from pytestqt.qtbot import QtBot

from app.common.context import AppContext
from app.elder.new_elder_dialog import NewElderDialog
from app.elder.page import ElderPage
from assessment.records.demo import DEMO_PASSWORD, DEMO_SUPERVISOR
from assessment.records.workspace import Workspace
from tests.gui.conftest import KNOWN_ID, KNOWN_NAME


def test_deregister_from_the_elder_page(qtbot: QtBot, ctx: AppContext,
                                        data_dir: Path, tmp_path: Path) -> None:
    workspace = ctx.workspace
    assert isinstance(workspace, Workspace)
    found = workspace.elders.find_by_id_number(KNOWN_ID)
    assert found is not None
    page = ElderPage(ctx)
    qtbot.addWidget(page)
    page.show()
    page.open(found.elder_id)
    panel = page.status_panel
    assert panel.status.text() == "状态：在册"
    assert page.new_button.isEnabled()
    assert not panel.restore_button.isVisible()
    day = date.today() - timedelta(days=1)
    panel.ask_deregistration = lambda: ("death", day, "家属告知")
    with qtbot.waitSignal(page.elder_saved):
        panel.deregister_button.click()
    assert panel.status.text() == f"状态：已注销（死亡）（{day.isoformat()} 起）"
    assert not page.new_button.isEnabled()
    assert "已注销" in page.new_button.toolTip()
    assert not panel.deregister_button.isEnabled()
    # An assessor sees 恢复在册 but may not use it.
    assert panel.restore_button.isVisible()
    assert not panel.restore_button.isEnabled()
    page.grab().save(str(tmp_path / "deregistered.png"))
    page.close()
    # The roster still lists the elder (nothing is deleted) and says why there is no work.
    from app.register.model import RegisterModel

    model = RegisterModel(workspace.elders, ctx.form.grade_name)
    note = [c.header for c in model.columns].index("备注")
    shown = {model.index(r, 0).data(): model.index(r, note).data()
             for r in range(model.rowCount())}
    assert shown[found.name] == f"已注销（{day.isoformat()} 起）"

    # A supervisor restores with a reason; an empty reason is refused on the page.
    workspace.close()
    boss = Workspace.open(data_dir, DEMO_SUPERVISOR, DEMO_PASSWORD)
    try:
        boss_ctx = AppContext.create(boss, data_dir)
        page = ElderPage(boss_ctx)
        qtbot.addWidget(page)
        page.show()
        page.open(found.elder_id)
        panel = page.status_panel
        assert panel.restore_button.isEnabled()
        panel.ask_restore = lambda: "  "
        panel.restore_button.click()
        assert panel.problem.isVisible()
        assert "理由" in panel.problem.text()
        panel.ask_restore = lambda: "误报，本人健在"
        with qtbot.waitSignal(page.elder_saved):
            panel.restore_button.click()
        assert panel.status.text() == "状态：在册"
        assert page.new_button.isEnabled()
    finally:
        boss.close()


def test_provenance_beside_the_attributes(qtbot: QtBot, ctx: AppContext,
                                          tmp_path: Path) -> None:
    workspace = ctx.workspace
    assert isinstance(workspace, Workspace)
    from assessment.usecases.registry_import import import_office_file

    roster = tmp_path / "dibao.csv"
    roster.write_bytes(f"公民身份号码,姓名\n{KNOWN_ID},{KNOWN_NAME}\n".encode("utf-8-sig"))
    summary = import_office_file(workspace, roster, kind="dibao", source="县民政局",
                            as_of=date.today())
    assert summary["updated"] == 1
    found = workspace.elders.find_by_id_number(KNOWN_ID)
    assert found is not None
    page = ElderPage(ctx)
    qtbot.addWidget(page)
    page.show()
    page.open(found.elder_id)
    text = page.status_panel.sources.text()
    assert text.startswith(f"救助身份来源：县民政局 {date.today().isoformat()}（导入 ")
    assert str(summary["import_id"])[-8:] in text


def test_new_elder_dialog_shows_possible_duplicates_first(qtbot: QtBot,
                                                          ctx: AppContext) -> None:
    workspace = ctx.workspace
    dialog = NewElderDialog(workspace)
    qtbot.addWidget(dialog)
    # 张三丰 again, with another valid number of the same birth date: same name and birth.
    from assessment.identity import make_resident_id

    other = make_resident_id("140421", date(1941, 3, 5), 457, male=True)
    dialog.edits["name"].setText(KNOWN_NAME)
    dialog.edits["id_number"].setText(other)
    dialog.edits["township"].setText("荫城镇")
    dialog.edits["village"].setText("东关村")  # required
    before = workspace.elders.count(__import__("assessment.records.api",
                                               fromlist=["RegisterFilter"]).RegisterFilter())
    dialog.submit()
    assert dialog.created is None
    assert not dialog.general.isHidden()
    assert "可能是同一人" in dialog.general.text()
    assert "姓名读音和出生日期相同" in dialog.general.text()
    assert dialog.ok_button.text() == "仍然建档"
    dialog.submit()  # confirmed: saved
    assert dialog.created is not None
    assert workspace.elders.count(__import__("assessment.records.api",
                                             fromlist=["RegisterFilter"]).RegisterFilter()) == \
        before + 1


def test_legacy_15_digit_number_of_a_registered_elder_is_shown_first(
        qtbot: QtBot, ctx: AppContext) -> None:
    dialog = NewElderDialog(ctx.workspace)
    qtbot.addWidget(dialog)
    legacy = KNOWN_ID[:6] + KNOWN_ID[8:17]  # the same person's old 15-digit number
    dialog.edits["name"].setText("张三")
    dialog.edits["id_number"].setText(legacy)
    dialog.edits["village"].setText("东关村")  # required
    dialog.submit()
    assert dialog.created is None
    assert "15 位旧号码与 18 位号码为同一号码" in dialog.general.text()
    dialog.submit()
    assert dialog.created is None  # the store refuses the same number all the same
    assert "已登记" in dialog.problems["id_number"].text()


def test_roster_import_dialog_previews_then_imports(qtbot: QtBot, ctx: AppContext,
                                                    tmp_path: Path) -> None:
    from openpyxl import Workbook

    from app.elder.registry_import_dialog import RegistryImportDialog

    workspace = ctx.workspace
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["公民身份号码", "姓名", "优抚类别"])
    sheet.append([KNOWN_ID, "张三峰", "在乡复员军人"])
    sheet.append(["110101193001010018", "某人", "烈士遗属"])
    sheet.append([KNOWN_ID[:-1] + "0", "坏号", "烈士遗属"])
    path = tmp_path / "veterans.xlsx"
    book.save(path)
    dialog = RegistryImportDialog(workspace)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.path.setText(str(path))
    dialog.kind.setCurrentIndex(dialog.kind.findData("veteran"))
    dialog.source.setText("县退役军人事务局")
    assert dialog.run(dry_run=False) is None  # 导入 needs a preview first
    assert "请先预览" in dialog.problem.text()
    task = dialog.run(dry_run=True)
    assert task is not None
    qtbot.waitUntil(lambda: dialog.summary is not None, timeout=20000)
    text = dialog.summary_view.toPlainText()
    assert text.startswith("预览（尚未写入）：共 3 行，匹配 1 人，更新 1 人")
    assert "第 3 行：110101193001010018" in text
    assert "第 4 行【公民身份号码】" in text
    assert "登记为“张三丰”，名单为“张三峰”" in text
    found = workspace.elders.find_by_id_number(KNOWN_ID)
    assert found is not None
    assert not workspace.elders.get(found.elder_id).attributes.get("veteran_status")
    assert dialog.import_button.isEnabled()
    dialog.summary = None
    with qtbot.waitSignal(dialog.imported, timeout=20000):
        dialog.import_button.click()
    assert workspace.elders.get(found.elder_id).attributes["veteran_status"] == ["在乡复员军人"]
    assert dialog.summary_view.toPlainText().startswith("已导入")
    # Changing an input asks for a new preview.
    dialog.source.setText("别的来源")
    assert not dialog.import_button.isEnabled()
    dialog.grab().save(str(tmp_path / "import.png"))


def test_merged_into_another_township_is_a_read_only_view(qtbot: QtBot, ctx: AppContext,
                                                          tmp_path: Path) -> None:
    """The county merged this record into another township's: the page says where, and
    offers no new assessment and no 注销."""
    from assessment.records.registry_store import store_status
    from assessment.registry.status import MERGED, ElderStatus

    workspace = ctx.workspace
    assert isinstance(workspace, Workspace)
    found = workspace.elders.find_by_id_number(KNOWN_ID)
    assert found is not None
    merged = ElderStatus(found.elder_id, MERGED, None, date.today(), "重复登记",
                         merged_into="01a20000-0000-7000-8000-000000000001",
                         into_township="西火镇", version=1)
    with workspace._store.writing() as (session, _state):  # as a pull from the county stores it
        store_status(session, merged, hlc=1, device_id="county")
    page = ElderPage(ctx)
    qtbot.addWidget(page)
    page.show()
    page.open(found.elder_id)
    panel = page.status_panel
    assert panel.status.text() == "状态：已合并到其他乡镇的老人（西火镇），只读"
    assert not page.new_button.isEnabled()
    assert not panel.deregister_button.isEnabled()
    assert not panel.restore_button.isVisible()
    page.grab().save(str(tmp_path / "merged.png"))
    page.close()
