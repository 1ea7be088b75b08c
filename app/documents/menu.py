"""The 文档 menu of the main window: 批量打印证书… and 统计报表….

:func:`install_documents` is the one call the main window makes. Batch printing picks the
elders of one village or of the roster's current filter, and hands their current finalized
assessments to :func:`app.documents.printing.batch_certificates` (background helper, progress bar,
取消; one PDF, one PDF per certificate, or the printer). Reprints are marked 补打 and logged
by :mod:`app.documents.printing`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from assessment.records.api import RegisterFilter
from assessment.records.workspace import Workspace

if TYPE_CHECKING:  # pandas, charts and reportlab load when first used, not at start-up
    from app.documents.printing import BatchTaskHandle
    from app.statistics.view import StatisticsView

PAGE = 500
MODES = (("one_pdf", "合并为一个 PDF 文件"), ("pdf_per_certificate", "每份报告一个 PDF 文件"),
         ("print", "直接打印"))
CURRENT_FILTER = "当前花名册筛选结果"


def assessed_ids(workspace: Workspace, flt: RegisterFilter) -> list[str]:
    """The current finalized assessment of every assessed elder the filter shows."""
    ids: list[str] = []
    offset = 0
    while True:
        rows = workspace.elders.page(flt, offset, PAGE)
        for row in rows:
            if row.grade is None:
                continue
            record = workspace.assessments.current(row.elder_id)
            if record is not None:
                ids.append(record.assessment_id)
        if len(rows) < PAGE:
            return ids
        offset += PAGE


class BatchPrintDialog(QDialog):
    """Which elders (a village or the roster's filter) and how (PDF or printer)."""

    def __init__(self, workspace: Workspace, register_filter: RegisterFilter | None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("批量打印评估报告")
        self.workspace = workspace
        self.register_filter = register_filter
        self.scope = QComboBox()
        if register_filter is not None:
            self.scope.addItem(CURRENT_FILTER, None)
        self.scope.addItem("全部老人", "")
        for village in workspace.elders.villages():
            self.scope.addItem(village, village)
        self.scope.currentIndexChanged.connect(self._count)
        self.modes: dict[str, QRadioButton] = {}
        mode_box = QVBoxLayout()
        for key, text in MODES:
            button = QRadioButton(text)
            self.modes[key] = button
            mode_box.addWidget(button)
        self.modes["one_pdf"].setChecked(True)
        self.count = QLabel()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("开始")
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("取消")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow("范围", self.scope)
        form.addRow("输出", mode_box)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.count)
        layout.addWidget(QLabel("已打印或导出过的报告将标注“补打”，并记入审计日志。"))
        layout.addWidget(self.buttons)
        self._count()

    def selected_filter(self) -> RegisterFilter:
        """The roster filter of the chosen scope (the whole list, not one page)."""
        village = self.scope.currentData()
        if village is None and self.register_filter is not None:
            return self.register_filter
        return RegisterFilter(village=village or None)

    def mode(self) -> str:
        """The chosen output mode (:data:`assessment.usecases.certificates.BATCH_MODES`)."""
        return next(key for key, button in self.modes.items() if button.isChecked())

    def assessment_ids(self) -> list[str]:
        """The assessments to print for the chosen scope."""
        return assessed_ids(self.workspace, self.selected_filter())

    def _count(self) -> None:
        total = self.workspace.elders.count(self.selected_filter())
        self.count.setText(f"范围内共 {total} 位老人；已完成评估的老人将各生成一份报告。")


class DocumentsMenu(QObject):
    """The 文档 menu's actions."""

    def __init__(self, window: QMainWindow, workspace: Workspace,
                 register_filter: Callable[[], RegisterFilter | None] = lambda: None) -> None:
        super().__init__(window)
        self.window = window
        self.workspace = workspace
        self._register_filter = register_filter
        self.batch: BatchTaskHandle | None = None
        self.statistics: StatisticsView | None = None
        menu = window.menuBar().addMenu("文档(&D)")
        self.menu = menu
        self.batch_action = QAction("批量打印证书…", self)
        self.batch_action.triggered.connect(self.open_batch)
        self.stats_action = QAction("统计报表…", self)
        self.stats_action.triggered.connect(self.open_statistics)
        menu.addAction(self.batch_action)
        menu.addAction(self.stats_action)
        self.dialog: BatchPrintDialog | None = None

    def register_filter(self) -> RegisterFilter | None:
        """The roster page's current filter (as the window's caller passed it), if any."""
        return self._register_filter()

    def open_batch(self) -> BatchPrintDialog:
        """Ask for scope and output; the batch starts when the dialog is accepted."""
        dialog = BatchPrintDialog(self.workspace, self.register_filter(), self.window)
        dialog.accepted.connect(lambda: self.start_batch(dialog))
        self.dialog = dialog
        dialog.open()
        return dialog

    def start_batch(self, dialog: BatchPrintDialog) -> BatchTaskHandle | None:
        """Run the batch the dialog describes (the user then picks the file or printer)."""
        ids = dialog.assessment_ids()
        if not ids:
            QMessageBox.information(self.window, "没有可打印的报告",
                                    "所选范围内没有已完成评估的老人。")
            return None
        from app.documents.printing import batch_certificates  # reportlab loads on first use

        self.batch = batch_certificates(self.window, self.workspace, ids, dialog.mode())
        return self.batch

    def open_statistics(self) -> StatisticsView:
        """The statistics window (computed in the background)."""
        from app.statistics.view import open_statistics

        self.statistics = open_statistics(self.window, self.workspace)
        return self.statistics


def install_documents(window: QMainWindow, workspace: Workspace,
                      register_filter: Callable[[], RegisterFilter | None] = lambda: None,
                      ) -> DocumentsMenu:
    """Add the 文档 menu to ``window``; ``register_filter`` gives the roster's current filter."""
    return DocumentsMenu(window, workspace, register_filter)
