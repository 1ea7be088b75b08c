"""Editors for Appendix A fields, generated from the form data (no field is hard-coded).

Every :class:`~assessment.forms.InfoField` type has one editor class; all of them share the
:class:`FieldEditor` interface so that a section, the elder page and the assessment entry can
load answers into them, collect answers out of them and show a problem beside each one.
Answers follow the store's convention (``assessment.records.api``): text and dates as strings
(``YYYY-MM-DD``), numbers as numbers, single choices as the option text, multi choices as a
list of option texts, free-text blanks under their own keys (``A.2.6.note`` …).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from assessment.forms import ChoiceOption, InfoField
from assessment.identity import ResidentId, parse_resident_id

EMPTY_CHOICE = "（未填写）"


def repolish(widget: QWidget) -> None:
    """Re-apply the style sheet after a dynamic property changed."""
    style = widget.style()
    style.unpolish(widget)
    style.polish(widget)


def is_blank(value: object) -> bool:
    """True for an unanswered value (None, empty text, empty list)."""
    return value is None or value == "" or value == [] or value == ()


class FieldEditor(QWidget):
    """Base of all field editors: load/collect answers by key, report changes."""

    changed = Signal()

    def __init__(self, info: InfoField, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.info = info
        self._loading = False

    @property
    def key(self) -> str:
        """The field key (``A.2.8`` …)."""
        return self.info.key

    def keys(self) -> tuple[str, ...]:
        """Every answer key this editor writes (the field and its blanks)."""
        return (self.info.key,)

    def collect(self) -> dict[str, Any]:
        """The current answers by key; unanswered keys map to None."""
        raise NotImplementedError

    def load(self, answers: Mapping[str, Any]) -> None:
        """Show the answers for this editor's keys without emitting :attr:`changed`."""
        self._loading = True
        try:
            self._load(answers)
        finally:
            self._loading = False

    def _load(self, answers: Mapping[str, Any]) -> None:
        raise NotImplementedError

    def set_read_only(self, read_only: bool) -> None:
        """Lock or unlock the editor."""
        for child in self.findChildren(QWidget):
            if isinstance(child, QLineEdit):
                child.setReadOnly(read_only)
            elif isinstance(child, (QComboBox, QCheckBox, QPushButton, QTableWidget)):
                child.setEnabled(not read_only)

    def local_problem(self) -> str | None:
        """A problem the editor can see on its own (bad date, bad ID number), or None."""
        return None

    def focus_target(self) -> QWidget:
        """The widget that takes the keyboard focus for this field."""
        return self

    def _emit(self) -> None:
        if not self._loading:
            self.changed.emit()


class TextEditor(FieldEditor):
    """``text`` and ``phone`` fields: one line."""

    def __init__(self, info: InfoField, parent: QWidget | None = None) -> None:
        super().__init__(info, parent)
        self.edit = QLineEdit()
        self.edit.setObjectName(f"edit-{info.key}")
        if info.type == "phone":
            self.edit.setPlaceholderText("手机或固定电话")
        self.edit.textEdited.connect(self._emit)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit)

    def collect(self) -> dict[str, Any]:
        text = self.edit.text().strip()
        return {self.key: text or None}

    def _load(self, answers: Mapping[str, Any]) -> None:
        value = answers.get(self.key)
        self.edit.setText("" if value is None else str(value))

    def focus_target(self) -> QWidget:
        return self.edit


class DateEditor(TextEditor):
    """``date`` fields, typed as ``YYYY-MM-DD``."""

    def __init__(self, info: InfoField, parent: QWidget | None = None) -> None:
        super().__init__(info, parent)
        self.edit.setPlaceholderText("年-月-日，如 2024-05-01")
        self.edit.setMaximumWidth(220)
        layout = self.layout()
        assert isinstance(layout, QHBoxLayout)
        layout.addStretch(1)

    def local_problem(self) -> str | None:
        text = self.edit.text().strip()
        if not text:
            return None
        try:
            date.fromisoformat(text)
        except ValueError:
            return "日期格式应为 年-月-日，如 2024-05-01"
        return None


class NumberEditor(TextEditor):
    """``number`` fields with the unit and range from the form."""

    def __init__(self, info: InfoField, parent: QWidget | None = None) -> None:
        super().__init__(info, parent)
        self.edit.setMaximumWidth(160)
        layout = self.layout()
        assert isinstance(layout, QHBoxLayout)
        if info.unit:
            layout.addWidget(QLabel(info.unit))
        layout.addStretch(1)

    def collect(self) -> dict[str, Any]:
        text = self.edit.text().strip()
        if not text:
            return {self.key: None}
        try:
            number = float(text)
        except ValueError:
            return {self.key: text}
        return {self.key: int(number) if number.is_integer() else number}

    def local_problem(self) -> str | None:
        text = self.edit.text().strip()
        if not text:
            return None
        try:
            number = float(text)
        except ValueError:
            return "请输入数字"
        low, high = self.info.minimum, self.info.maximum
        unit = self.info.unit or ""
        if (low is not None and number < low) or (high is not None and number > high):
            return f"应在 {low:g}–{high:g} {unit} 之间" if low is not None and high is not None \
                else "数值超出范围"
        return None


class IdNumberEditor(TextEditor):
    """``id_number`` (公民身份号码): checked with :mod:`assessment.identity` as you type."""

    def __init__(self, info: InfoField, parent: QWidget | None = None) -> None:
        super().__init__(info, parent)
        self.edit.setMaxLength(20)
        self.edit.setMinimumWidth(220)
        self.edit.setMaximumWidth(260)
        self.edit.setPlaceholderText("18 位公民身份号码")
        self.hint = QLabel()
        self.hint.setObjectName("fieldHint")
        layout = self.layout()
        assert isinstance(layout, QHBoxLayout)
        layout.addWidget(self.hint, 1)
        self.edit.textChanged.connect(self._update_hint)

    def parsed(self) -> ResidentId | None:
        """The valid ID number typed, or None."""
        text = self.edit.text().strip()
        if not text:
            return None
        result = parse_resident_id(text, field=self.key)
        return result if isinstance(result, ResidentId) else None

    def _update_hint(self) -> None:
        parsed = self.parsed()
        self.hint.setText(
            f"出生日期 {parsed.birth_date.isoformat()}，{parsed.sex}" if parsed else ""
        )

    def local_problem(self) -> str | None:
        text = self.edit.text().strip()
        if not text:
            return None
        result = parse_resident_id(text, field=self.key)
        return None if isinstance(result, ResidentId) else result.message


class _BlankNote(QLineEdit):
    """The free-text blank printed after an option (少数民族（____） …)."""

    def __init__(self, key: str) -> None:
        super().__init__()
        self.key = key
        self.setObjectName(f"edit-{key}")
        self.setPlaceholderText("请注明")
        self.setMaximumWidth(260)


class SingleEditor(FieldEditor):
    """``single`` fields: a drop-down with the options in form order."""

    def __init__(self, info: InfoField, parent: QWidget | None = None) -> None:
        super().__init__(info, parent)
        self.combo = QComboBox()
        self.combo.setObjectName(f"combo-{info.key}")
        self.combo.addItem(EMPTY_CHOICE, None)
        for option in info.options:
            self.combo.addItem(option.text, option.text)
            if option.help:
                self.combo.setItemData(self.combo.count() - 1, option.help,
                                       Qt.ItemDataRole.ToolTipRole)
        self.combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.combo.setMinimumContentsLength(8)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.combo)
        self.notes: dict[str, _BlankNote] = {}
        for option in info.options:
            if option.blank:
                note = _BlankNote(option.blank)
                note.textEdited.connect(self._emit)
                self.notes[option.text] = note
                layout.addWidget(note)
        self.field_note: _BlankNote | None = None
        if info.note_key:
            self.field_note = _BlankNote(info.note_key)
            self.field_note.setPlaceholderText("事件说明")
            self.field_note.textEdited.connect(self._emit)
            layout.addWidget(self.field_note)
        layout.addStretch(1)
        self.combo.currentIndexChanged.connect(self._on_choice)
        self._on_choice()

    def keys(self) -> tuple[str, ...]:
        extra = [n.key for n in self.notes.values()]
        if self.field_note is not None:
            extra.append(self.field_note.key)
        return (self.key, *extra)

    def _on_choice(self) -> None:
        chosen = self.combo.currentData()
        for text, note in self.notes.items():
            note.setVisible(chosen == text)
        self._emit()

    def collect(self) -> dict[str, Any]:
        chosen = self.combo.currentData()
        out: dict[str, Any] = {self.key: chosen}
        for text, note in self.notes.items():
            out[note.key] = (note.text().strip() or None) if chosen == text else None
        if self.field_note is not None:
            out[self.field_note.key] = self.field_note.text().strip() or None
        return out

    def _load(self, answers: Mapping[str, Any]) -> None:
        value = answers.get(self.key)
        index = self.combo.findData(value) if value is not None else 0
        self.combo.setCurrentIndex(max(index, 0))
        for note in self.notes.values():
            note.setText(str(answers.get(note.key) or ""))
        if self.field_note is not None:
            self.field_note.setText(str(answers.get(self.field_note.key) or ""))
        chosen = self.combo.currentData()
        for text, note in self.notes.items():
            note.setVisible(chosen == text)

    def focus_target(self) -> QWidget:
        return self.combo


class MultiEditor(FieldEditor):
    """``multi`` fields: one check box per option; the form's ``exclusive`` option clears the
    others, sub-choices (○) are a drop-down beside their option."""

    COLUMNS = 3

    def __init__(self, info: InfoField, parent: QWidget | None = None) -> None:
        super().__init__(info, parent)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(18)
        self.boxes: dict[str, QCheckBox] = {}
        self.subs: dict[str, QComboBox] = {}
        self.notes: dict[str, _BlankNote] = {}
        wide = any(len(o.text) > 14 for o in info.options)
        # an option with its drop-down beside it takes about two columns' room
        columns = 1 if wide else 2 if any(o.sub_options for o in info.options) \
            else self.COLUMNS
        for index, option in enumerate(info.options):
            cell = self._option_cell(option)
            grid.addWidget(cell, index // columns, index % columns)

    def _option_cell(self, option: ChoiceOption) -> QWidget:
        cell = QWidget()
        row = QHBoxLayout(cell)
        row.setContentsMargins(0, 0, 0, 0)
        box = QCheckBox(option.text)
        box.setObjectName(f"check-{self.key}-{option.text}")
        if option.help:
            box.setToolTip(option.help)
        box.toggled.connect(lambda on, text=option.text: self._on_toggle(text, on))
        self.boxes[option.text] = box
        row.addWidget(box)
        if option.help:
            help_label = QLabel(f"（{option.help}）")
            help_label.setObjectName("fieldHint")
            row.addWidget(help_label)
        if option.sub_options:
            sub = QComboBox()
            sub.addItem("请选择", None)
            for text in option.sub_options:
                sub.addItem(f"○{text}", text)
            sub.setEnabled(False)
            sub.currentIndexChanged.connect(self._emit)
            self.subs[option.text] = sub
            row.addWidget(sub)
        if option.blank:
            note = _BlankNote(option.blank)
            note.setEnabled(False)
            note.textEdited.connect(self._emit)
            self.notes[option.text] = note
            row.addWidget(note)
        row.addStretch(1)
        return cell

    def keys(self) -> tuple[str, ...]:
        return (self.key, *[n.key for n in self.notes.values()],
                *[self.sub_key(text) for text in self.subs])

    def sub_key(self, option_text: str) -> str:
        """Where an option's ○ sub-choice is stored (``A.5.6.牙列缺损``)."""
        return f"{self.key}.{option_text}"

    def _on_toggle(self, text: str, on: bool) -> None:
        if on and not self._loading and self.info.exclusive:
            others = [t for t in self.boxes if t != text]
            clear = others if text == self.info.exclusive else [self.info.exclusive]
            for other in clear:
                self.boxes[other].blockSignals(True)
                self.boxes[other].setChecked(False)
                self.boxes[other].blockSignals(False)
                self._sync_extras(other)
        self._sync_extras(text)
        self._emit()

    def _sync_extras(self, text: str) -> None:
        on = self.boxes[text].isChecked()
        if text in self.subs:
            self.subs[text].setEnabled(on)
        if text in self.notes:
            self.notes[text].setEnabled(on)

    def collect(self) -> dict[str, Any]:
        chosen = [text for text, box in self.boxes.items() if box.isChecked()]
        out: dict[str, Any] = {self.key: chosen or None}
        for text, note in self.notes.items():
            out[note.key] = (note.text().strip() or None) if text in chosen else None
        for text, sub in self.subs.items():
            out[self.sub_key(text)] = sub.currentData() if text in chosen else None
        return out

    def _load(self, answers: Mapping[str, Any]) -> None:
        raw = answers.get(self.key) or []
        chosen = {raw} if isinstance(raw, str) else set(raw)
        for text, box in self.boxes.items():
            box.setChecked(text in chosen)
            self._sync_extras(text)
        for note in self.notes.values():
            note.setText(str(answers.get(note.key) or ""))
        for text, sub in self.subs.items():
            value = answers.get(self.sub_key(text))
            sub.setCurrentIndex(max(sub.findData(value), 0) if isinstance(value, str) else 0)

    def focus_target(self) -> QWidget:
        return next(iter(self.boxes.values()))


class TableEditor(FieldEditor):
    """``table`` fields (A.4.2 用药情况): rows of text columns from the form."""

    def __init__(self, info: InfoField, parent: QWidget | None = None) -> None:
        super().__init__(info, parent)
        self.table = QTableWidget(0, len(info.columns))
        self.table.setHorizontalHeaderLabels(list(info.columns))
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setVisible(False)
        self.table.setMinimumHeight(110)
        self.table.setMaximumHeight(180)
        self.table.itemChanged.connect(lambda _item: self._emit())
        add = QPushButton("添加一行")
        remove = QPushButton("删除所选行")
        add.clicked.connect(self._add_row)
        remove.clicked.connect(self._remove_row)
        buttons = QHBoxLayout()
        buttons.addWidget(add)
        buttons.addWidget(remove)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table)
        layout.addLayout(buttons)

    def _add_row(self) -> None:
        self.table.insertRow(self.table.rowCount())
        self.table.setCurrentCell(self.table.rowCount() - 1, 0)

    def _remove_row(self) -> None:
        row = self.table.currentRow()
        if row >= 0:
            self.table.removeRow(row)
            self._emit()

    def collect(self) -> dict[str, Any]:
        rows: list[dict[str, str]] = []
        for r in range(self.table.rowCount()):
            values = {}
            for c, column in enumerate(self.info.columns):
                item = self.table.item(r, c)
                values[column] = item.text().strip() if item is not None else ""
            if any(values.values()):
                rows.append(values)
        return {self.key: rows or None}

    def _load(self, answers: Mapping[str, Any]) -> None:
        raw = answers.get(self.key) or []
        rows = [r for r in raw if isinstance(r, Mapping)] if isinstance(raw, list) else []
        self.table.blockSignals(True)
        self.table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            for c, column in enumerate(self.info.columns):
                self.table.setItem(r, c, QTableWidgetItem(str(row.get(column, ""))))
        self.table.blockSignals(False)


_EDITORS: dict[str, type[FieldEditor]] = {
    "text": TextEditor,
    "phone": TextEditor,
    "date": DateEditor,
    "number": NumberEditor,
    "id_number": IdNumberEditor,
    "single": SingleEditor,
    "multi": MultiEditor,
    "table": TableEditor,
}


def make_editor(info: InfoField, parent: QWidget | None = None) -> FieldEditor:
    """The editor for a field's type."""
    return _EDITORS[info.type](info, parent)


class FieldRow(QWidget):
    """A field's label (with its key, for the standard's fields), its editor and the problem
    text beside it. ``editor`` replaces the editor made from the field's type."""

    def __init__(self, info: InfoField, *, required: bool = False, show_key: bool = True,
                 editor: FieldEditor | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.info = info
        self.required = required
        self.editor = editor if editor is not None else make_editor(info)
        star = "<span style='color:#c0392b'>＊</span>" if required else ""
        name = f"<b>{info.key}</b> {info.label}" if show_key else f"<b>{info.label}</b>"
        self.label = QLabel(f"{star}{name}")
        self.label.setObjectName("fieldLabel")
        self.label.setWordWrap(True)
        self.label.setBuddy(self.editor.focus_target())
        self.problem = QLabel()
        self.problem.setObjectName("fieldProblem")
        self.problem.setWordWrap(True)
        self.problem.hide()
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.setSpacing(3)
        layout.addWidget(self.label)
        layout.addWidget(self.editor)
        layout.addWidget(self.problem)
        self.editor.changed.connect(self.refresh)

    def set_problem(self, message: str | None) -> None:
        """Show (or clear) a problem under the field."""
        self.problem.setText(message or "")
        self.problem.setVisible(bool(message))
        self.setProperty("problem", bool(message))
        repolish(self)

    def refresh(self) -> None:
        """Re-check the editor's own problem and the required highlight."""
        self.set_problem(self.editor.local_problem())
        missing = self.required and is_blank(self.editor.collect().get(self.info.key))
        if bool(self.property("missing")) != missing:
            self.setProperty("missing", missing)
            repolish(self)
