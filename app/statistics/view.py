"""The statistics window for supervisors: charts (QtCharts), tables and an Excel export.

:func:`open_statistics` computes the tables off the GUI thread (reading the workspace and
matching every elder against the service lists) and shows :class:`StatisticsView`. The view
itself only displays a :class:`~assessment.documents.statistics.Statistics`; changing the
period recomputes in the background.
"""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
from PySide6.QtCharts import (
    QAbstractBarSeries,
    QBarCategoryAxis,
    QBarSeries,
    QBarSet,
    QChart,
    QChartView,
    QHorizontalBarSeries,
    QValueAxis,
)
from PySide6.QtCore import (
    QAbstractTableModel,
    QDate,
    QModelIndex,
    QPersistentModelIndex,
    QSize,
    Qt,
)
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import (
    QDateEdit,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.common.background import BackgroundTask, ProgressDialog
from app.common.file_dialogs import save_file
from app.common.geometry import fit_window
from assessment.documents.statistics import (
    AGE_BANDS,
    SEXES,
    TOTAL,
    VISIT_RATE_TITLE,
    Statistics,
    default_period,
)
from assessment.records.workspace import Workspace
from assessment.usecases.statistics import export_statistics, statistics_job
from assessment.visits.measure import MEASURE_BASIS

_Index = QModelIndex | QPersistentModelIndex


class DataFrameModel(QAbstractTableModel):
    """A read-only table over a DataFrame (numbers right-aligned)."""

    def __init__(self, frame: pd.DataFrame | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._frame = frame if frame is not None else pd.DataFrame()
        self._values: list[list[Any]] = self._frame.to_numpy(dtype=object).tolist()

    def set_frame(self, frame: pd.DataFrame) -> None:
        """Show another table."""
        self.beginResetModel()
        self._frame = frame
        self._values = frame.to_numpy(dtype=object).tolist()
        self.endResetModel()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self._values)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self._frame.columns)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._values):
            return None
        value = self._values[index.row()][index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            if value is None or (isinstance(value, float) and value != value):
                return ""
            return str(value)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            numeric = isinstance(value, int | float) and not isinstance(value, bool)
            horizontal = Qt.AlignmentFlag.AlignRight if numeric else Qt.AlignmentFlag.AlignLeft
            return int(horizontal | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            if 0 <= section < len(self._frame.columns):
                return str(self._frame.columns[section])
            return None
        return str(section + 1)


HEADROOM = 1.12
"""Room above the tallest bar for its value label."""


def nice_axis(top: float, ticks: int = 5) -> tuple[int, int]:
    """A value axis from 0 with round ticks: (upper end, tick step).

    The step is 1, 2 or 5 times a power of ten, chosen for about ``ticks`` intervals; the upper
    end is a whole number of steps with room above ``top`` for the bar labels.
    """
    wanted = max(1.0, top * HEADROOM)
    raw = wanted / ticks
    power = 10 ** max(0, math.floor(math.log10(raw))) if raw >= 1 else 1
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    return int(math.ceil(wanted / step) * step), int(step)


def _labelled(series: QAbstractBarSeries) -> None:
    """Each bar's value beside its end, in the text colour (never cut: see HEADROOM)."""
    series.setLabelsVisible(True)
    series.setLabelsPosition(QAbstractBarSeries.LabelsPosition.LabelsOutsideEnd)
    series.setLabelsFormat("@value")
    for bars in series.barSets():
        bars.setLabelColor(QColor("#1f2328"))


def two_lines(label: str) -> str:
    """``能力轻度受损（轻度失能）`` → two lines, so that narrow bars do not cut it."""
    head, sep, tail = label.partition("（")
    return f"{head}<br>{sep}{tail}" if sep else label


def _value_axis(top: float) -> QValueAxis:
    axis = QValueAxis()
    upper, step = nice_axis(top)
    axis.setRange(0, upper)
    axis.setTickType(QValueAxis.TickType.TicksDynamic)
    axis.setTickAnchor(0)
    axis.setTickInterval(step)
    axis.setLabelFormat("%d")
    return axis


def _chart(title: str) -> QChart:
    chart = QChart()
    chart.setTitle(title)
    chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
    chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
    return chart


def grade_chart(stats: Statistics) -> QChart:
    """Elders per final grade (the 合计 row of the grade table)."""
    total = stats.grades.iloc[-1]
    labels = [c for c in stats.grades.columns[2:] if c != TOTAL]
    bars = QBarSet("人数")
    for label in labels:
        bars.append(float(total[label]))
    series = QBarSeries()
    series.append(bars)
    series.setLabelsVisible(True)
    chart = _chart("能力等级分布（当前评估）")
    chart.addSeries(series)
    _axes(chart, series, labels, max(float(total[label]) for label in labels) if labels else 1)
    chart.legend().setVisible(False)
    return chart


def age_sex_chart(stats: Statistics) -> QChart:
    """Elders per age band, one bar set per sex."""
    total = stats.age_sex.iloc[-1]
    series = QBarSeries()
    top = 1.0
    for sex in SEXES:
        bars = QBarSet(sex)
        for band in AGE_BANDS:
            value = float(total[f"{band} {sex}"])
            bars.append(value)
            top = max(top, value)
        series.append(bars)
    chart = _chart("年龄段与性别")
    chart.addSeries(series)
    _axes(chart, series, list(AGE_BANDS), top)
    return chart


def eligibility_chart(stats: Statistics) -> QChart:
    """Eligible elders per service item."""
    summary = stats.eligibility_summary
    bars = QBarSet("符合人数")
    labels = []
    for _, row in summary.iloc[::-1].iterrows():
        labels.append(str(row["项目编号"]))
        bars.append(float(row["符合"]))
    series = QHorizontalBarSeries()
    series.append(bars)
    chart = _chart("服务项目符合人数")
    chart.addSeries(series)
    top = float(summary["符合"].max()) if len(summary) else 1.0
    categories = QBarCategoryAxis()
    categories.append(labels)
    values = _value_axis(top)
    _labelled(series)
    chart.addAxis(categories, Qt.AlignmentFlag.AlignLeft)
    chart.addAxis(values, Qt.AlignmentFlag.AlignBottom)
    series.attachAxis(categories)
    series.attachAxis(values)
    chart.legend().setVisible(False)
    return chart


def _axes(chart: QChart, series: QBarSeries, labels: list[str], top: float) -> None:
    categories = QBarCategoryAxis()
    categories.append([two_lines(label) for label in labels])
    values = _value_axis(top)
    _labelled(series)
    chart.addAxis(categories, Qt.AlignmentFlag.AlignBottom)
    chart.addAxis(values, Qt.AlignmentFlag.AlignLeft)
    series.attachAxis(categories)
    series.attachAxis(values)


class StatisticsView(QDialog):
    """Charts and tables of one :class:`Statistics`, with a period picker and an export."""

    def __init__(self, parent: QWidget | None = None,
                 workspace: Workspace | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.stats: Statistics | None = None
        self._task: BackgroundTask | None = None
        self.setWindowTitle("统计报表")
        fit_window(self, QSize(1100, 720))
        start, end = default_period(date.today())
        self.start_edit = QDateEdit(QDate(start.year, start.month, start.day))
        self.end_edit = QDateEdit(QDate(end.year, end.month, end.day))
        for edit in (self.start_edit, self.end_edit):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
        self.refresh_button = QPushButton("重新统计")
        self.refresh_button.clicked.connect(self.refresh)
        self.refresh_button.setEnabled(workspace is not None)
        self.export_button = QPushButton("导出 Excel…")
        self.export_button.clicked.connect(self.export_dialog)
        self.export_button.setEnabled(False)
        self.summary = QLabel("")
        bar = QHBoxLayout()
        bar.addWidget(QLabel("期间评估："))
        bar.addWidget(self.start_edit)
        bar.addWidget(QLabel("至"))
        bar.addWidget(self.end_edit)
        bar.addWidget(self.refresh_button)
        bar.addStretch(1)
        bar.addWidget(self.summary)
        bar.addWidget(self.export_button)
        self.tabs = QTabWidget()
        self.models: dict[str, DataFrameModel] = {}
        self.chart_views: dict[str, QChartView] = {}
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.tabs, 1)

    def period(self) -> tuple[date, date]:
        """The chosen period (inclusive)."""
        start, end = self.start_edit.date(), self.end_edit.date()
        return (date(start.year(), start.month(), start.day()),
                date(end.year(), end.month(), end.day()))

    def set_statistics(self, stats: Statistics) -> None:
        """Show ``stats``: one tab per table, with a chart above the main ones."""
        self.stats = stats
        charts = {"能力等级": grade_chart, "年龄与性别": age_sex_chart,
                  "服务项目汇总": eligibility_chart}
        current = self.tabs.currentIndex()
        self.tabs.clear()
        self.models.clear()
        self.chart_views.clear()
        for title, table in stats.tables().items():
            model = DataFrameModel(table, self)
            view = QTableView()
            view.setModel(model)
            view.setAlternatingRowColors(True)
            view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
            self.models[title] = model
            if title == VISIT_RATE_TITLE:  # say how the month's rate was computed
                note = QLabel(f"口径：{MEASURE_BASIS}")
                note.setWordWrap(True)
                box = QWidget()
                column = QVBoxLayout(box)
                column.setContentsMargins(0, 0, 0, 0)
                column.addWidget(note)
                column.addWidget(view, 1)
                self.tabs.addTab(box, title)
                continue
            make_chart = charts.get(title)
            if make_chart is None or (title == "服务项目汇总" and table.empty):
                self.tabs.addTab(view, title)
                continue
            chart_view = QChartView(make_chart(stats))
            chart_view.setRenderHint(QPainter.RenderHint.Antialiasing)
            self.chart_views[title] = chart_view
            splitter = QSplitter(Qt.Orientation.Vertical)
            splitter.addWidget(chart_view)
            splitter.addWidget(view)
            splitter.setSizes([360, 300])
            self.tabs.addTab(splitter, title)
        if current >= 0:
            self.tabs.setCurrentIndex(min(current, self.tabs.count() - 1))
        total = stats.grades.iloc[-1][TOTAL]
        self.summary.setText(f"统计日期 {stats.as_of.isoformat()}，老年人 {total} 人")
        self.export_button.setEnabled(True)

    def export(self, path: Path) -> Path:
        """Write the shown statistics to an Excel file."""
        if self.stats is None:
            raise RuntimeError("尚无统计结果")
        return export_statistics(self.stats, path)

    def export_dialog(self) -> None:
        """Ask for a file and export."""
        chosen = save_file(self, "导出统计报表", "统计报表.xlsx", "Excel 文件 (*.xlsx)")
        if chosen is None:
            return
        try:
            self.export(chosen)
        except OSError as error:
            QMessageBox.critical(self, "无法导出", f"无法写入 {chosen}：{error.strerror}")

    def refresh(self) -> BackgroundTask | None:
        """Recompute from the workspace in the background."""
        if self.workspace is None:
            return None
        start, end = self.period()
        task = statistics_task(self.workspace, start, end, self)
        task.succeeded.connect(lambda stats: self.set_statistics(stats))
        task.failed.connect(lambda error: QMessageBox.critical(self, "统计失败", str(error)))
        self._task = task
        dialog = ProgressDialog(task, "正在统计", self)
        task.start()
        dialog.open()
        return task


def statistics_task(workspace: Workspace, start: date | None, end: date | None,
                    parent: QWidget | None = None) -> BackgroundTask:
    """A (not yet started) background task computing the statistics."""
    return BackgroundTask(statistics_job(workspace, start, end), parent)


def open_statistics(parent: QWidget | None, workspace: Workspace) -> StatisticsView:
    """Open the statistics window and start computing (entry point for the main window)."""
    view = StatisticsView(parent, workspace)
    view.show()
    view.refresh()
    return view
