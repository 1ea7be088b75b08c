"""Sync from the desktop: the status line, 立即同步, automatic sync, bundles and receipts.

:class:`SyncController` owns everything about sync that the main window shows: the status
label (未登记 / 已登记·上次同步 … / 待上传 N 条 / 离线), the 同步 button, the automatic sync
timer and the background sync task. The work itself is the core's one sync pipeline
(:mod:`assessment.usecases.sync_now`, also behind ``yinling sync run``), run on the one
background helper (docs/architecture.md §3.5), so a sync shows a progress bar and can be cancelled
between batches. Every
batch the county acknowledged and every pulled page is one transaction in the workspace, so a
cancelled or interrupted sync leaves nothing half-applied and simply resumes next time.

Every failure becomes one Chinese sentence (:func:`sync_error_message`); a device the county
revoked is remembered, and sync is refused from then on.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QSettings, QTimer, Signal, Slot
from PySide6.QtWidgets import QApplication, QLabel, QWidget

from app.common.background import BackgroundTask, ProgressDialog
from assessment.errors import InputRejected, Problem
from assessment.records import countynotes
from assessment.records.workspace import Workspace
from assessment.sync.client import SyncError
from assessment.sync.enrolment import enrol_online, enrolment_settings, stored_link
from assessment.usecases.sync_now import SyncOutcome, sync_job
from assessment.wire.bundle import BundleManifest, export_bundle
from assessment.wire.countygrant import import_grants_file
from assessment.wire.countylink import CountyLink
from assessment.wire.enrolment import build_request, link_from_response
from assessment.wire.receipt import Receipt, import_receipt

UI_SETTINGS_FILE = "client-ui.ini"
SETTING_LAST_SYNC = "sync/last_sync_at"
SETTING_AUTO_SYNC = "sync/auto_sync"
AUTO_SYNC_MINUTES = 5
DEFAULT_LABEL = "评估笔记本"


def _refuse(field: str, code: str, message: str) -> InputRejected:
    return InputRejected([Problem(field, code, message)])


def sync_error_message(error: object) -> str:
    """One Chinese sentence for anything a sync, an enrolment or a file import raised."""
    if isinstance(error, InputRejected):
        return "；".join(p.message for p in error.problems) or "输入被拒绝"
    if isinstance(error, countynotes.SyncRefused):
        return str(error)
    if isinstance(error, SyncError):
        if error.revoked:
            return countynotes.revoked_message(error.message)
        if error.status == 401:
            return f"县级服务器不认可本机（{error.message}），请重新登记本机"
        return error.message
    if isinstance(error, OSError):
        reason = error.strerror or str(error)
        where = f"{error.filename}：" if error.filename else ""
        return f"无法读写文件 {where}{reason}"
    return f"同步时发生内部错误：{error}"


def is_unreachable(error: object) -> bool:
    """True when the county could not be reached at all (network down, server stopped)."""
    return isinstance(error, SyncError) and error.status is None and error.retryable


class SyncController(QObject):
    """Sync state and actions of one signed-in window (status label, button, timer)."""

    status_changed = Signal(str)
    synced = Signal(object)  # SyncOutcome, after a successful sync
    pulled = Signal()  # records from the county arrived: views should refresh
    failed = Signal(str)  # the Chinese message of a failed sync

    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.parent_widget = parent
        self.label = QLabel()
        self.label.setObjectName("syncStatus")
        self.task: BackgroundTask | None = None
        self.dialog: ProgressDialog | None = None
        self.last_error: str = ""
        self.offline = False
        self.batch_size = 500
        self.menu: QObject | None = None  # the 同步 menu, once installed
        # Client preferences beside the database, not in it: every store write is audited
        # and the audit log syncs, so keeping "last synced" there would never reach 0 pending.
        self.ui_settings = QSettings(str(workspace.data_dir / UI_SETTINGS_FILE),
                                     QSettings.Format.IniFormat, self)
        self.timer = QTimer(self)
        self.timer.setInterval(AUTO_SYNC_MINUTES * 60_000)
        self.timer.timeout.connect(self.auto_sync)
        self.refresh_status()
        self.apply_auto_setting()

    # ---- state --------------------------------------------------------------------------

    def enrolled(self) -> bool:
        """True once the county enrolled this laptop."""
        return self.workspace.settings.get(countynotes.ENROLLED) is True

    def revoked(self) -> str | None:
        """The county's reason when this device was revoked."""
        reason = self.workspace.settings.get(countynotes.REVOKED)
        return None if reason is None else str(reason)

    def link(self) -> CountyLink:
        """The stored enrolment (refused with a Chinese reason when missing or damaged)."""
        return stored_link(self.workspace.device_id, self.workspace.settings.get)

    def pending(self) -> int:
        """Own changes the county has not acknowledged yet."""
        return self.workspace.outbox.sync_state().pending

    def auto_enabled(self) -> bool:
        """自动同步 is on unless the user turned it off."""
        return str(self.ui_settings.value(SETTING_AUTO_SYNC, "true")).lower() != "false"

    def status_text(self) -> str:
        """The status line: 未登记 / 已登记·上次同步 … / 待上传 N 条 / 离线 / 已停用."""
        pending = self.pending()
        if self.revoked() is not None:
            return f"同步：本机已停用 · 待上传 {pending} 条"
        if not self.enrolled():
            return f"同步：未登记 · 待上传 {pending} 条"
        township = self.workspace.settings.get(countynotes.TOWNSHIP_NAME) or ""
        last = self.ui_settings.value(SETTING_LAST_SYNC)
        when = "从未同步"
        if isinstance(last, str):
            try:
                when = f"上次同步 {datetime.fromisoformat(last):%m-%d %H:%M}"
            except ValueError:
                when = "上次同步时间未知"
        parts = [f"同步：已登记{township and '（' + str(township) + '）'}", when,
                 f"待上传 {pending} 条"]
        if self.running():
            parts.append("正在同步……")
        elif self.offline:
            parts.append("离线")
        return " · ".join(parts)

    @Slot()
    def refresh_status(self) -> None:
        """Re-read the sync state into the status label."""
        try:
            text = self.status_text()
        except Exception as exc:  # a closed store while signing out: say so, do not crash
            text = f"同步：状态不可用（{exc}）"
        self.label.setText(text)
        tip = self.last_error or ("自动同步已开启（每 5 分钟）" if self.auto_enabled()
                                  else "自动同步已关闭")
        self.label.setToolTip(tip)
        self.status_changed.emit(text)

    def note_synced(self) -> None:
        """Remember now as the last successful sync (shown in the status line)."""
        self.ui_settings.setValue(SETTING_LAST_SYNC, datetime.now().isoformat(timespec="seconds"))
        self.ui_settings.sync()

    def running(self) -> bool:
        """A sync is under way."""
        return self.task is not None and self.task.running

    # ---- 立即同步 ------------------------------------------------------------------------

    def start_sync(self, *, interactive: bool = True) -> BackgroundTask | None:
        """Push then pull in the background helper; None when sync cannot start.

        Interactive syncs show a progress dialog with 取消 and a message box on failure;
        automatic syncs only update the status line.
        """
        if self.running():
            return None
        try:
            if self.revoked() is not None:
                raise countynotes.SyncRefused(countynotes.revoked_message(str(self.revoked())))
            link = self.link()
            if not link.server_url:
                raise _refuse("server", "missing",
                                           "未配置县级服务器地址：请联网登记本机，或使用离线数据包")
        except (InputRejected, countynotes.SyncRefused) as exc:
            self._report_failure(sync_error_message(exc), interactive)
            return None
        job = sync_job(self.workspace, link, batch_size=self.batch_size,
                       retries=3 if interactive else 0, timeout=60.0 if interactive else 15.0)
        task = BackgroundTask(job, self)
        task.succeeded.connect(self._on_synced)
        task.failed.connect(lambda error: self._on_failed(error, interactive))
        task.cancelled.connect(self._on_cancelled)
        task.finished.connect(self._on_finished)
        self.task = task
        if interactive:
            self.dialog = ProgressDialog(task, "正在与县级服务器同步", self.parent_widget)
        task.start()
        if self.dialog is not None:
            self.dialog.open()
        self.refresh_status()
        return task

    def _on_synced(self, outcome: object) -> None:
        assert isinstance(outcome, SyncOutcome)
        self.offline = False
        self.last_error = ""
        self.note_synced()
        if outcome.received:
            self.pulled.emit()
        self.synced.emit(outcome)

    def _on_failed(self, error: object, interactive: bool) -> None:
        self.offline = is_unreachable(error)
        self._report_failure(sync_error_message(error), interactive)

    def _on_cancelled(self) -> None:
        self.last_error = "同步已取消：已被县级确认的变更不会重复上传，下次同步从中断处继续"
        self.failed.emit(self.last_error)

    def _on_finished(self) -> None:
        self.task = None
        self.dialog = None
        self.apply_auto_setting()
        self.refresh_status()

    def _report_failure(self, message: str, interactive: bool) -> None:
        self.last_error = message
        self.failed.emit(message)
        if interactive and self.parent_widget is not None:
            from PySide6.QtWidgets import QMessageBox

            QMessageBox.warning(self.parent_widget, "同步失败", message)
        self.refresh_status()

    # ---- automatic sync -----------------------------------------------------------------

    def set_auto_enabled(self, enabled: bool) -> None:
        """Turn automatic sync on or off (a device-local setting)."""
        self.ui_settings.setValue(SETTING_AUTO_SYNC, "true" if enabled else "false")
        self.ui_settings.sync()
        self.apply_auto_setting()
        self.refresh_status()

    def apply_auto_setting(self) -> None:
        """Start or stop the timer as the setting and the enrolment say."""
        if self.auto_enabled() and self.enrolled() and self.revoked() is None:
            if not self.timer.isActive():
                self.timer.start()
        else:
            self.timer.stop()

    def is_idle(self) -> bool:
        """Nothing else is going on: no sync, no dialog open in front of the window."""
        return not self.running() and QApplication.activeModalWidget() is None

    @Slot()
    def auto_sync(self) -> BackgroundTask | None:
        """The timer's sync: quiet, only when idle, enrolled and allowed."""
        if not self.auto_enabled() or not self.enrolled() or self.revoked() is not None:
            self.apply_auto_setting()
            return None
        if not self.is_idle():
            return None
        return self.start_sync(interactive=False)

    def stop(self) -> None:
        """Stop the timer and cancel a running sync (window closing or signing out)."""
        self.timer.stop()
        if self.task is not None:
            self.task.cancel()

    # ---- enrolment ----------------------------------------------------------------------

    def _require_not_revoked(self) -> None:
        reason = self.revoked()
        if reason is not None:
            raise countynotes.SyncRefused(countynotes.revoked_message(reason))

    def enrol_online(self, server_url: str, code: str, label: str = DEFAULT_LABEL
                     ) -> CountyLink:
        """Enrol over the network with a one-time code and store the answer.

        Qt-free, so it runs in the background helper; call :meth:`enrolment_changed` on the
        GUI thread afterwards."""
        self._require_not_revoked()
        url = server_url.strip()
        if not url.startswith(("http://", "https://")):
            raise _refuse("server", "url",
                                       "服务器地址应以 http:// 或 https:// 开头")
        link = enrol_online(url, self.workspace.device_keys(), code.strip(), label)
        self.workspace.settings.set_local(enrolment_settings(link))
        return link

    def enrolment_changed(self) -> None:
        """After an enrolment: the timer and the status line follow (GUI thread)."""
        self.offline = False
        self.last_error = ""
        self.apply_auto_setting()
        self.refresh_status()

    def write_enrolment_request(self, path: Path, code: str, label: str = DEFAULT_LABEL
                                ) -> Path:
        """Offline enrolment, step 1: the signed request file for the county."""
        self._require_not_revoked()
        request = build_request(self.workspace.device_keys(), code.strip(), label)
        path.write_text(json.dumps(request, ensure_ascii=False, indent=2), encoding="utf-8")
        return path

    def import_enrolment(self, path: Path, server_url: str = "") -> CountyLink:
        """Offline enrolment, step 2: the county's signed answer file."""
        self._require_not_revoked()
        try:
            data: Any = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise _refuse("enrolment", "read", "无法读取登记回复文件") from exc
        link = link_from_response(data, server_url.strip())
        if link.device_id != self.workspace.device_id:
            raise _refuse("enrolment", "device", "登记回复不是发给本机的")
        self.workspace.settings.set_local(enrolment_settings(link))
        self.enrolment_changed()
        return link

    # ---- bundles and receipts -----------------------------------------------------------

    def export_bundle(self, path: Path) -> BundleManifest | None:
        """Every unacknowledged change, signed and encrypted, to ``path``; None if none."""
        self._require_not_revoked()
        link = self.link()
        manifest = export_bundle(self.workspace.outbox, self.workspace.device_keys(),
                                 link.county_box_key(), path)
        self.refresh_status()
        return manifest

    def import_grants(self, path: Path) -> int:
        """Role grants the county wrote to a file (a laptop with no bundle to hand in):
        how many were the county's for this laptop."""
        return import_grants_file(path, self.workspace.outbox, self.workspace.device_id)

    def import_receipt(self, path: Path) -> Receipt:
        """The county's signed receipt: changes up to its sequence become acknowledged."""
        link = self.link()
        receipt = import_receipt(path, self.workspace.outbox, link.county_sign_key())
        self.note_synced()
        self.refresh_status()
        return receipt
