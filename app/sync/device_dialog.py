"""设备详情: the one place that shows this laptop's full identity.

Everywhere else (status bar, enrolment, the certificate's number and footer, the QR check) the
laptop is named by its short device code; the county and support staff sometimes need the
full device id and the signing key's fingerprint, so they are shown here, selectable.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from assessment.records import countynotes
from assessment.records.workspace import Workspace


def device_facts(workspace: Workspace) -> list[tuple[str, str]]:
    """(label, value) rows of the dialog, in order."""
    keys = workspace.device_keys()
    township = workspace.settings.get(countynotes.TOWNSHIP_NAME)
    enrolled = workspace.settings.get(countynotes.ENROLLED) is True
    return [
        ("设备代码", workspace.device_code),
        ("设备编号（完整）", workspace.device_id),
        ("签名公钥", keys.sign_public),
        ("登记状态", f"已登记到 {township}" if enrolled and isinstance(township, str)
         else "尚未登记到县级服务器"),
        # What the county names when it makes this account a supervisor here.
        ("本账户密钥指纹", workspace.accounts.own_key() or "（本账户尚无密钥，请用密码重新登录）"),
    ]


class DeviceDetailsDialog(QDialog):
    """The device code, the full device id, the signing key and the enrolment."""

    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("设备详情")
        self.setObjectName("deviceDetails")
        intro = QLabel("本机在状态栏、登记、评估报告编号与页脚、二维码核验中都以“设备代码”"
                       "标识；完整编号与公钥仅供县级管理员核对。县级授予管理员身份时需要本账户密钥指纹。")
        intro.setWordWrap(True)
        form = QFormLayout()
        self.values: dict[str, QLabel] = {}
        for label, value in device_facts(workspace):
            shown = QLabel(value)
            shown.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            shown.setWordWrap(True)
            self.values[label] = shown
            form.addRow(label, shown)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.button(QDialogButtonBox.StandardButton.Close).setText("关闭")
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.setMinimumWidth(480)
