"""The elder page's registry strip: whether the elder is on the roll, 注销 (with reason, date and
note) and 恢复在册 (supervisors, with a reason), and where each roster attribute came from.

The store decides (``workspace.registry.deregister`` / ``workspace.registry.restore``); its
refusals are shown here. A deregistered or merged elder keeps its page and history; only new
work is refused.
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QDate, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from assessment.errors import InputRejected
from assessment.records.api import ElderProfile
from assessment.records.workspace import Workspace
from assessment.registry.export import provenance_text
from assessment.registry.kinds import ASSISTANCE
from assessment.registry.status import DEREGISTERED, MERGED, REASONS, status_label

# The roster attributes whose provenance the strip shows, with their labels.
PROVENANCE_LABELS = ((ASSISTANCE, "救助身份"), ("disability_cert", "残疾证"),
                     ("fp_special_family", "计划生育特殊家庭"), ("veteran_status", "优抚对象身份"))


class DeregisterDialog(QDialog):
    """注销: reason, date (not after today) and a note."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("注销")
        self.reason = QComboBox()
        self.reason.setObjectName("deregisterReason")
        for code, label in REASONS.items():
            self.reason.addItem(label, code)
        self.day = QDateEdit(QDate.currentDate())
        self.day.setObjectName("deregisterDate")
        self.day.setCalendarPopup(True)
        self.day.setDisplayFormat("yyyy-MM-dd")
        self.day.setMaximumDate(QDate.currentDate())
        self.note = QLineEdit()
        self.note.setObjectName("deregisterNote")
        self.note.setMaxLength(500)
        self.note.setPlaceholderText("如：村委会告知、家属告知")
        form = QFormLayout()
        form.addRow("注销原因", self.reason)
        form.addRow("注销日期", self.day)
        form.addRow("说明", self.note)
        hint = QLabel("注销后该老人不再出现在复评到期名单、服务名单、走访名单和当期统计中；"
                      "档案与评估记录全部保留，管理员可以恢复。")
        hint.setWordWrap(True)
        box = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                               | QDialogButtonBox.StandardButton.Cancel)
        box.button(QDialogButtonBox.StandardButton.Ok).setText("注销")
        box.button(QDialogButtonBox.StandardButton.Cancel).setText("取消")
        box.accepted.connect(self.accept)
        box.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(hint)
        layout.addWidget(box)

    def values(self) -> tuple[str, date, str]:
        """(reason code, date, note)."""
        return (str(self.reason.currentData()), self.day.date().toPython(),  # type: ignore[return-value]
                self.note.text().strip())


class RestoreDialog(QDialog):
    """恢复在册: the reason is required."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("恢复在册")
        self.why = QLineEdit()
        self.why.setObjectName("restoreWhy")
        self.why.setMaxLength(500)
        self.why.setPlaceholderText("必填，如：误报死亡，本人健在")
        box = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                               | QDialogButtonBox.StandardButton.Cancel)
        box.button(QDialogButtonBox.StandardButton.Ok).setText("恢复")
        box.button(QDialogButtonBox.StandardButton.Cancel).setText("取消")
        box.accepted.connect(self.accept)
        box.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow("恢复理由", self.why)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(box)


class StatusPanel(QWidget):
    """The strip; ``changed`` is emitted after a deregistration or a restoration."""

    changed = Signal(str)

    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.profile: ElderProfile | None = None
        self.ask_deregistration = self._ask_deregistration
        self.ask_restore = self._ask_restore
        self.status = QLabel()
        self.status.setObjectName("elderStatus")
        self.status.setWordWrap(True)
        self.sources = QLabel()
        self.sources.setObjectName("attributeSources")
        self.sources.setWordWrap(True)
        self.problem = QLabel()
        self.problem.setObjectName("problemBox")
        self.problem.setWordWrap(True)
        self.problem.hide()
        self.deregister_button = QPushButton("注销…")
        self.deregister_button.setObjectName("deregisterElder")
        self.deregister_button.setToolTip("死亡、迁出本县、登记错误等：注销后不再评估，记录保留")
        self.restore_button = QPushButton("恢复在册…")
        self.restore_button.setObjectName("restoreElder")
        self.deregister_button.clicked.connect(self.deregister)
        self.restore_button.clicked.connect(self.restore)
        top = QHBoxLayout()
        top.addWidget(self.status, 1)
        top.addWidget(self.deregister_button)
        top.addWidget(self.restore_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.sources)
        layout.addWidget(self.problem)

    def show_profile(self, profile: ElderProfile) -> None:
        """Show an elder's status and the provenance of its roster attributes."""
        self.profile = profile
        self.problem.hide()
        status = profile.status
        reason = None
        if status == DEREGISTERED:
            reason = self.workspace.registry.status(profile.elder_id).reason
        text = "状态：" + status_label(status, reason)
        if profile.left_on is not None:
            text += f"（{profile.left_on.isoformat()} 起）"
        lifecycle = self.workspace.registry.status(profile.elder_id) if status == MERGED \
            else None
        if lifecycle is not None and lifecycle.into_township:
            text = "状态：" + lifecycle.label() + "，只读"
        elif status == MERGED and profile.merged_into:
            try:
                kept = self.workspace.elders.get(profile.merged_into)
                text += f"，已并入 {kept.name} 的档案"
            except LookupError:
                text += "，已并入另一份档案"
        self.status.setText(text)
        supervisor = self.workspace.current_user.role == "supervisor"
        self.deregister_button.setEnabled(status == "active")
        self.restore_button.setVisible(status == DEREGISTERED)
        self.restore_button.setEnabled(supervisor)
        self.restore_button.setToolTip("恢复在册" if supervisor else "只有管理员可以恢复在册")
        parts = []
        for attribute, label in PROVENANCE_LABELS:
            source = provenance_text(profile.provenance.get(attribute))
            if source:
                parts.append(f"{label}来源：{source}")
        self.sources.setText("　".join(parts))
        self.sources.setVisible(bool(parts))

    def _ask_deregistration(self) -> tuple[str, date, str] | None:
        dialog = DeregisterDialog(self)
        return dialog.values() if dialog.exec() == QDialog.DialogCode.Accepted else None

    def _ask_restore(self) -> str | None:
        dialog = RestoreDialog(self)
        return dialog.why.text() if dialog.exec() == QDialog.DialogCode.Accepted else None

    def deregister(self) -> None:
        """注销 the shown elder (asks reason, date, note)."""
        if self.profile is None:
            return
        values = self.ask_deregistration()
        if values is None:
            return
        try:
            self.workspace.registry.deregister(self.profile.elder_id, *values)
        except InputRejected as exc:
            self._show_problem(exc)
            return
        self.changed.emit(self.profile.elder_id)

    def restore(self) -> None:
        """恢复在册 (supervisors; asks the reason)."""
        if self.profile is None:
            return
        why = self.ask_restore()
        if why is None:
            return
        try:
            self.workspace.registry.restore(self.profile.elder_id, why)
        except InputRejected as exc:
            self._show_problem(exc)
            return
        self.changed.emit(self.profile.elder_id)

    def _show_problem(self, exc: InputRejected) -> None:
        self.problem.setText("\n".join(p.message for p in exc.problems))
        self.problem.show()
