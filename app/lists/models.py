"""Qt table models of the service-list screens: one elder's results, item counts, rosters.

The models only show what the core computed (:mod:`assessment.eligibility`); result words
are the core's own labels (``符合`` / ``不符合`` / ``待核实``) so that the screen, the roster
exports and the statistics say the same thing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from assessment.eligibility import RESULT_LABELS, ItemResult, ServiceList
from assessment.eligibility.explain import holding_reasons
from assessment.eligibility.listseal import LOCAL_MARK
from assessment.usecases.rosters import ItemCount

if TYPE_CHECKING:
    import pandas as pd  # only the township view (made on demand) hands frames in

_Index = QModelIndex | QPersistentModelIndex
RowT = TypeVar("RowT")

# (background, text) per result: green = 符合, grey = 不符合, amber = 待核实.
RESULT_COLOURS = {
    "eligible": ("#dafbe1", "#116329"),
    "not_eligible": ("#f0f2f4", "#57606a"),
    "undetermined": ("#fff1c2", "#7a4d00"),
}
SOURCE_PREFIX = "依据"  # the reason line citing the source document (shown as a tooltip)
RESULT_MARKS = {"eligible": "✓", "not_eligible": "✗", "undetermined": "?"}


def result_text(result: str) -> str:
    """``✓ 符合`` / ``✗ 不符合`` / ``? 待核实`` (a mark as well as a colour)."""
    return f"{RESULT_MARKS.get(result, '')} {RESULT_LABELS.get(result, result)}".strip()


def _brush(colour: str) -> QBrush:
    return QBrush(QColor(colour))


class _TableModel(QAbstractTableModel, Generic[RowT]):
    """Shared plumbing of the models below: the rows, resetting them, counts, bounds checks
    and numbered row headers; a model says what its cells show in :meth:`_data`."""

    HEADERS: Sequence[str] = ()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: tuple[RowT, ...] = ()

    def _reset(self, rows: Iterable[RowT], also: Callable[[], None] | None = None) -> None:
        """Show ``rows``; ``also`` changes the rest of the model's state inside the reset."""
        self.beginResetModel()
        self._rows = tuple(rows)
        if also is not None:
            also()
        self.endResetModel()

    def _headers(self) -> Sequence[str]:
        return self.HEADERS

    def _row_total(self) -> int:
        return len(self._rows)

    def _in_range(self, index: _Index) -> bool:
        return (index.isValid() and 0 <= index.row() < self._row_total()
                and 0 <= index.column() < len(self._headers()))

    def _data(self, row: RowT, column: int, role: int) -> Any:
        raise NotImplementedError

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else self._row_total()

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self._headers())

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not self._in_range(index):
            return None
        return self._data(self._rows[index.row()], index.column(), role)

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            headers = self._headers()
            return headers[section] if 0 <= section < len(headers) else None
        return str(section + 1)


class EligibilityModel(_TableModel[tuple[ItemResult, str]]):
    """Every item of every applicable list for one elder, with result, reasons and what to ask."""

    HEADERS = ("编号", "服务项目", "结果", "判断依据", "需核实", "标准", "清单版本")
    ID, NAME, RESULT, REASONS, MISSING, STANDARD, LIST = range(7)

    def set_results(self, items: Sequence[ItemResult],
                    missing_labels: Sequence[str] | None = None) -> None:
        """Show new results; ``missing_labels`` holds the Chinese question per item."""
        labels = tuple(missing_labels) if missing_labels is not None else ()
        missing = labels if len(labels) == len(items) else ("",) * len(items)
        self._reset(zip(items, missing, strict=True))

    def item(self, row: int) -> ItemResult:
        """The result shown on ``row``."""
        return self._rows[row][0]

    def _text(self, item: ItemResult, missing: str, column: int) -> str:
        if column == self.ID:
            return item.id
        if column == self.NAME:
            return item.name
        if column == self.RESULT:
            return result_text(item.result)
        if column == self.REASONS:
            holding, others = holding_reasons(item.result, item.reasons)
            lines = [r for r in holding if not r.startswith(SOURCE_PREFIX)]
            if others:
                lines.append(f"（另有 {len(others)} 个可选条件未满足，不影响结果）")
            return "\n".join(lines)
        if column == self.MISSING:
            return missing
        if column == self.STANDARD:
            return item.standard
        return f"{item.list}（暂行）" if item.provisional else item.list

    def _data(self, row: tuple[ItemResult, str], column: int, role: int) -> Any:
        item, missing = row
        if role == Qt.ItemDataRole.ToolTipRole and column == self.REASONS:
            holding, others = holding_reasons(item.result, item.reasons)
            if not others:
                return "\n".join(item.reasons)
            return "\n".join([*holding, "未满足、但不影响结果的可选条件：", *others])
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return self._text(item, missing, column)
        if role == Qt.ItemDataRole.UserRole:
            return item.result
        colours = RESULT_COLOURS.get(item.result)
        if colours is not None and column == self.RESULT:
            if role == Qt.ItemDataRole.BackgroundRole:
                return _brush(colours[0])
            if role == Qt.ItemDataRole.ForegroundRole:
                return _brush(colours[1])
        if role == Qt.ItemDataRole.ForegroundRole and item.result == "not_eligible":
            return _brush("#6e7781")
        if role == Qt.ItemDataRole.TextAlignmentRole:
            vertical = Qt.AlignmentFlag.AlignTop
            if column == self.RESULT:
                return int(Qt.AlignmentFlag.AlignHCenter | vertical)
            return int(Qt.AlignmentFlag.AlignLeft | vertical)
        return None


class ItemCountsModel(_TableModel[ItemCount]):
    """The items of the lists in force with their counts over the whole registry."""

    HEADERS = ("编号", "服务项目", "类型", "符合人数", "待核实人数", "清单版本")

    def set_counts(self, rows: Sequence[ItemCount]) -> None:
        """Show new counts."""
        self._reset(rows)

    def count(self, row: int) -> ItemCount:
        """The counts shown on ``row``."""
        return self._rows[row]

    def _data(self, row: ItemCount, column: int, role: int) -> Any:
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            ref = f"{row.list_ref}（暂行）" if row.provisional else row.list_ref
            values = (row.item_id, row.name, row.type, row.eligible, row.undetermined, ref)
            return str(values[column])
        if role == Qt.ItemDataRole.UserRole:
            return row.item_id
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (3, 4):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole and column == 3 and row.eligible:
            return _brush(RESULT_COLOURS["eligible"][1])
        if role == Qt.ItemDataRole.ForegroundRole and column == 4 and row.undetermined:
            return _brush(RESULT_COLOURS["undetermined"][1])
        return None


class RosterTableModel(_TableModel[list[Any]]):
    """One item's roster table (from :func:`assessment.eligibility.rosters.roster_tables`).

    Rows whose ``结果`` column says ``待核实`` are tinted amber, ``符合`` green.
    """

    RESULT_COLUMN = "结果"

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._columns: tuple[str, ...] = ()
        self._result_at = -1

    def set_frame(self, frame: pd.DataFrame) -> None:
        """Show another table."""
        columns = tuple(str(c) for c in frame.columns)

        def also() -> None:
            self._columns = columns
            self._result_at = (columns.index(self.RESULT_COLUMN)
                               if self.RESULT_COLUMN in columns else -1)

        self._reset(frame.to_numpy(dtype=object).tolist(), also)

    def column_names(self) -> tuple[str, ...]:
        """The table's column headings."""
        return self._columns

    def _headers(self) -> Sequence[str]:
        return self._columns

    def _data(self, row: list[Any], column: int, role: int) -> Any:
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            value = row[column]
            if value is None or (isinstance(value, float) and value != value):
                return ""
            return str(value)
        if role == Qt.ItemDataRole.BackgroundRole and self._result_at >= 0:
            result = row[self._result_at]
            code = next((k for k, v in RESULT_LABELS.items() if v == result), None)
            if code in ("eligible", "undetermined"):
                return _brush(RESULT_COLOURS[code][0])
        return None


class ListVersionsModel(_TableModel[ServiceList]):
    """The installed list versions (bundled and installed), newest last per list."""

    HEADERS = ("清单", "版本", "名称", "状态", "生效期", "文件")

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._in_force: frozenset[str] = frozenset()

    def set_versions(self, versions: Sequence[ServiceList], in_force: Sequence[str]) -> None:
        """Show the versions; ``in_force`` names the refs in force today."""
        refs = frozenset(in_force)

        def also() -> None:
            self._in_force = refs

        self._reset(versions, also)

    def version(self, row: int) -> ServiceList:
        """The version shown on ``row``."""
        return self._rows[row]

    def _data(self, version: ServiceList, column: int, role: int) -> Any:
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            state = "现行" if version.ref in self._in_force else "历史版本"
            if version.provisional:
                state += "（暂行）"
            if version.local:
                state += f"，{LOCAL_MARK}"
            start = version.period.start.isoformat() if version.period.start else "不限"
            end = version.period.end.isoformat() if version.period.end else "长期"
            values = (version.list_id, version.version, version.title, state,
                      f"{start} 至 {end}", version.file)
            return values[column]
        if role == Qt.ItemDataRole.ForegroundRole and version.ref not in self._in_force:
            return _brush("#6e7781")
        return None
