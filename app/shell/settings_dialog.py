"""The settings dialog: 复评间隔, 空闲锁定, 等级提升方式, printer, data folder.

Values are read and written through ``workspace.settings.get``/``set``; keys, defaults
and labels are the settings registry's (:mod:`assessment.settings`).
"""

from __future__ import annotations

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.common.context import AppContext
from assessment.scoring import GradeRaiseMode
from assessment.settings import (
    GRADE_RAISE_MODE,
    IDLE_LOCK_MINUTES,
    PRINTER_NAME,
    ROUTINE_INTERVAL_MONTHS,
    may_change,
)

RAISE_MODE_TEXT = {
    GradeRaiseMode.ONCE: "多项变更依据合计只提高一级（默认）",
    GradeRaiseMode.CUMULATIVE: "每项变更依据各提高一级（累加）",
}


class SettingsDialog(QDialog):
    """Edit the workspace settings; :meth:`save` writes them."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle("设置")
        self.setMinimumWidth(520)
        self.interval = QSpinBox()
        self.interval.setObjectName("intervalMonths")
        self.interval.setRange(1, 60)
        self.interval.setSuffix(" 个月")
        self.interval.setValue(ctx.interval_months())
        self.idle = QSpinBox()
        self.idle.setObjectName("idleMinutes")
        self.idle.setRange(1, 240)
        self.idle.setSuffix(" 分钟")
        self.idle.setValue(ctx.idle_minutes())
        self.raise_mode = QComboBox()
        self.raise_mode.setObjectName("raiseMode")
        for mode, text in RAISE_MODE_TEXT.items():
            self.raise_mode.addItem(text, mode.value)
        current = ctx.grading_settings().grade_raise_mode
        self.raise_mode.setCurrentIndex(max(self.raise_mode.findData(current.value), 0))
        self.printer = QLineEdit(PRINTER_NAME.read(ctx.workspace.settings.get))
        self.printer.setObjectName("printerName")
        self.printer.setPlaceholderText("留空则使用系统默认打印机")
        folder = QLineEdit(str(ctx.data_dir))
        folder.setReadOnly(True)
        open_folder = QPushButton("打开文件夹")
        open_folder.clicked.connect(self.open_data_folder)
        folder_row = QHBoxLayout()
        folder_row.addWidget(folder, 1)
        folder_row.addWidget(open_folder)
        form = QFormLayout()
        form.addRow(ROUTINE_INTERVAL_MONTHS.label, self.interval)
        form.addRow(IDLE_LOCK_MINUTES.label, self.idle)
        form.addRow(GRADE_RAISE_MODE.label, self.raise_mode)
        # What decides a grade is a supervisor's to change (the store refuses it to others).
        role = ctx.workspace.current_user.role
        for key, widget in ((ROUTINE_INTERVAL_MONTHS.key, self.interval),
                            (GRADE_RAISE_MODE.key, self.raise_mode)):
            if not may_change(key, role):
                widget.setEnabled(False)
                widget.setToolTip("只有管理员可以修改")
        note = QLabel("等级提升方式影响 C.4 中“疾病诊断”与“照护风险事件”同时存在时的最终等级；"
                      "昏迷一律直接评定为能力完全丧失（完全失能）。")
        note.setWordWrap(True)
        note.setObjectName("fieldHint")
        form.addRow("", note)
        form.addRow(PRINTER_NAME.label, self.printer)
        form.addRow("数据文件夹", folder_row)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Save).setText("保存")
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("取消")
        buttons.accepted.connect(self._save_and_close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)

    def save(self) -> None:
        """Write every setting through the store."""
        workspace = self.ctx.workspace
        if self.interval.isEnabled():
            workspace.settings.set(ROUTINE_INTERVAL_MONTHS.key, self.interval.value())
        workspace.settings.set(IDLE_LOCK_MINUTES.key, self.idle.value())
        if self.raise_mode.isEnabled():
            workspace.settings.set(GRADE_RAISE_MODE.key, str(self.raise_mode.currentData()))
        workspace.settings.set(PRINTER_NAME.key, self.printer.text().strip())

    def _save_and_close(self) -> None:
        self.save()
        self.accept()

    def open_data_folder(self) -> None:
        """Show the data folder in the system's file manager."""
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.ctx.data_dir)))
