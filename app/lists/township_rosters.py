"""乡镇服务名单: per-item rosters of the whole registry, matched in one vectorized pass.

The work is the core's one pipeline (:mod:`assessment.usecases.rosters`, also behind
``yinling roster`` without ``--input``), run off the GUI thread (:mod:`app.common.background`):
it reads every elder once, matches the whole registry in one vectorized pass and makes every
item's roster. The view lists every item with its counts (符合, 待核实), shows the selected
item's roster with what is missing, and exports Excel or CSV (the core's writer, also in the
background).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from PySide6.QtCore import QItemSelection, QSize, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.common.background import BackgroundTask, CancelToken, ProgressDialog, ProgressFn
from app.common.file_dialogs import save_file
from app.common.geometry import fit_window
from app.lists.models import ItemCountsModel, RosterTableModel
from assessment.eligibility import ListRegistry
from assessment.eligibility.rosters import ITEM_ID, ITEM_NAME, LIST
from assessment.records.workspace import Workspace
from assessment.usecases.rosters import TownshipRosters, export_rosters, township_rosters_job

# Roster columns not shown on screen (the item is already selected; ids are internal).
HIDDEN_COLUMNS = (ITEM_ID, ITEM_NAME, LIST, "人员编号")


class TownshipRostersView(QDialog):
    """乡镇服务名单: items with counts, the selected item's roster, exports."""

    def __init__(self, workspace: Workspace, registry: ListRegistry,
                 parent: QWidget | None = None, as_of: date | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("乡镇服务名单")
        fit_window(self, QSize(1280, 780))
        self.workspace = workspace
        self.registry = registry
        self.as_of = as_of or date.today()
        self.rosters: TownshipRosters | None = None
        self.task: BackgroundTask | None = None
        self.ask_path: Callable[[str], Path | None] = self._ask_path_dialog
        self.heading = QLabel()
        self.heading.setObjectName("pageTitle")
        self.heading.setWordWrap(True)
        self.notice = QLabel()
        self.notice.setObjectName("warningBox")
        self.notice.setWordWrap(True)
        self.notice.hide()
        self.counts = ItemCountsModel(self)
        self.items_view = QTableView()
        self.items_view.setObjectName("itemCounts")
        self.items_view.setModel(self.counts)
        self.items_view.verticalHeader().setVisible(False)
        self.items_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.items_view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.items_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.items_view.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents)
        self.items_view.horizontalHeader().setSectionResizeMode(
            1, QHeaderView.ResizeMode.Interactive)
        self.items_view.setColumnWidth(1, 210)
        self.items_view.selectionModel().selectionChanged.connect(self._on_selected)
        self.roster = RosterTableModel(self)
        self.roster_view = QTableView()
        self.roster_view.setObjectName("itemRoster")
        self.roster_view.setModel(self.roster)
        self.roster_view.setWordWrap(False)
        self.roster_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.roster_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.roster_view.horizontalHeader().setStretchLastSection(True)
        self.roster_caption = QLabel("请在左侧选择一个服务项目。")
        self.roster_caption.setObjectName("panelCaption")
        self.roster_caption.setWordWrap(True)
        self.refresh_button = QPushButton("重新计算")
        self.refresh_button.clicked.connect(self.refresh)
        self.excel_button = QPushButton("导出 Excel…")
        self.excel_button.setObjectName("exportExcel")
        self.csv_button = QPushButton("导出 CSV…")
        self.csv_button.setObjectName("exportCsv")
        self.excel_button.clicked.connect(lambda: self.export_dialog(".xlsx"))
        self.csv_button.clicked.connect(lambda: self.export_dialog(".csv"))
        self.status = QLabel()
        self.status.setObjectName("savedLabel")
        self.status.setWordWrap(True)
        close = QPushButton("关闭")
        close.clicked.connect(self.accept)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.roster_caption)
        right_layout.addWidget(self.roster_view, 1)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.items_view)
        splitter.addWidget(right)
        splitter.setSizes([620, 660])
        buttons = QHBoxLayout()
        buttons.addWidget(self.status, 1)
        for button in (self.refresh_button, self.excel_button, self.csv_button, close):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.notice)
        layout.addWidget(splitter, 1)
        layout.addLayout(buttons)
        self._set_exports_enabled(False)
        self._show_heading()

    # ---- computing ----------------------------------------------------------------------

    def refresh(self) -> BackgroundTask:
        """Match the whole registry in the background, with a progress bar and 取消."""
        task = BackgroundTask(township_rosters_job(self.workspace, self.registry, self.as_of),
                              self)
        task.succeeded.connect(self._on_computed)
        task.failed.connect(self._on_failed)
        task.cancelled.connect(lambda: self.status.setText("已取消计算。"))
        self.task = task
        self.refresh_button.setEnabled(False)
        task.finished.connect(lambda: self.refresh_button.setEnabled(True))
        self.progress = ProgressDialog(task, "正在计算乡镇服务名单", self)
        self.status.setText("正在计算……")
        task.start()
        self.progress.open()
        return task

    def _on_failed(self, error: object) -> None:
        self.status.setText("计算失败。")
        QMessageBox.critical(self, "计算失败", f"乡镇服务名单无法计算：{error}")

    def _on_computed(self, rosters: object) -> None:
        assert isinstance(rosters, TownshipRosters)
        self.rosters = rosters
        self.counts.set_counts(rosters.counts)
        self._show_heading()
        if rosters.skipped:
            shown = "、".join(rosters.skipped[:10])
            more = f"等 {len(rosters.skipped)} 人" if len(rosters.skipped) > 10 else ""
            self.notice.setText(f"以下老人的服务清单属性无法识别，未计入：{shown}{more}。"
                                "请在老人页面“服务清单”中改正。")
        self.notice.setVisible(bool(rosters.skipped))
        self.status.setText(f"已完成：{len(rosters.frame)} 位老人，{len(rosters.counts)} 个项目。")
        self._set_exports_enabled(True)
        if self.counts.rowCount():
            self.items_view.selectRow(0)

    def _show_heading(self) -> None:
        parts = []
        for version in self.registry.in_force(self.as_of):
            mark = "（暂行）" if version.provisional and "暂行" not in version.title else ""
            parts.append(f"{version.title}{mark} {version.ref}")
        people = f"，共 {len(self.rosters.frame)} 位老人" if self.rosters is not None else ""
        self.heading.setText(
            f"评估日期 {self.as_of.isoformat()}{people}；清单：" + "；".join(parts))

    def _set_exports_enabled(self, enabled: bool) -> None:
        self.excel_button.setEnabled(enabled)
        self.csv_button.setEnabled(enabled)

    def _on_selected(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        rows = self.items_view.selectionModel().selectedRows()
        if rows:
            self.show_item(self.counts.count(rows[0].row()).item_id)

    def show_item(self, item_id: str) -> None:
        """Show one item's roster (eligible first, then undetermined with what is missing)."""
        if self.rosters is None:
            return
        table = self.rosters.tables[item_id]
        self.roster.set_frame(table)
        names = self.roster.column_names()
        for column, name in enumerate(names):
            self.roster_view.setColumnHidden(column, name in HIDDEN_COLUMNS)
        self.roster_view.resizeColumnsToContents()
        count = next(c for c in self.rosters.counts if c.item_id == item_id)
        self.roster_caption.setText(f"{count.item_id} {count.name}：符合 {count.eligible} 人，"
                                    f"待核实 {count.undetermined} 人（待核实者列出需补充的信息）")

    # ---- exporting ----------------------------------------------------------------------

    def _ask_path_dialog(self, suffix: str) -> Path | None:
        kind = "Excel 工作簿 (*.xlsx)" if suffix == ".xlsx" else "CSV 文件 (*.csv)"
        path = save_file(self, "导出乡镇服务名单",
                         f"乡镇服务名单_{self.as_of.isoformat()}{suffix}", kind)
        if path is None:
            return None
        return path if path.suffix.lower() == suffix else path.with_suffix(suffix)

    def export_dialog(self, suffix: str) -> BackgroundTask | None:
        """Ask where, then export every item's roster."""
        path = self.ask_path(suffix)
        return self.export(path) if path is not None else None

    def export(self, path: Path) -> BackgroundTask | None:
        """Write every roster to ``path`` (``.xlsx`` or ``.csv``) in the background."""
        rosters = self.rosters
        if rosters is None:
            return None

        def job(progress: ProgressFn, token: CancelToken) -> Path:
            progress(0, 1, f"正在导出 {path.name}")
            export_rosters(rosters, path)
            return path

        task = BackgroundTask(job, self)
        task.succeeded.connect(lambda done: self.status.setText(f"已导出：{done}"))
        task.failed.connect(lambda error: self._export_failed(path, error))
        self.export_task = task
        dialog = ProgressDialog(task, "正在导出", self)
        task.start()
        dialog.open()
        return task

    def _export_failed(self, path: Path, error: object) -> None:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        self.status.setText(f"导出失败：{reason}")
        QMessageBox.warning(self, "导出失败", f"无法写入 {path}：{reason}")
