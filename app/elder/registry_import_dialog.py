"""导入部门名单: a civil-affairs, disability, health or veterans roster into this laptop (a pilot
without a county), through the core's one import pipeline
(:func:`assessment.usecases.registry_import.registry_import_job`).

Choose the file, the kind, the source and the as-of date; 预览 runs a dry run and shows the
summary (matched, updated, lost, people to find, refused rows with row and column, names that
differ, who newly qualifies for which item); 导入 then applies exactly those inputs in one
transaction. Changing any input asks for a new preview first.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.common.background import BackgroundTask, ProgressDialog
from app.common.file_dialogs import open_file
from assessment.errors import InputRejected
from assessment.records.workspace import Workspace
from assessment.registry.kinds import KINDS
from assessment.usecases.registry_import import registry_import_job

_LIST_LIMIT = 50


def summary_text(summary: Mapping[str, Any]) -> str:
    """The import summary in Chinese, for people."""
    head = "预览（尚未写入）" if summary.get("dry_run") else (
        "已导入" if summary.get("applied") else "未导入")
    lines = [f"{head}：共 {summary['rows']} 行，匹配 {summary['matched']} 人，更新 "
             f"{summary['updated']} 人，不变 {summary['unchanged']} 人，"
             f"不在新名单中而取消身份 {summary['removed']} 人。"]

    def section(title: str, items: list[str]) -> None:
        if items:
            lines.append(f"\n{title}（{len(items)}）：")
            lines.extend(f"  {item}" for item in items[:_LIST_LIMIT])
            if len(items) > _LIST_LIMIT:
                lines.append(f"  ……另有 {len(items) - _LIST_LIMIT} 条")

    section("新符合服务项目", [
        f"{e['name']}（{e['id_number']}）：" + "、".join(i["name"] for i in e["items"])
        for e in summary.get("newly_eligible", [])])
    section("取消身份", [f"{e['name']}（{e['id_number']}）"
                     for e in summary.get("removed_ids", [])])
    section("需寻访登记（本机未登记的身份证号）", [
        f"第 {e['row']} 行：{e['id_number']}" for e in summary.get("unknown_ids", [])])
    section("被拒绝的行", [f"第 {e['row']} 行【{e['field']}】{e['reason']}"
                       for e in summary.get("refused", [])])
    section("姓名与登记不符", [
        f"第 {e['row']} 行：{e['id_number']} 登记为“{e['registry']}”，名单为“{e['roster']}”"
        for e in summary.get("name_mismatches", [])])
    section("与较新的录入矛盾（待审核，未更新）", [
        f"第 {e['row']} 行：{e['id_number']}" for e in summary.get("contradictions", [])])
    section("已注销或已合并（未更新）", [
        f"第 {e['row']} 行：{e['id_number']}" for e in summary.get("not_on_roll", [])])
    return "\n".join(lines)


class RegistryImportDialog(QDialog):
    """The dialog; ``imported`` carries the summary after 导入."""

    imported = Signal(object)

    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("导入部门名单")
        self.setMinimumWidth(640)
        self.workspace = workspace
        self.choose_file: Callable[[], Path | None] = (
            lambda: open_file(self, "选择名单文件", "名单 (*.csv *.xlsx)"))
        self.previewed: tuple[Any, ...] | None = None
        self.summary: dict[str, Any] | None = None
        self.task: BackgroundTask | None = None
        self.path = QLineEdit()
        self.path.setObjectName("rosterFile")
        self.path.setPlaceholderText(".csv（UTF-8 或 GBK）或 .xlsx，第一行为表头")
        browse = QPushButton("浏览…")
        browse.clicked.connect(self._browse)
        file_row = QHBoxLayout()
        file_row.addWidget(self.path, 1)
        file_row.addWidget(browse)
        self.kind = QComboBox()
        self.kind.setObjectName("rosterKind")
        for kind in KINDS.values():
            columns = "、".join(("公民身份号码", *kind.columns))
            self.kind.addItem(f"{kind.office}：{kind.label}（列：{columns}）", kind.code)
        self.source = QLineEdit()
        self.source.setObjectName("rosterSource")
        self.source.setMaxLength(100)
        self.source.setPlaceholderText("如：县民政局")
        self.as_of = QDateEdit(QDate.currentDate())
        self.as_of.setObjectName("rosterAsOf")
        self.as_of.setCalendarPopup(True)
        self.as_of.setDisplayFormat("yyyy-MM-dd")
        self.as_of.setMaximumDate(QDate.currentDate())
        form = QFormLayout()
        form.addRow("名单文件", file_row)
        form.addRow("名单类型", self.kind)
        form.addRow("来源", self.source)
        form.addRow("截止日期", self.as_of)
        self.problem = QLabel()
        self.problem.setObjectName("problemBox")
        self.problem.setWordWrap(True)
        self.problem.hide()
        self.summary_view = QPlainTextEdit()
        self.summary_view.setObjectName("importSummary")
        self.summary_view.setReadOnly(True)
        self.summary_view.setPlaceholderText("先点“预览”查看将要发生的变化，确认后再导入。")
        self.preview_button = QPushButton("预览")
        self.preview_button.setObjectName("previewImport")
        self.import_button = QPushButton("导入")
        self.import_button.setObjectName("applyImport")
        self.import_button.setEnabled(False)
        close = QPushButton("关闭")
        self.preview_button.clicked.connect(lambda: self.run(dry_run=True))
        self.import_button.clicked.connect(lambda: self.run(dry_run=False))
        close.clicked.connect(self.reject)
        for edit in (self.path, self.source):
            edit.textChanged.connect(self._inputs_changed)
        self.kind.currentIndexChanged.connect(self._inputs_changed)
        self.as_of.dateChanged.connect(self._inputs_changed)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.preview_button)
        buttons.addWidget(self.import_button)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.problem)
        layout.addWidget(self.summary_view, 1)
        layout.addLayout(buttons)

    def _browse(self) -> None:
        chosen = self.choose_file()
        if chosen is not None:
            self.path.setText(str(chosen))

    def inputs(self) -> tuple[Path, str, str, date]:
        """(file, kind, source, as-of date) as entered."""
        return (Path(self.path.text().strip()), str(self.kind.currentData()),
                self.source.text().strip(), self.as_of.date().toPython())  # type: ignore[return-value]

    def _inputs_changed(self) -> None:
        self.previewed = None
        self.import_button.setEnabled(False)

    def run(self, *, dry_run: bool) -> BackgroundTask | None:
        """预览 (a dry run) or 导入 (only the inputs just previewed) in the background."""
        path, kind, source, as_of = self.inputs()
        self.problem.hide()
        if not self.path.text().strip():
            self._show_problem("请选择名单文件")
            return None
        if not dry_run and self.previewed != (path, kind, source, as_of):
            self._show_problem("请先预览")
            return None
        self.preview_button.setEnabled(False)
        self.import_button.setEnabled(False)
        task = BackgroundTask(registry_import_job(self.workspace, path, kind=kind, source=source,
                                                as_of=as_of, dry_run=dry_run), self)
        task.succeeded.connect(lambda summary: self._done(summary, (path, kind, source, as_of)))
        task.failed.connect(self._failed)
        task.finished.connect(lambda: self.preview_button.setEnabled(True))
        self.task = task
        progress = ProgressDialog(task, "正在预览名单" if dry_run else "正在导入名单", self)
        task.start()
        progress.open()
        return task

    def _done(self, summary: dict[str, Any], inputs: tuple[Any, ...]) -> None:
        self.summary = summary
        self.summary_view.setPlainText(summary_text(summary))
        if summary.get("dry_run"):
            readable = summary["rows"] > len(summary["refused"])
            self.previewed = inputs if readable else None
            self.import_button.setEnabled(readable)
            if not readable:
                self._show_problem("名单中没有可导入的行")
        else:
            self.previewed = None
            self.imported.emit(summary)

    def _failed(self, error: object) -> None:
        if isinstance(error, InputRejected):
            self._show_problem("\n".join(str(p) for p in error.problems))
        else:
            self._show_problem(f"导入失败：{error}")

    def _show_problem(self, text: str) -> None:
        self.problem.setText(text)
        self.problem.show()
