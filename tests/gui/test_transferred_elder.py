"""An elder the county moved to another township: the roster and the elder page say so, and
新建评估 explains why it cannot start (real store, offscreen widgets)."""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from app.common.context import AppContext
from app.elder.page import ElderPage
from app.register.model import RegisterModel
from assessment.records import countynotes
from assessment.records.workspace import Workspace
from assessment.wire.changes import GENESIS_HASH, make_change
from assessment.wire.countydevice import county_device_id
from assessment.wire.crypto import b64encode, public_bytes
from tests.gui.conftest import KNOWN_ID


def _transfer_out(ws: Workspace, elder_id: str) -> None:
    """Enrol the store with a county and apply that county's transfer notice."""
    public = b64encode(public_bytes(Ed25519PrivateKey.generate().public_key()))
    ws.settings.set_local({countynotes.COUNTY_SIGN_PUBLIC: public,
                           countynotes.TOWNSHIP_CODE: "140421101"})
    version = ws.elders.get(elder_id).version
    notice = make_change(
        device_id=county_device_id(public), seq=1, record_type="elder", record_id=elder_id,
        version=version, hlc=1, prev_hash=GENESIS_HASH,
        payload={"id": elder_id, "changed": [], "version": version,
                 "county": {"action": "transfer", "elder_id": elder_id, "from": "140421101",
                            "from_name": "荫城镇", "to": "140421102", "to_name": "西火镇",
                            "at": "2026-12-08T09:00:00+00:00"}})
    ws.outbox.apply_incoming([notice], 1)


def test_roster_and_elder_page_show_the_transfer(qtbot: QtBot, ctx: AppContext,
                                                 qtmodeltester: ModelTester) -> None:
    workspace = ctx.workspace
    assert isinstance(workspace, Workspace)
    found = workspace.elders.find_by_id_number(KNOWN_ID)
    assert found is not None
    _transfer_out(workspace, found.elder_id)

    model = RegisterModel(workspace.elders, ctx.form.grade_name)
    note = [c.header for c in model.columns].index("备注")
    shown = {model.index(r, 0).data(): model.index(r, note).data()
             for r in range(model.rowCount())}
    assert shown[found.name] == "已迁出至西火镇"
    assert sum(1 for text in shown.values() if text) == 1
    qtmodeltester.check(model)  # type: ignore[no-untyped-call]

    page = ElderPage(ctx)
    qtbot.addWidget(page)
    page.show()
    page.open(found.elder_id)
    assert "已迁出至西火镇" in page.summary.text()
    # The buttons say why before anyone clicks; the refusal below still stands behind them.
    assert not page.new_button.isEnabled()
    assert "已迁出至西火镇" in page.new_button.toolTip()
    assert not page.correct_button.isEnabled()
    asked: list[str] = []

    def ask(reasons: tuple[str, ...], default: str) -> str:
        asked.append(default)
        return default

    page.ask_reason = ask
    opened: list[object] = []
    page.assessment_opened.connect(opened.append)
    drafts = len(workspace.assessments.drafts())
    page.new_assessment()
    assert asked == []
    assert opened == []
    assert page.message.isVisible()
    assert "已迁出至西火镇" in page.message.text()
    assert len(workspace.assessments.drafts()) == drafts
