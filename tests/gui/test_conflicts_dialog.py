"""同步冲突: the conflicts kept on a real laptop store, as the dialog and the 同步 menu show them.

The laptop (the GUI test workspace) edits an elder's phone and 救助身份 offline while another
laptop of the township edits the same two fields; the other laptop's change arrives through
``apply_incoming`` and wins both fields by hybrid clock, leaving two conflicts here: the phone
(handled automatically) and the service-list attribute (for the county's review). Then the
county decides "use the other value" for the attribute; its change arrives from the county's
own device and settles that conflict on this laptop.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtTest import QTest
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from app.common.context import AppContext
from app.shell.main_window import MainWindow
from app.sync.conflicts_dialog import ConflictsDialog
from app.sync.conflicts_model import CONFLICT_ID_ROLE, ELDER_ID_ROLE, HEADERS, ConflictsModel
from app.sync.menu import SyncMenu
from assessment.records import countynotes
from assessment.records.workspace import Workspace
from assessment.sync.client import PullReport, PushReport
from assessment.usecases.sync_now import SyncOutcome
from assessment.wire.countydevice import county_device_id
from assessment.wire.crypto import b64encode, public_bytes
from assessment.wire.outbox import CountyNotices
from tests.gui.conftest import KNOWN_ID, KNOWN_NAME
from tests.sync.authors import Author

OWN_PHONE, OTHER_PHONE = "13900000001", "13900000002"
# The other laptop of the township, set up months before this one (device ids are UUIDv7).
OTHER_DEVICE = "01923c5e-7b1a-7c3d-9e4f-0a1b2c3d4e5f"


@dataclasses.dataclass
class Scene:
    """The laptop with two kept conflicts, and how to send the county's decision."""

    ws: Workspace
    elder_id: str
    other: Author
    county: Author
    version: int
    own_hlc: int

    def county_prefers_other(self) -> None:
        """The county resolves the 救助身份 conflict with this laptop's (losing) value."""
        decided = {"id": self.elder_id, "name": KNOWN_NAME,
                   "attributes": {"assistance_status": "dibao"},
                   "changed": ["attributes.assistance_status"], "version": self.version + 1,
                   "county": {"action": "prefer_other", "conflict": 7}}
        self.ws.outbox.apply_incoming([self.county.change(self.elder_id, self.version + 1,
                                                   self.own_hlc + 9, decided)], 2)


def make_scene(ws: Workspace) -> Scene:
    """Concurrent edits of the known elder's phone and 救助身份 on two laptops."""
    public = b64encode(public_bytes(Ed25519PrivateKey.generate().public_key()))
    ws.settings.set_local({countynotes.COUNTY_SIGN_PUBLIC: public})
    profile = ws.elders.find_by_id_number(KNOWN_ID)
    assert profile is not None
    own = ws.elders.save(dataclasses.replace(
        profile, phone=OWN_PHONE,
        attributes={**profile.attributes, "assistance_status": "dibao"}))
    own_hlc = next(c.hlc for c in reversed(ws.outbox.changes_after(0))
                   if c.record_type == "elder" and c.record_id == own.elder_id)
    other = Author(OTHER_DEVICE)
    payload = {"id": own.elder_id, "name": own.name, "phone": OTHER_PHONE,
               "attributes": {"assistance_status": "tekun_dispersed"},
               "changed": ["phone", "attributes.assistance_status"], "version": own.version}
    ws.outbox.apply_incoming([other.change(own.elder_id, own.version, own_hlc + 1, payload)], 1)
    return Scene(ws, own.elder_id, other, Author(county_device_id(public)), own.version,
                 own_hlc)


@pytest.fixture
def scene(ctx: AppContext) -> Scene:
    """The GUI test workspace with the two conflicts."""
    assert isinstance(ctx.workspace, Workspace)
    return make_scene(ctx.workspace)


def _rows(model: ConflictsModel) -> dict[str, list[str]]:
    """Each row's cells, by the row's 项目 (field) text."""
    rows = [[model.index(r, c).data() for c in range(model.columnCount())]
            for r in range(model.rowCount())]
    return {row[1]: row for row in rows}


def test_conflicts_read_in_chinese_and_pass_the_modeltester(
        scene: Scene, qtmodeltester: ModelTester) -> None:
    model = ConflictsModel(scene.ws)
    qtmodeltester.check(model)  # type: ignore[no-untyped-call]
    assert [model.headerData(c, Qt.Orientation.Horizontal) for c in range(len(HEADERS))] == \
        list(HEADERS)
    rows = _rows(model)
    assert set(rows) == {"本人电话", "救助身份（服务清单）"}
    own = f"本机（{scene.ws.device_id[-8:]}）"
    other = f"设备 {scene.other.device_id[-8:]}"
    phone = rows["本人电话"]
    assert own != "本机（2c3d4e5f）"
    assert other == "设备 2c3d4e5f"
    assert phone[0] == KNOWN_NAME
    assert phone[2:6] == [OTHER_PHONE, other, OWN_PHONE, own]
    assert phone[7] == "已自动处理"
    status = rows["救助身份（服务清单）"]
    assert status[2:6] == ["特困人员（分散供养）", other, "最低生活保障对象", own]
    assert status[7] == "待县级审核"
    assert model.open_count() == 1
    first = model.index(0, 0)
    assert first.data(ELDER_ID_ROLE) == scene.elder_id
    assert isinstance(first.data(CONFLICT_ID_ROLE), int)
    assert model.index(0, 6).data()  # when this laptop found it
    device = next(r for r in range(model.rowCount()) if model.index(r, 1).data() == "本人电话")
    assert model.index(device, 3).data(Qt.ItemDataRole.ToolTipRole) == OTHER_DEVICE


def test_a_county_decision_hides_the_settled_conflict_unless_asked(
        scene: Scene, qtbot: QtBot, qtmodeltester: ModelTester) -> None:
    dialog = ConflictsDialog(scene.ws)
    qtbot.addWidget(dialog)
    assert dialog.windowTitle() == "同步冲突"
    assert "待县级审核" in dialog.summary.text()
    scene.county_prefers_other()
    assert scene.ws.elders.get(scene.elder_id).attributes["assistance_status"] == "dibao"
    dialog.refresh()
    assert list(_rows(dialog.model)) == ["本人电话"]
    assert dialog.summary.text() == "已自动处理 1 项。"
    dialog.show_resolved.setChecked(True)
    rows = _rows(dialog.model)
    assert rows["救助身份（服务清单）"][7] == "已由县级处理"
    assert rows["本人电话"][7] == "已自动处理"
    qtmodeltester.check(dialog.model)  # type: ignore[no-untyped-call]
    row = next(r for r in range(dialog.model.rowCount())
               if dialog.model.index(r, 1).data() == "救助身份（服务清单）")
    tip = dialog.model.index(row, 7).data(Qt.ItemDataRole.ToolTipRole)
    assert "县级处理结果" in tip
    dialog.show_resolved.setChecked(False)
    assert list(_rows(dialog.model)) == ["本人电话"]


def test_the_county_device_is_named_as_such(scene: Scene) -> None:
    model = ConflictsModel(scene.ws)
    labels = model._labels  # the labeller the model was made with
    assert labels.device_text(scene.county.device_id) == "县级服务器"
    assert labels.device_text(scene.ws.device_id).startswith("本机")


def _outcome() -> SyncOutcome:
    return SyncOutcome(PushReport(0, 0, 0, 0, 0, 1), PullReport(1, 2, CountyNotices()), (), ())


def test_menu_counts_open_conflicts_and_opens_the_elder(ctx: AppContext, qtbot: QtBot) -> None:
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    menu = window.findChild(SyncMenu)
    assert isinstance(menu, SyncMenu)
    assert menu.conflicts_action.text() == "同步冲突…"
    assert menu.conflicts_action.isEnabled()
    assert isinstance(ctx.workspace, Workspace)
    assert window.sync is not None
    scene = make_scene(ctx.workspace)
    window.sync.synced.emit(_outcome())  # what a finished 立即同步 emits
    assert menu.conflicts_action.text() == "同步冲突（1）…"

    dialog = menu.open_conflicts()
    qtbot.waitExposed(dialog)
    row = next(r for r in range(dialog.model.rowCount())
               if dialog.model.index(r, 1).data() == "本人电话")
    index = dialog.model.index(row, 2)
    dialog.table.selectRow(row)
    assert dialog.open_button.isEnabled()
    rect = dialog.table.visualRect(index)
    for click in (QTest.mouseClick, QTest.mouseDClick):  # a real double click: press first
        click(dialog.table.viewport(), Qt.MouseButton.LeftButton,
              Qt.KeyboardModifier.NoModifier, rect.center())
    assert window.stack.currentWidget() is window.elder_page
    page = window.elder_page
    assert page.profile is not None
    assert page.profile.elder_id == scene.elder_id
    assert "本档案有 2 项同步冲突" in page.summary.text()

    scene.county_prefers_other()
    window.sync.synced.emit(_outcome())
    assert menu.conflicts_action.text() == "同步冲突…"
    assert dialog.model.rowCount() == 1  # the open dialog follows the sync
    dialog.close()


def test_dialog_renders_offscreen(scene: Scene, qtbot: QtBot, tmp_path: Path) -> None:
    dialog = ConflictsDialog(scene.ws)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.table.selectRow(0)
    image = dialog.grab()
    assert not image.isNull()
    assert image.width() >= 800
    assert image.save(str(tmp_path / "conflicts.png"))
    assert dialog.model.index(0, 0, QModelIndex()).isValid()
