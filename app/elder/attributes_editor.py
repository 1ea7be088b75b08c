"""The service-list attributes of an elder, edited with widgets generated from the vocabulary.

Nothing here names an attribute: ``vocabulary.yaml`` gives each one's type, Chinese label and
values, and the store (:func:`assessment.records.profiles.clean_attributes`) says which ones it
keeps. Enums are combo boxes with the Chinese labels, bools 是/否/未登记, sets check boxes, ints
spin boxes, dates text fields, division codes a 市 → 县 picker by name, a certificate its
held state and fields.
Every editor can say 未登记 (unknown). Derived attributes (birth date, sex, capability grade)
are shown read-only: they come from the ID number and the current finalized assessment.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from assessment.divisions import COUNTY_LEVELS, division_table, legacy_codes
from assessment.eligibility import Vocabulary
from assessment.eligibility.explain import display_value
from assessment.eligibility.vocabulary import Attribute, Record
from assessment.errors import Problem
from assessment.records.profiles import DERIVED_ATTRIBUTES, clean_attributes

UNKNOWN = "未登记"
_DIVISION = re.compile(r"^[1-9][0-9]{5}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def store_accepts(name: str, value: Any) -> bool:
    """True when the store keeps ``value`` for the attribute ``name``."""
    _, problems = clean_attributes({name: value})
    return not problems


class AttributeEditor(QWidget):
    """One attribute's editor: ``value()`` is the stored form, None meaning 未登记."""

    changed = Signal()

    def __init__(self, name: str, label: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self.label = label
        self._loading = False

    def value(self) -> Any:
        """The stored form of the edited value (None = 未登记)."""
        raise NotImplementedError

    def set_value(self, value: Any) -> None:
        """Show a stored value (anything not understood shows as 未登记)."""
        self._loading = True
        try:
            self._set(value)
        finally:
            self._loading = False

    def _set(self, value: Any) -> None:
        raise NotImplementedError

    def local_problem(self) -> str | None:
        """A problem the editor can see by itself (a malformed code or date)."""
        return None

    def _emit(self, *_args: object) -> None:
        if not self._loading:
            self.changed.emit()


class ChoiceEditor(AttributeEditor):
    """An enum: a combo box of the Chinese labels, first entry 未登记."""

    def __init__(self, name: str, attr: Attribute, parent: QWidget | None = None) -> None:
        super().__init__(name, attr.label, parent)
        self.combo = QComboBox()
        self.combo.addItem(UNKNOWN, None)
        for code, label in attr.values:
            self.combo.addItem(label, code)
        self.combo.currentIndexChanged.connect(self._emit)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.combo)
        layout.addStretch(1)

    def value(self) -> Any:
        return self.combo.currentData()

    def _set(self, value: Any) -> None:
        index = self.combo.findData(value) if value is not None else 0
        self.combo.setCurrentIndex(max(index, 0))


class BoolEditor(AttributeEditor):
    """A bool as three radio buttons: 是 / 否 / 未登记."""

    def __init__(self, name: str, attr: Attribute, parent: QWidget | None = None) -> None:
        super().__init__(name, attr.label, parent)
        self.group = QButtonGroup(self)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.buttons: dict[bool | None, QRadioButton] = {}
        for value, text in ((True, "是"), (False, "否"), (None, UNKNOWN)):
            button = QRadioButton(text)
            self.buttons[value] = button
            self.group.addButton(button)
            layout.addWidget(button)
            button.toggled.connect(self._emit)
        layout.addStretch(1)
        self.buttons[None].setChecked(True)

    def value(self) -> Any:
        return next((v for v, b in self.buttons.items() if b.isChecked()), None)

    def _set(self, value: Any) -> None:
        self.buttons[value if isinstance(value, bool) else None].setChecked(True)


class SetEditor(AttributeEditor):
    """A set: one check box per value, plus 未登记 (checked = unknown, none checked = 无)."""

    COLUMNS = 2

    def __init__(self, name: str, attr: Attribute, parent: QWidget | None = None) -> None:
        super().__init__(name, attr.label, parent)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        self.boxes: dict[str, QCheckBox] = {}
        for n, (code, label) in enumerate(attr.values):
            box = QCheckBox(label)
            box.toggled.connect(self._on_box)
            self.boxes[code] = box
            grid.addWidget(box, n // self.COLUMNS, n % self.COLUMNS)
        # 居住情况 cannot be "none": an empty set means not recorded (vocabulary ``empty``).
        self.empty_unknown = attr.empty_unknown
        self.unknown = QCheckBox(UNKNOWN if attr.empty_unknown
                                 else f"{UNKNOWN}（不勾选任何一项表示“无”）")
        self.unknown.toggled.connect(self._on_unknown)
        grid.addWidget(self.unknown, (len(attr.values) - 1) // self.COLUMNS + 1, 0, 1,
                       self.COLUMNS)
        self.unknown.setChecked(True)

    def _on_box(self, checked: bool) -> None:
        if checked and self.unknown.isChecked():
            self.unknown.setChecked(False)
        self._emit()

    def _on_unknown(self, checked: bool) -> None:
        if checked:
            for box in self.boxes.values():
                box.setChecked(False)
            self.unknown.setChecked(True)
        self._emit()

    def value(self) -> Any:
        if self.unknown.isChecked():
            return None
        chosen = [code for code, box in self.boxes.items() if box.isChecked()]
        return None if self.empty_unknown and not chosen else chosen

    def _set(self, value: Any) -> None:
        chosen = set(value) if isinstance(value, list | tuple | set | frozenset) else None
        self.unknown.setChecked(chosen is None)
        for code, box in self.boxes.items():
            box.setChecked(chosen is not None and code in chosen)


class IntEditor(AttributeEditor):
    """An int in the vocabulary's range; the value below the minimum shows 未登记."""

    def __init__(self, name: str, attr: Attribute, parent: QWidget | None = None) -> None:
        super().__init__(name, attr.label, parent)
        low = attr.minimum if attr.minimum is not None else 0
        high = attr.maximum if attr.maximum is not None else 999
        self.spin = QSpinBox()
        self.spin.setRange(low - 1, high)
        self.spin.setSpecialValueText(UNKNOWN)
        self.spin.setMinimumWidth(110)
        self.spin.valueChanged.connect(self._emit)
        self.labels = attr.value_labels
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.spin)
        layout.addStretch(1)

    def value(self) -> Any:
        value = self.spin.value()
        return None if value == self.spin.minimum() else value

    def _set(self, value: Any) -> None:
        known = isinstance(value, int) and not isinstance(value, bool)
        self.spin.setValue(int(value) if known else self.spin.minimum())


class TextEditor(AttributeEditor):
    """Text, a date (``YYYY-MM-DD``) or a 6-digit division code; empty = 未登记."""

    def __init__(self, name: str, attr: Attribute, parent: QWidget | None = None) -> None:
        super().__init__(name, attr.label, parent)
        self.kind = attr.kind
        self.edit = QLineEdit()
        self.edit.setPlaceholderText({"date": "YYYY-MM-DD，未登记请留空",
                                      "division": "6 位县级区划代码，如 140421；未登记请留空"}
                                     .get(attr.kind, "未登记请留空"))
        if attr.kind == "division":
            self.edit.setMaxLength(6)
        self.edit.textChanged.connect(self._emit)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit)

    def value(self) -> Any:
        return self.edit.text().strip() or None

    def _set(self, value: Any) -> None:
        self.edit.setText("" if value is None else str(value))

    def local_problem(self) -> str | None:
        text = self.edit.text().strip()
        if not text:
            return None
        if self.kind == "division" and not _DIVISION.match(text):
            return "应为 6 位县级区划代码（数字，首位不为 0），如 140421"
        if self.kind == "date":
            try:
                if not _DATE.match(text):
                    raise ValueError(text)
                date.fromisoformat(text)
            except ValueError:
                return "日期应写成 YYYY-MM-DD，如 2024-05-01"
        return None


class DivisionEditor(TextEditor):
    """A division code picked by name: 市 → 县（市、区） from the bundled division table, with
    the code beside it (typed codes from outside the table, e.g. another province, still
    work) and the name of the chosen code shown."""

    def __init__(self, name: str, attr: Attribute, parent: QWidget | None = None) -> None:
        super().__init__(name, attr, parent)
        self.table = division_table()
        self.city = QComboBox()
        self.city.setObjectName(f"city-{name}")
        self.city.addItem("选择市", None)
        for row in sorted(self.table.values(), key=lambda r: r.code):
            if row.level == "prefecture":
                self.city.addItem(row.name, row.code)
        self.county = QComboBox()
        self.county.setObjectName(f"county-{name}")
        self.county.setMinimumContentsLength(6)
        # refilled for each city: as wide as what it holds now, its placeholder included
        self.county.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.edit.setMaximumWidth(80)
        self.edit.setPlaceholderText("代码")
        self.place = QLabel()
        self.place.setObjectName("fieldHint")
        self.place.setWordWrap(True)
        layout = self.layout()
        assert isinstance(layout, QHBoxLayout)
        layout.removeWidget(self.edit)
        # the pickers and the code on one line, the place's name under them: on a 1280-wide
        # screen the four side by side squeezed the county list below its text
        pickers = QHBoxLayout()
        pickers.addWidget(self.city)
        pickers.addWidget(self.county)
        pickers.addWidget(self.edit)
        pickers.addStretch(1)
        column = QVBoxLayout()
        column.setSpacing(2)
        column.addLayout(pickers)
        column.addWidget(self.place)
        layout.addLayout(column, 1)
        self.city.currentIndexChanged.connect(self._city_chosen)
        self.county.currentIndexChanged.connect(self._county_chosen)
        self.edit.textChanged.connect(self._code_typed)
        self._city_chosen()

    def _fill_counties(self, city: str | None) -> None:
        self.county.blockSignals(True)
        self.county.clear()
        self.county.addItem("选择县（市、区）", None)
        for row in sorted(self.table.values(), key=lambda r: r.code):
            if city is not None and row.parent == city and row.level in COUNTY_LEVELS:
                self.county.addItem(row.name, row.code)
        self.county.blockSignals(False)

    def _city_chosen(self, *_args: object) -> None:
        self._fill_counties(self.city.currentData())

    def _county_chosen(self, *_args: object) -> None:
        code = self.county.currentData()
        if isinstance(code, str) and code != self.edit.text().strip():
            self.edit.setText(code)  # _code_typed shows the name and emits the change

    def _code_typed(self, text: str) -> None:
        code = text.strip()
        row = self.table.get(code)
        self.place.setText(self.place_name(code))
        if row is None or row.level not in COUNTY_LEVELS:
            return
        for combo, wanted in ((self.city, row.parent), (self.county, code)):
            if combo is self.county:
                self._fill_counties(row.parent)
            index = combo.findData(wanted)
            combo.blockSignals(True)
            combo.setCurrentIndex(max(index, 0))
            combo.blockSignals(False)

    def place_name(self, code: str) -> str:
        """``长治市 潞州区`` for a code of the table; what else the code is, otherwise."""
        if not code:
            return UNKNOWN
        if code in legacy_codes():
            return "旧区划代码（已调整）"
        row = self.table.get(code)
        if row is None:
            return "不在山西区划表中" if _DIVISION.match(code) else ""
        parent = self.table.get(row.parent)
        return f"{parent.name} {row.name}" if parent and parent.level == "prefecture" \
            else row.name


class RecordEditor(AttributeEditor):
    """A certificate: 未登记 / (无, when the store keeps it) / 持有, then its fields."""

    def __init__(self, name: str, record: Record, vocabulary: Vocabulary,
                 parent: QWidget | None = None) -> None:
        super().__init__(name, record.label, parent)
        self.state = QComboBox()
        self.state.addItem(UNKNOWN, "unknown")
        if store_accepts(name, record.none_code):
            self.state.addItem(record.none_label, "none")
        self.state.addItem(f"持有{record.label}", "held")
        self.none_code = record.none_code
        self.fields: dict[str, AttributeEditor] = {}
        layout = QGridLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.state, 0, 0, 1, 2)
        for row, flat in enumerate(record.fields, start=1):
            attr = vocabulary.attributes[flat]
            short = flat.split(".", 1)[1]
            editor = editor_for(short, attr)
            self.fields[short] = editor
            layout.addWidget(QLabel(attr.label), row, 0)
            layout.addWidget(editor, row, 1)
            editor.changed.connect(self._emit)
        layout.setColumnStretch(1, 1)
        self.state.currentIndexChanged.connect(self._on_state)
        self._on_state()

    def _on_state(self, *_args: object) -> None:
        held = self.state.currentData() == "held"
        for editor in self.fields.values():
            editor.setEnabled(held)
        self._emit()

    def value(self) -> Any:
        state = self.state.currentData()
        if state == "none":
            return self.none_code
        if state != "held":
            return None
        return {short: editor.value() for short, editor in self.fields.items()}

    def _set(self, value: Any) -> None:
        if isinstance(value, Mapping):
            self.state.setCurrentIndex(self.state.findData("held"))
            for short, editor in self.fields.items():
                editor.set_value(value.get(short))
        else:
            found = self.state.findData("none") if value == self.none_code else 0
            self.state.setCurrentIndex(max(found, 0))
            for editor in self.fields.values():
                editor.set_value(None)

    def local_problem(self) -> str | None:
        if self.state.currentData() != "held":
            return None
        empty = [editor.label for editor in self.fields.values() if editor.value() is None]
        if empty:
            return f"持有{self.label}时请填写{'、'.join(empty)}"
        return None


def editor_for(name: str, attr: Attribute) -> AttributeEditor:
    """The editor of a flat attribute, by its vocabulary type."""
    if attr.kind == "enum":
        return ChoiceEditor(name, attr)
    if attr.kind == "bool":
        return BoolEditor(name, attr)
    if attr.kind == "set":
        return SetEditor(name, attr)
    if attr.kind == "int":
        return IntEditor(name, attr)
    if attr.kind == "division":
        return DivisionEditor(name, attr)
    return TextEditor(name, attr)


def editable_names(vocabulary: Vocabulary) -> list[str]:
    """Profile attributes the assessor records: kept by the store, not derived."""
    return [name for name in vocabulary.profile_keys
            if name not in DERIVED_ATTRIBUTES and store_accepts(name, None)]


class AttributesEditor(QWidget):
    """Every recordable attribute of the vocabulary; ``changed`` on every edit."""

    changed = Signal()

    def __init__(self, vocabulary: Vocabulary, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.vocabulary = vocabulary
        self.editors: dict[str, AttributeEditor] = {}
        self.problems: dict[str, QLabel] = {}
        self._original: dict[str, Any] = {}
        self._derived: dict[str, Any] = {}
        self.derived_label = QLabel()
        self.derived_label.setObjectName("fieldHint")
        self.derived_label.setWordWrap(True)
        grid = QGridLayout()
        grid.setColumnStretch(1, 1)
        grid.setVerticalSpacing(4)
        row = 0
        for name in editable_names(vocabulary):
            if name in vocabulary.records:
                record = vocabulary.records[name]
                editor: AttributeEditor = RecordEditor(name, record, vocabulary)
            else:
                editor = editor_for(name, vocabulary.attributes[name])
            editor.setObjectName(f"attr-{name}")
            editor.changed.connect(self._on_changed)
            label = QLabel(editor.label)
            label.setBuddy(editor)
            problem = QLabel()
            problem.setObjectName("fieldProblem")
            problem.setWordWrap(True)
            problem.hide()
            grid.addWidget(label, row, 0)
            grid.addWidget(editor, row, 1)
            grid.addWidget(problem, row + 1, 1)
            self.editors[name] = editor
            self.problems[name] = problem
            row += 2
        layout = QVBoxLayout(self)
        layout.addWidget(self.derived_label)
        layout.addLayout(grid)
        layout.addStretch(1)

    # ---- values -------------------------------------------------------------------------

    def load(self, attributes: Mapping[str, Any]) -> None:
        """Show an elder's attributes (derived ones read-only, above the editors)."""
        self._original = {name: attributes.get(name) for name in self.editors}
        self._derived = {name: attributes.get(name) for name in DERIVED_ATTRIBUTES}
        for name, editor in self.editors.items():
            editor.set_value(attributes.get(name))
        self.clear_problems()
        self._show_derived()

    def _show_derived(self) -> None:
        parts = []
        for name in self.vocabulary.profile_keys:
            if name not in DERIVED_ATTRIBUTES or name not in self.vocabulary.attributes:
                continue
            attr = self.vocabulary.attributes[name]
            value = self._derived.get(name)
            shown = display_value(self.vocabulary, attr, value) if value is not None else UNKNOWN
            parts.append(f"{attr.label}：{shown}")
        self.derived_label.setText("由身份证号码和最近一次已完成评估得出（不在此修改）："
                                   + "　".join(parts))

    def values(self) -> dict[str, Any]:
        """The edited attributes (None = 未登记)."""
        return {name: editor.value() for name, editor in self.editors.items()}

    def merged(self, base: Mapping[str, Any]) -> dict[str, Any]:
        """``base`` (the stored profile's attributes) with the edits applied."""
        merged = dict(base)
        merged.update(self.values())
        return merged

    def is_dirty(self) -> bool:
        """True when something differs from what was loaded."""
        return self.values() != self._original

    def _on_changed(self) -> None:
        editor = self.sender()
        if isinstance(editor, AttributeEditor):
            self._show_problem(editor.name, editor.local_problem())
        self.changed.emit()

    # ---- problems -----------------------------------------------------------------------

    def local_problems(self) -> list[Problem]:
        """Problems every editor sees by itself, shown beside the fields."""
        problems = []
        for name, editor in self.editors.items():
            message = editor.local_problem()
            self._show_problem(name, message)
            if message:
                problems.append(Problem(f"attributes.{name}", "value", message))
        return problems

    def show_problems(self, problems: list[Problem]) -> list[Problem]:
        """Show store problems (``attributes.<name>``) beside fields; return the others."""
        rest = []
        for problem in problems:
            name = problem.field.removeprefix("attributes.")
            if name in self.problems:
                self._show_problem(name, problem.message)
            else:
                rest.append(problem)
        return rest

    def clear_problems(self) -> None:
        """Hide every problem."""
        for name in self.problems:
            self._show_problem(name, None)

    def _show_problem(self, name: str, message: str | None) -> None:
        label = self.problems[name]
        label.setText(message or "")
        label.setVisible(bool(message))
