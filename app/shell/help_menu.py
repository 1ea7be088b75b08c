"""The 帮助 menu: 键盘操作 (F1, the keyboard reference) and 关于 (program, form and list versions).

Like the other menus it only adds actions to a menu bar; what it shows comes from what it is
given (the form, the data folder), not from the main window.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QMenuBar,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.entry.item_widget import KEYBOARD_HELP
from app.lists.install import load_app_lists
from assessment import __version__
from assessment.errors import FormFileError
from assessment.forms import Form

KEYS: tuple[tuple[str, str, str], ...] = (
    ("全局", "Ctrl+1", "回到花名册"),
    ("全局", "Ctrl+F", "查找老人（姓名、拼音首字母、全拼、身份证号末几位、村名）"),
    ("全局", "Ctrl+N", "新建老人"),
    ("全局", "F5", "立即同步（本机登记后可用）"),
    ("全局", "Ctrl+L", "锁定"),
    ("全局", "Ctrl+,", "设置"),
    ("全局", "F1", "本键盘操作说明"),
    ("花名册", "回车", "打开选中的老人（搜索只有一个结果时直接打开）"),
    ("评估录入", "数字键", "选择该分值的选项，并自动到下一项"),
    ("评估录入", "再按同一数字", "同分值有两个选项时（B.3.9：0 分昏睡/昏迷）改选另一项"),
    ("评估录入", "回车", "离开已评分的项；未评分的项按回车不会跳过"),
    ("评估录入", "退格 / Delete", "清除本项评分"),
    ("评估录入", "Ctrl+J", "列出尚未评分的项并跳转"),
    ("评估录入", "Ctrl+Z", "撤销本草稿的上一次修改（立即保存）"),
    ("评估录入", "Esc", "返回老人信息"),
)


class KeyboardHelp(QDialog):
    """The keyboard reference (non-modal, F1)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("键盘操作")
        self.setObjectName("keyboardHelpDialog")
        self.resize(640, 480)
        intro = QLabel(KEYBOARD_HELP)
        intro.setWordWrap(True)
        self.table = QTableWidget(len(KEYS), 3)
        self.table.setHorizontalHeaderLabels(["场合", "按键", "作用"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(True)
        for row, texts in enumerate(KEYS):
            for column, text in enumerate(texts):
                self.table.setItem(row, column, QTableWidgetItem(text))
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setStretchLastSection(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)


def about_text(form: Form, data_dir: Path) -> str:
    """关于: the program's version, the form's, and every installed service-list version."""
    lines = [
        f"<b>银龄评估</b> {__version__}",
        "老年人能力评估（GB/T 42195-2022）与基本养老服务清单匹配",
        f"评估表：{form.title}，版本 {form.version}（{form.standard}）",
    ]
    try:
        registry = load_app_lists(data_dir)
    except FormFileError as exc:
        lines.append(f"服务清单：清单文件有误（{exc.file}：{exc.reason}）")
    else:
        lines.append("服务清单：")
        for version in registry.versions:
            start = version.period.start.isoformat() if version.period.start else "—"
            end = version.period.end.isoformat() if version.period.end else "至今"
            mark = "（暂行）" if version.provisional else ""
            lines.append(f"　{version.title}{mark} {version.ref}，有效期 {start} 至 {end}")
    return "<br>".join(lines)


class HelpMenu(QObject):
    """帮助 → 键盘操作 (F1) and 关于银龄评估."""

    def __init__(self, parent: QWidget, bar: QMenuBar, form: Form, data_dir: Path) -> None:
        super().__init__(parent)
        self.setObjectName("helpMenu")
        self._parent = parent
        self.form = form
        self.data_dir = data_dir
        self.keys_dialog: KeyboardHelp | None = None
        self.about_dialog: QDialog | None = None
        self.keys_action = QAction("键盘操作…", parent)
        self.keys_action.setShortcut(QKeySequence(QKeySequence.StandardKey.HelpContents))
        self.keys_action.triggered.connect(self.open_keys)
        self.about_action = QAction("关于银龄评估…", parent)
        self.about_action.triggered.connect(self.open_about)
        menu = bar.addMenu("帮助(&H)")
        menu.addAction(self.keys_action)
        menu.addSeparator()
        menu.addAction(self.about_action)

    def open_keys(self) -> KeyboardHelp:
        """The keyboard reference (kept open beside the work)."""
        if self.keys_dialog is None:
            self.keys_dialog = KeyboardHelp(self._parent)
        if self.keys_dialog.isVisible():  # already open behind the window: bring it forward
            self.keys_dialog.raise_()
            self.keys_dialog.activateWindow()
        self.keys_dialog.show()
        return self.keys_dialog

    def open_about(self) -> QDialog:
        """关于: versions of the program, the form and the lists."""
        dialog = QDialog(self._parent)
        dialog.setWindowTitle("关于银龄评估")
        text = QLabel(about_text(self.form, self.data_dir))
        text.setObjectName("aboutText")
        text.setTextFormat(Qt.TextFormat.RichText)
        text.setWordWrap(True)
        text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok)
        buttons.accepted.connect(dialog.accept)
        layout = QVBoxLayout(dialog)
        layout.addWidget(text)
        layout.addWidget(buttons)
        self.about_dialog = dialog
        dialog.open()
        return dialog
