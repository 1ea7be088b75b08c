"""The 登记本机 dialog: online with the server address and a one-time code, or offline by file.

Online, the request runs in the background helper (the window stays responsive while the
county answers); offline, the dialog writes the signed request file for the county and later
imports the county's answer file. The work is done by :class:`~app.sync.controller.SyncController`.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.common.background import BackgroundTask, CancelToken, ProgressFn
from app.common.file_dialogs import open_file, save_file
from app.sync.controller import DEFAULT_LABEL, SyncController, sync_error_message
from app.sync.device_dialog import DeviceDetailsDialog
from assessment.records import countynotes
from assessment.wire.countylink import CountyLink


class EnrolDialog(QDialog):
    """Enrol this laptop with the county (two tabs: 联网登记, 离线登记)."""

    def __init__(self, controller: SyncController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.setWindowTitle("登记本机")
        self.setMinimumWidth(520)
        self.task: BackgroundTask | None = None
        ws = controller.workspace
        intro = QLabel(f"本机设备代码：{ws.device_code}\n"
                       "请向县级管理员索取一次性登记码。有网络时选择“联网登记”；"
                       "没有网络时先生成登记申请文件交县级处理，再导入县级的登记回复文件。")
        intro.setWordWrap(True)
        self.details_button = QPushButton("设备详情…")
        self.details_button.setToolTip("完整设备编号与签名公钥")
        self.details_button.setAutoDefault(False)
        self.details_button.clicked.connect(
            lambda: DeviceDetailsDialog(ws, self).exec())
        self.tabs = QTabWidget()
        self.tabs.addTab(self._online_tab(), "联网登记")
        self.tabs.addTab(self._offline_tab(), "离线登记")
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setObjectName("enrolMessage")
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.button(QDialogButtonBox.StandardButton.Close).setText("关闭")
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        top.addWidget(intro, 1)
        top.addWidget(self.details_button, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(top)
        layout.addWidget(self.tabs)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        url = ws.settings.get(countynotes.SERVER_URL)
        if isinstance(url, str):
            self.server.setText(url)
            self.offline_server.setText(url)

    def _online_tab(self) -> QWidget:
        tab = QWidget()
        form = QFormLayout(tab)
        self.server = QLineEdit()
        self.server.setPlaceholderText("例如 https://pinggu.example.gov.cn")
        self.code = QLineEdit()
        self.code.setPlaceholderText("县级管理员提供的一次性登记码")
        self.label = QLineEdit(DEFAULT_LABEL)
        self.enrol_button = QPushButton("联网登记")
        self.enrol_button.setDefault(True)
        self.enrol_button.clicked.connect(self.enrol_online)
        form.addRow("服务器地址", self.server)
        form.addRow("登记码", self.code)
        form.addRow("设备名称", self.label)
        form.addRow("", self.enrol_button)
        return tab

    def _offline_tab(self) -> QWidget:
        tab = QWidget()
        form = QFormLayout(tab)
        self.offline_code = QLineEdit()
        self.offline_code.setPlaceholderText("县级管理员提供的一次性登记码")
        self.request_button = QPushButton("生成登记申请文件…")
        self.request_button.clicked.connect(self.write_request)
        self.offline_server = QLineEdit()
        self.offline_server.setPlaceholderText("可不填；以后联网同步时使用")
        self.import_button = QPushButton("导入登记回复文件…")
        self.import_button.clicked.connect(self.import_answer)
        form.addRow(QLabel("第一步：生成申请文件，拷贝给县级管理员"))
        form.addRow("登记码", self.offline_code)
        form.addRow("", self.request_button)
        form.addRow(QLabel("第二步：导入县级发回的登记回复文件"))
        form.addRow("服务器地址", self.offline_server)
        form.addRow("", self.import_button)
        return tab

    def _show(self, text: str, error: bool = False) -> None:
        self.message.setText(text)
        self.message.setStyleSheet("color: #b00020;" if error else "color: #1b5e20;")

    def _enrolled(self, link: CountyLink) -> None:
        self._show(f"已登记到 {link.township_name}（{link.township_code}），"
                   f"账号 {link.account}。")

    # ---- online -------------------------------------------------------------------------

    @Slot()
    def enrol_online(self) -> BackgroundTask | None:
        """Send the request with the code in the background; the answer is stored."""
        if not self.code.text().strip() or not self.server.text().strip():
            self._show("请填写服务器地址和登记码。", error=True)
            return None
        url, code, label = self.server.text(), self.code.text(), self.label.text().strip()
        controller = self.controller

        def job(progress: ProgressFn, token: CancelToken) -> CountyLink:
            progress(0, 0, "正在联系县级服务器……")
            return controller.enrol_online(url, code, label or DEFAULT_LABEL)

        task = BackgroundTask(job, self)
        task.succeeded.connect(self._online_done)
        task.failed.connect(lambda error: self._show(sync_error_message(error), error=True))
        task.finished.connect(lambda: self.enrol_button.setEnabled(True))
        self.task = task
        self.enrol_button.setEnabled(False)
        self._show("正在联系县级服务器……")
        task.start()
        return task

    def _online_done(self, link: object) -> None:
        assert isinstance(link, CountyLink)
        self.controller.enrolment_changed()
        self._enrolled(link)

    # ---- offline ------------------------------------------------------------------------

    @Slot()
    def write_request(self, path: Path | None = None) -> Path | None:
        """Write the signed request file (asking where when ``path`` is None)."""
        if not self.offline_code.text().strip():
            self._show("请先填写登记码。", error=True)
            return None
        if path is None:
            device = self.controller.workspace.device_code
            chosen = save_file(self, "保存登记申请文件", f"登记申请-{device}.json",
                               "登记申请 (*.json)")
            if chosen is None:
                return None
            path = chosen
        try:
            self.controller.write_enrolment_request(path, self.offline_code.text(),
                                                    self.label.text().strip() or DEFAULT_LABEL)
        except Exception as exc:  # refused or unwritable: tell the user
            self._show(sync_error_message(exc), error=True)
            return None
        self._show(f"登记申请已保存到 {path}，请交县级管理员处理，再导入其登记回复文件。")
        return path

    @Slot()
    def import_answer(self, path: Path | None = None) -> CountyLink | None:
        """Import the county's answer file (asking which when ``path`` is None)."""
        if path is None:
            chosen = open_file(self, "选择登记回复文件", "登记回复 (*.json);;所有文件 (*)")
            if chosen is None:
                return None
            path = chosen
        try:
            link = self.controller.import_enrolment(path, self.offline_server.text())
        except Exception as exc:  # refused file: tell the user
            self._show(sync_error_message(exc), error=True)
            return None
        self._enrolled(link)
        return link
