"""Sync from the main window against a REAL county server (uvicorn on 127.0.0.1, SQLite).

The laptop is the GUI test workspace (the demo township plus one known elder), shown in the
real main window. It enrols through the 登记本机 dialog with a one-time code from the county's
admin API (online) or with the county CLI (offline), syncs with 立即同步, exports a bundle that
the county imports, and imports the county's receipt.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from app.common.context import AppContext
from app.shell.main_window import MainWindow
from app.sync.controller import SyncController
from app.sync.menu import SyncMenu
from assessment.cli import main
from assessment.records import countynotes
from assessment.records.workspace import Workspace
from testkit.process import ServerProcess


@pytest.fixture
def county(tmp_path: Path) -> Iterator[ServerProcess]:
    """A real county server per test: every test's laptop is a copy of one workspace, so
    it has the same device keys, and a county enrols a device only once."""
    (tmp_path / "county").mkdir()
    process = ServerProcess(tmp_path / "county" / "data").start()
    yield process
    process.stop()


@pytest.fixture
def warnings_shown(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Message boxes would block the test: record what they would have said."""
    shown: list[str] = []

    def record(_parent: QWidget | None, _title: str, text: str, *args: object) -> int:
        shown.append(text)
        return int(QMessageBox.StandardButton.Ok.value)

    monkeypatch.setattr(QMessageBox, "warning", record)
    monkeypatch.setattr(QMessageBox, "information", record)
    return shown


def township(county: ServerProcess) -> tuple[str, str]:
    """A fresh township with one assessor account: (township code, username)."""
    tag = uuid.uuid4().hex[:8]
    county.admin().setup_township(f"t{tag}", [f"a{tag}"])
    return f"t{tag}", f"a{tag}"


def start_window(qtbot: QtBot, ctx: AppContext) -> tuple[MainWindow, SyncController,
                                                            SyncMenu]:
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    controller = window.sync
    assert controller is not None
    menu = window.findChild(SyncMenu)
    assert isinstance(menu, SyncMenu)
    return window, controller, menu


def enrol_online(qtbot: QtBot, menu: SyncMenu, county: ServerProcess) -> str:
    """Enrol through the dialog's 联网登记 tab; the township code."""
    code, user = township(county)
    dialog = menu.open_enrolment()
    dialog.server.setText(county.url)
    dialog.code.setText(county.admin().code(user))
    task = dialog.enrol_online()
    assert task is not None
    with qtbot.waitSignal(task.finished, timeout=30_000):
        pass
    assert "已登记到" in dialog.message.text(), dialog.message.text()
    dialog.close()
    return code


def county_acked(county: ServerProcess, device_id: str) -> int:
    return int(county.scalar("SELECT acked_seq FROM devices WHERE device_id = :d", d=device_id))


def wait_sync(qtbot: QtBot, controller: SyncController) -> None:
    qtbot.waitUntil(lambda: not controller.running(), timeout=120_000)


def test_status_line_before_enrolment(qtbot: QtBot, ctx: AppContext,
                                      warnings_shown: list[str]) -> None:
    window, controller, menu = start_window(qtbot, ctx)
    assert controller.label.text().startswith("同步：未登记")
    assert f"待上传 {controller.pending()} 条" in controller.label.text()
    assert not controller.timer.isActive()
    menu.sync_now()
    assert warnings_shown
    assert "尚未登记" in warnings_shown[0]
    window.grab().save("/tmp/yinling_sync_unenrolled.png")


def test_sync_now_pushes_and_status_shows_zero_pending(
        qtbot: QtBot, ctx: AppContext, workspace: Workspace, county: ServerProcess,
        warnings_shown: list[str]) -> None:
    window, controller, menu = start_window(qtbot, ctx)
    code = enrol_online(qtbot, menu, county)
    assert "已登记" in controller.label.text()
    assert controller.timer.isActive()  # automatic sync is on by default
    before = workspace.outbox.sync_state()
    assert before.pending > 0
    assert menu.sync_action.isEnabled()  # enrolled: 立即同步, the button and export enabled
    assert menu.toolbar_action is not None
    assert menu.toolbar_action.isEnabled()
    assert menu.export_action.isEnabled()
    assert not menu.blocked_sync_key.isEnabled()
    menu.sync_action.trigger()
    assert controller.dialog is not None
    assert controller.dialog.isVisible()
    controller.dialog.grab().save("/tmp/yinling_sync_progress.png")
    wait_sync(qtbot, controller)
    assert warnings_shown == []
    assert workspace.outbox.sync_state().pending == 0
    assert county_acked(county, workspace.device_id) == before.last_seq
    assert "待上传 0 条" in controller.label.text()
    assert "上次同步" in controller.label.text()
    assert int(county.scalar(
        "SELECT COUNT(*) FROM record_heads h JOIN townships t ON t.id = h.township_id "
        "WHERE t.code = :t AND h.record_type = 'elder'", t=code)) == workspace.counts()["elders"]
    window.grab().save("/tmp/yinling_sync_done.png")
    # Automatic sync: quiet, nothing to send, still 0 pending.
    task = controller.auto_sync()
    assert task is not None
    wait_sync(qtbot, controller)
    assert "待上传 0 条" in controller.label.text()
    # Turning it off stops the timer.
    menu.auto_action.setChecked(False)
    assert not controller.timer.isActive()
    assert controller.auto_sync() is None


def test_cancel_leaves_nothing_half_applied(qtbot: QtBot, ctx: AppContext,
                                            workspace: Workspace, county: ServerProcess,
                                            warnings_shown: list[str]) -> None:
    _window, controller, menu = start_window(qtbot, ctx)
    enrol_online(qtbot, menu, county)
    controller.batch_size = 5
    last = workspace.outbox.sync_state().last_seq
    task = controller.start_sync(interactive=True)
    assert task is not None
    cancelled: list[bool] = []
    task.cancelled.connect(lambda: cancelled.append(True))

    def cancel_after_first_batch(done: int, _total: int, _text: str) -> None:
        if done > 0:
            task.cancel()

    task.progress.connect(cancel_after_first_batch)
    wait_sync(qtbot, controller)
    assert cancelled == [True]
    assert "已取消" in controller.last_error
    state = workspace.outbox.sync_state()
    # What the county acknowledged is exactly what this laptop marked: no batch half-kept.
    assert 0 < state.acked_seq < last
    assert county_acked(county, workspace.device_id) == state.acked_seq
    assert f"待上传 {state.pending} 条" in controller.label.text()
    # The next sync resumes from there and completes.
    controller.batch_size = 500
    assert controller.start_sync(interactive=True) is not None
    wait_sync(qtbot, controller)
    assert warnings_shown == []
    assert workspace.outbox.sync_state().pending == 0
    assert county_acked(county, workspace.device_id) == last


def test_bundle_and_receipt_through_the_menu(qtbot: QtBot, ctx: AppContext,
                                             workspace: Workspace, county: ServerProcess,
                                             tmp_path: Path, warnings_shown: list[str]) -> None:
    _window, controller, menu = start_window(qtbot, ctx)
    code, user = township(county)
    # Offline enrolment: request file → county CLI → answer file.
    dialog = menu.open_enrolment()
    dialog.tabs.setCurrentIndex(1)
    dialog.offline_code.setText(county.admin().code(user))
    request, answer = tmp_path / "request.json", tmp_path / "answer.json"
    assert dialog.write_request(request) == request
    dialog.grab().save("/tmp/yinling_sync_enrol_offline.png")
    assert main(["county", "--data-dir", str(county.data_dir), "enrol-device", str(request),
                 "--out", str(answer)]) == 0
    assert dialog.import_answer(answer) is not None
    dialog.close()
    assert controller.enrolled()
    assert workspace.settings.get(countynotes.TOWNSHIP_CODE) == code
    last = workspace.outbox.sync_state().last_seq
    # Export to the "USB stick"; the county imports it and answers with a receipt.
    usb = tmp_path / "usb"
    usb.mkdir()
    bundle = menu.export_bundle(usb / "laptop.ylb")
    assert bundle is not None
    assert bundle.stat().st_size > 0
    assert workspace.outbox.sync_state().pending > 0  # nothing acknowledged before the receipt
    receipt = county.admin().call("POST", "/admin/bundles", content=bundle.read_bytes())
    receipt_file = usb / "receipt.json"
    receipt_file.write_text(json.dumps(receipt, ensure_ascii=False), encoding="utf-8")
    assert menu.import_receipt(receipt_file)
    assert warnings_shown == []
    assert workspace.outbox.sync_state().pending == 0
    assert workspace.outbox.sync_state().acked_seq == last
    assert "待上传 0 条" in controller.label.text()
    # A tampered receipt is refused whole, with a Chinese reason.
    data = json.loads(receipt_file.read_text(encoding="utf-8"))
    data["acked_seq"] = last + 5
    receipt_file.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    assert not menu.import_receipt(receipt_file)
    assert "签名无效" in warnings_shown[-1]


def test_unreachable_and_revoked(qtbot: QtBot, ctx: AppContext, workspace: Workspace,
                                 county: ServerProcess, warnings_shown: list[str]) -> None:
    _window, controller, menu = start_window(qtbot, ctx)
    enrol_online(qtbot, menu, county)
    # The county is unreachable: the automatic sync says so quietly; the line shows 离线.
    real_url = workspace.settings.get(countynotes.SERVER_URL)
    workspace.settings.set_local({countynotes.SERVER_URL: "http://127.0.0.1:9"})
    assert controller.auto_sync() is not None
    wait_sync(qtbot, controller)
    assert warnings_shown == []
    assert "无法连接县级服务器" in controller.last_error
    assert controller.label.text().endswith("离线")
    # Revoked by the county: a clear message, and sync is refused from then on.
    workspace.settings.set_local({countynotes.SERVER_URL: real_url})
    county.admin().call("POST", f"/admin/devices/{workspace.device_id}/revoke")
    menu.sync_now()
    wait_sync(qtbot, controller)
    assert warnings_shown
    assert "停用" in warnings_shown[-1]
    assert "本机已停用" in controller.label.text()
    assert not controller.timer.isActive()
    menu.sync_now()
    assert "停用" in warnings_shown[-1]
