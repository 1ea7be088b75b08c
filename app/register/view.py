"""The roster page: search as you type, filters by grade, village and 复评到期, the table.

The search box sends its text to the store after a short pause (150 ms) so that typing
``zhangsan`` costs one query, not eight. The store does all the matching (name, pinyin
initials, full pinyin, ID tail digits, village).
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.common.context import AppContext
from app.register.model import ELDER_ID_ROLE, RegisterModel
from assessment.records.api import RegisterFilter

SEARCH_DELAY_MS = 150
NEVER_ASSESSED = -1


class RegisterTable(QTableView):
    """The table; Enter opens the current elder."""

    activated_row = Signal(int)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        """Enter/Return opens the selected elder."""
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            index = self.currentIndex()
            if index.isValid():
                self.activated_row.emit(index.row())
                return
        super().keyPressEvent(event)


class RegisterPage(QWidget):
    """Find an elder; ``elder_opened`` carries the elder id."""

    elder_opened = Signal(str)
    count_changed = Signal(int, int)  # shown, total

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.model = RegisterModel(ctx.workspace.elders, ctx.form.grade_name, self)
        self.model.deferred = True
        self.total = self.model.rowCount()
        self.model.row_at(0)  # the first page is always in view: read it now, not after a rest
        self.search = QLineEdit()
        self.search.setObjectName("rosterSearch")
        self.search.setPlaceholderText("搜索：姓名、拼音首字母（如 zs）、全拼（如 zhangsan）、"
                                       "身份证号末几位、村名")
        self.search.setClearButtonEnabled(True)
        self.grade = QComboBox()
        self.grade.setObjectName("gradeFilter")
        self.grade.addItem("全部等级", None)
        for band in ctx.form.grades:
            self.grade.addItem(band.name, band.grade)
        self.grade.addItem("未评估", NEVER_ASSESSED)
        self.village = QComboBox()
        self.village.setObjectName("villageFilter")
        self.village.addItem("全部村（社区）", None)
        for name in ctx.workspace.elders.villages():
            self.village.addItem(name, name)
        self.due = QCheckBox("只看复评到期")
        self.due.setObjectName("dueFilter")
        filters = QHBoxLayout()
        filters.addWidget(self.search, 1)
        filters.addWidget(QLabel("等级"))
        filters.addWidget(self.grade)
        filters.addWidget(QLabel("村（社区）"))
        filters.addWidget(self.village)
        filters.addWidget(self.due)
        self.table = RegisterTable()
        self.table.setObjectName("rosterTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setSortingEnabled(True)
        self.table.horizontalHeader().setSortIndicator(0, Qt.SortOrder.AscendingOrder)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(28)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        header = self.table.horizontalHeader()
        header.setStretchLastSection(True)
        for column, width in enumerate((110, 50, 50, 190, 150, 190, 100, 100, 70)):
            header.resizeSection(column, width)
        self.table.doubleClicked.connect(self._open_index)
        self.table.activated_row.connect(self._open_row)
        self.empty = QLabel("没有符合条件的老人。可以换个写法试试：姓名、拼音首字母、"
                            "身份证号末几位。")
        self.empty.setObjectName("emptyHint")
        self.empty.hide()
        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SEARCH_DELAY_MS)
        self._timer.timeout.connect(self.apply_filter)
        self.search.textChanged.connect(self._timer.start)
        self.search.returnPressed.connect(self._search_enter)
        self.grade.currentIndexChanged.connect(self.apply_filter)
        self.village.currentIndexChanged.connect(self.apply_filter)
        self.due.toggled.connect(self.apply_filter)
        self.model.count_changed.connect(self._on_count)

    def apply_filter(self) -> None:
        """Send the search text and filters to the model now."""
        self._timer.stop()
        flt = replace(
            self.model.register_filter,
            text=self.search.text().strip(),
            grade=self.grade.currentData(),
            village=self.village.currentData(),
            due_only=self.due.isChecked(),
        )
        if flt != self.model.register_filter:
            self.model.set_filter(flt)

    def refresh(self) -> None:
        """Re-read the roster after a change elsewhere (the total too: an elder may be new)."""
        self.total = self.ctx.workspace.elders.count(RegisterFilter())
        self.model.refresh()

    def _search_enter(self) -> None:
        self.apply_filter()
        if self.model.rowCount() >= 1:
            self.table.setFocus()
            self.table.selectRow(0)
            if self.model.rowCount() == 1:
                self._open_row(0)

    def _on_count(self, count: int) -> None:
        self.empty.setVisible(count == 0)
        self.count_changed.emit(count, self.total)

    def _open_index(self, index: QModelIndex) -> None:
        self._open_row(index.row())

    def _open_row(self, row: int) -> None:
        elder_id = self.model.data(self.model.index(row, 0), ELDER_ID_ROLE)
        if isinstance(elder_id, str):
            self.elder_opened.emit(elder_id)

    def focus_search(self) -> None:
        """Put the cursor in the search box (Ctrl+F)."""
        self.search.setFocus()
        self.search.selectAll()
