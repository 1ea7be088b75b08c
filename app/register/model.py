"""The elder register (花名册) as a lazy table model over ``workspace.elders.count`` and
``workspace.elders.page``.

Only the row count is asked for up front; rows are read a page at a time when the view first
asks for one of them and kept in a small page cache (least recently used pages are dropped),
so a roster of 100,000 elders costs a count query and a few pages. With ``deferred`` on (the
roster view), a page that is not cached yet shows "…" and is read a moment later, once the
scroll bar rests: dragging through 100,000 rows reads only the pages it stops on. Sorting is
done by the store (``RegisterFilter.sort``); columns it cannot sort by keep the current order.

Pages are read by key: the last row of each page read is remembered (a few bytes per page,
kept when the page itself is dropped), and the next page is read past it, so scrolling down
costs one short index range per page however deep. A jump to a page whose predecessor was
never read counts rows past the nearest page start known before it.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date
from typing import Any, Protocol

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QBrush, QColor

from assessment.records.api import (
    RegisterFilter,
    RegisterKey,
    RegisterRow,
    RegisterSort,
    StoreError,
)

PAGE_SIZE = 200
MAX_PAGES = 40
FETCH_DELAY_MS = 40
PLACEHOLDER = "…"

ELDER_ID_ROLE = Qt.ItemDataRole.UserRole + 1

_Index = QModelIndex | QPersistentModelIndex


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _date(value: date | None) -> str:
    return value.isoformat() if value else ""


def transferred_text(row: RegisterRow) -> str:
    """"已注销（日期起）" or "已合并" for an elder no longer on the roll, "已迁出至 …" for an
    elder the county moved to another township, else empty."""
    if row.status == "deregistered":
        return f"已注销（{_date(row.left_on)} 起）" if row.left_on else "已注销"
    if row.status == "merged":
        return "已合并到另一份档案"
    return f"已迁出至{row.transferred_to}" if row.transferred_to else ""


class RegisterColumn:
    """One column: header, how to show a row, the store's sort key (None: not sortable)."""

    def __init__(self, header: str, show: Callable[[RegisterRow], str],
                 sort: RegisterSort | None) -> None:
        self.header = header
        self.show = show
        self.sort = sort


class RegisterPages(Protocol):
    """What the model reads: the register's rows by the page (``workspace.elders``)."""

    def count(self, flt: RegisterFilter) -> int:
        """How many elders the filter shows."""
        ...

    def page(self, flt: RegisterFilter, offset: int, limit: int,
             after: RegisterKey | None = None) -> Sequence[RegisterRow]:
        """``limit`` rows from ``offset`` rows past ``after``."""
        ...


class RegisterModel(QAbstractTableModel):
    """Rows of the roster for the current :class:`RegisterFilter`, fetched by the page."""

    count_changed = Signal(int)

    def __init__(self, elders: RegisterPages, grade_name: Callable[[int], str],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._elders = elders
        self._grade_name = grade_name
        self._filter = RegisterFilter()
        self._count = 0
        self._pages: OrderedDict[int, Sequence[RegisterRow]] = OrderedDict()
        self._starts: dict[int, RegisterKey] = {}  # page number → the key its first row follows
        self.columns: tuple[RegisterColumn, ...] = (
            RegisterColumn("姓名", lambda r: r.name, RegisterSort.NAME),
            RegisterColumn("性别", lambda r: _text(r.sex), None),
            RegisterColumn("年龄", lambda r: _text(r.age), RegisterSort.AGE),
            RegisterColumn("公民身份号码", lambda r: _text(r.id_masked), None),
            RegisterColumn("村（社区）", lambda r: _text(r.village), RegisterSort.VILLAGE),
            RegisterColumn("当前等级", self._grade_text, RegisterSort.GRADE),
            RegisterColumn("上次评估", lambda r: _date(r.last_assessed), None),
            RegisterColumn("复评到期", lambda r: _date(r.due_on), RegisterSort.DUE),
            RegisterColumn("草稿", lambda r: "有草稿" if r.has_draft else "", None),
            RegisterColumn("备注", transferred_text, None),
        )
        self._count = elders.count(self._filter)
        self.deferred = False
        self._wanted: list[int] = []
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(FETCH_DELAY_MS)
        self._timer.timeout.connect(self._fetch_wanted)

    def _grade_text(self, row: RegisterRow) -> str:
        return "未评估" if row.grade is None else self._grade_name(row.grade)

    # ---- filter -------------------------------------------------------------------------

    @property
    def register_filter(self) -> RegisterFilter:
        """The filter the rows are shown for."""
        return self._filter

    def set_filter(self, flt: RegisterFilter, *, recount: bool = False) -> None:
        """Show the rows for another filter (a new count, an empty page cache). Another
        order of the same filter keeps the count unless ``recount`` (the store changed)."""
        same_rows = not recount and replace(flt, sort=self._filter.sort,
                                            descending=self._filter.descending) == self._filter
        self.beginResetModel()
        self._filter = flt
        self._pages.clear()
        self._starts.clear()
        self._wanted.clear()
        if not same_rows:  # another order of the same elders keeps their number
            self._count = self._elders.count(flt)
        self.endResetModel()
        self.count_changed.emit(self._count)

    def refresh(self) -> None:
        """Re-read after a change in the store (a finalized assessment, an edited elder)."""
        self.set_filter(self._filter, recount=True)

    # ---- Qt model -----------------------------------------------------------------------

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: N802, B008 - Qt API
        """Number of elders matching the filter (0 under any valid parent: a flat table)."""
        return 0 if parent.isValid() else self._count

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: N802, B008 - Qt API
        """Number of columns (0 under any valid parent)."""
        return 0 if parent.isValid() else len(self.columns)

    def row_at(self, row: int) -> RegisterRow | None:
        """The roster row at ``row``, reading its page when needed."""
        if not 0 <= row < self._count:
            return None
        number = row // PAGE_SIZE
        page = self._pages.get(number)
        if page is None:
            page = self._read_page(number)
            self._pages[number] = page
            while len(self._pages) > MAX_PAGES:
                self._pages.popitem(last=False)
        else:
            self._pages.move_to_end(number)
        offset = row - number * PAGE_SIZE
        return page[offset] if offset < len(page) else None

    def _read_page(self, number: int) -> Sequence[RegisterRow]:
        """Page ``number``, read past the nearest known page start at or before it."""
        known = max((n for n in self._starts if n <= number), default=0)
        after = self._starts.get(known)
        page = self._elders.page(self._filter, (number - known) * PAGE_SIZE,
                                           PAGE_SIZE, after)
        if len(page) == PAGE_SIZE and page[-1].key:
            self._starts[number + 1] = page[-1].key
        return page

    def _cached(self, row: int) -> bool:
        return row // PAGE_SIZE in self._pages

    def _want(self, row: int) -> None:
        number = row // PAGE_SIZE
        if number in self._wanted:
            return  # asked again while waiting: keep the timer running
        self._wanted.append(number)
        self._timer.start()  # a new page: wait until the view rests

    def _fetch_wanted(self) -> None:
        """Read the pages the view asked for last (those it is resting on) and repaint them."""
        wanted, self._wanted = self._wanted[-3:], []
        for number in wanted:
            first = number * PAGE_SIZE
            if first >= self._count:
                continue
            try:
                self.row_at(first)
            except StoreError:
                return  # the store was closed (sign-out, lock) while the fetch waited
            last = min(first + PAGE_SIZE, self._count) - 1
            self.dataChanged.emit(self.index(first, 0),
                                  self.index(last, len(self.columns) - 1))

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Display text, the elder id (``ELDER_ID_ROLE``), colours and alignment."""
        if not index.isValid() or index.parent().isValid():
            return None
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole,
                        ELDER_ID_ROLE, Qt.ItemDataRole.ForegroundRole,
                        Qt.ItemDataRole.TextAlignmentRole):
            return None
        if self.deferred and role != ELDER_ID_ROLE and not self._cached(index.row()):
            self._want(index.row())
            return PLACEHOLDER if role == Qt.ItemDataRole.DisplayRole else None
        row = self.row_at(index.row())
        if row is None:
            return None
        column = self.columns[index.column()]
        if role == ELDER_ID_ROLE:
            return row.elder_id
        if role == Qt.ItemDataRole.ForegroundRole:
            if column.sort is RegisterSort.DUE and row.due_on is not None:
                today = self._filter.as_of or date.today()
                if row.due_on <= today:
                    return QBrush(QColor("#b03a2e"))
            if column.header == "草稿" and row.has_draft:
                return QBrush(QColor("#9a6700"))
            if column.header == "备注" and (row.transferred_to or row.status != "active"):
                return QBrush(QColor("#6e7781"))
            return None
        if role == Qt.ItemDataRole.TextAlignmentRole:
            if column.sort is RegisterSort.AGE:
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            return None
        return column.show(row)

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802 - Qt API
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Column headers; row numbers on the vertical header."""
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            if 0 <= section < len(self.columns):
                return self.columns[section].header
            return None
        return str(section + 1) if 0 <= section < self._count else None

    def flags(self, index: _Index) -> Qt.ItemFlag:
        """Rows are selectable, never editable."""
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | \
            Qt.ItemFlag.ItemNeverHasChildren

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Ask the store for another order (columns it cannot sort by are ignored)."""
        if not 0 <= column < len(self.columns):
            return
        key = self.columns[column].sort
        if key is None:
            return
        wanted = replace(self._filter, sort=key,
                         descending=order == Qt.SortOrder.DescendingOrder)
        if wanted != self._filter:
            self.set_filter(wanted)
