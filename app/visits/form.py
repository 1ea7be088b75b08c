"""The visit form: short and keyboard-first, generated from the plan's record vocabulary.

Tab moves through the fields in order; Alt+1/2/3 pick the method; the checklist areas are a
check box (space) and a line for what was found; referrals are chosen from the service items
in force and the plan's departments. :meth:`VisitForm.entry` is what the store validates
(:func:`assessment.visits.record.parse_visit`); :meth:`VisitForm.load` shows a saved draft.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from PySide6.QtCore import QDate, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from assessment.visits.plan import RecordVocabulary


class VisitForm(QWidget):
    """One visit being entered; ``changed`` on every edit (for the autosave)."""

    changed = Signal()

    def __init__(self, vocabulary: RecordVocabulary, targets: Sequence[tuple[str, str, str]],
                 visitor: str, parent: QWidget | None = None) -> None:
        """``targets``: (kind, target, label) of every referral target offered."""
        super().__init__(parent)
        self.vocabulary = vocabulary
        self.targets = tuple(targets)
        self.day = QDateEdit(QDate.currentDate())
        self.day.setCalendarPopup(True)
        self.day.setDisplayFormat("yyyy-MM-dd")
        self.day.setMaximumDate(QDate.currentDate())
        self.methods = QButtonGroup(self)
        method_row = QHBoxLayout()
        for n, method in enumerate(vocabulary.methods, start=1):
            button = QRadioButton(f"&{n} {method}")
            button.setProperty("method", method)
            self.methods.addButton(button, n)
            method_row.addWidget(button)
        method_row.addStretch(1)
        self.visitor = QLineEdit(visitor)
        self.checks: dict[str, tuple[QCheckBox, QLineEdit]] = {}
        grid = QGridLayout()
        for row, (area, label) in enumerate(vocabulary.checklist.items()):
            box = QCheckBox(area)
            box.setToolTip(label)
            note = QLineEdit()
            note.setPlaceholderText(f"{label}：发现的情况")
            grid.addWidget(box, row, 0)
            grid.addWidget(note, row, 1)
            self.checks[area] = (box, note)
        self.risk = QComboBox()
        for code, label in vocabulary.risk_levels.items():
            self.risk.addItem(label, code)
        self.target = QComboBox()
        for kind, target, label in self.targets:
            self.target.addItem(label, (kind, target))
        self.target_note = QLineEdit()
        self.target_note.setPlaceholderText("转介说明")
        self.add_referral = QPushButton("添加转介")
        self.referrals = QListWidget()
        self.referrals.setMaximumHeight(70)
        self.remove_referral = QPushButton("删除所选转介")
        self._referrals: list[dict[str, str]] = []
        referral_row = QHBoxLayout()
        referral_row.addWidget(self.target, 2)
        referral_row.addWidget(self.target_note, 3)
        referral_row.addWidget(self.add_referral)
        self.emergency = QCheckBox("紧急情况（已当场处置或需立即处置）")
        self.change_found = QCheckBox("发现状况变化（跌倒、行动变差、糊涂等）：建议即时评估")
        self.change_note = QLineEdit()
        self.change_note.setPlaceholderText("变化情况")
        form = QFormLayout()
        form.addRow("探访日期", self.day)
        form.addRow("探访方式", method_row)
        form.addRow("探访人", self.visitor)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(QLabel("探访内容（勾选已查看的项目，并写明发现的情况）"))
        layout.addLayout(grid)
        risk_row = QFormLayout()
        risk_row.addRow("风险等级", self.risk)
        layout.addLayout(risk_row)
        layout.addWidget(QLabel("转介（服务清单项目或部门）"))
        layout.addLayout(referral_row)
        layout.addWidget(self.referrals)
        layout.addWidget(self.remove_referral)
        layout.addWidget(self.emergency)
        layout.addWidget(self.change_found)
        layout.addWidget(self.change_note)
        self.add_referral.clicked.connect(self._add_referral)
        self.remove_referral.clicked.connect(self._remove_referral)
        for signal in (self.day.dateChanged, self.visitor.textChanged,
                       self.risk.currentIndexChanged, self.emergency.toggled,
                       self.change_found.toggled, self.change_note.textChanged,
                       self.methods.idToggled):
            signal.connect(lambda *_: self.changed.emit())
        for box, note in self.checks.values():
            box.toggled.connect(lambda *_: self.changed.emit())
            note.textChanged.connect(lambda *_: self.changed.emit())

    def _label(self, kind: str, target: str) -> str:
        return next((label for k, t, label in self.targets if (k, t) == (kind, target)), target)

    def _show_referrals(self) -> None:
        self.referrals.clear()
        for ref in self._referrals:
            note = f"：{ref['note']}" if ref["note"] else ""
            self.referrals.addItem(f"{self._label(ref['kind'], ref['target'])}{note}")

    def _add_referral(self) -> None:
        data = self.target.currentData()
        if data is None:
            return
        kind, target = data
        self._referrals.append({"kind": kind, "target": target,
                                "note": self.target_note.text().strip()})
        self.target_note.clear()
        self._show_referrals()
        self.changed.emit()

    def _remove_referral(self) -> None:
        row = self.referrals.currentRow()
        if 0 <= row < len(self._referrals):
            del self._referrals[row]
            self._show_referrals()
            self.changed.emit()

    def entry(self) -> dict[str, Any]:
        """The visit as entered (validated by the store on saving)."""
        button = self.methods.checkedButton()
        return {
            "visit_date": self.day.date().toString("yyyy-MM-dd"),
            "method": button.property("method") if button is not None else None,
            "visitor": self.visitor.text(),
            "checklist": {area: {"checked": box.isChecked(), "note": note.text()}
                          for area, (box, note) in self.checks.items()},
            "risk": self.risk.currentData(),
            "referrals": [dict(r) for r in self._referrals],
            "emergency": self.emergency.isChecked(),
            "change_found": self.change_found.isChecked(),
            "change_note": self.change_note.text(),
        }

    def load(self, entry: Mapping[str, Any]) -> None:
        """Show a saved draft (unknown or bad parts are left at their defaults)."""
        day = entry.get("visit_date")
        if isinstance(day, str):
            try:
                parsed = date.fromisoformat(day)
                self.day.setDate(QDate(parsed.year, parsed.month, parsed.day))
            except ValueError:
                pass
        for button in self.methods.buttons():
            button.setChecked(button.property("method") == entry.get("method"))
        if isinstance(entry.get("visitor"), str):
            self.visitor.setText(entry["visitor"])
        checklist = entry.get("checklist")
        for area, (box, note) in self.checks.items():
            saved = checklist.get(area) if isinstance(checklist, Mapping) else None
            if isinstance(saved, Mapping):
                box.setChecked(saved.get("checked") is True)
                note.setText(str(saved.get("note") or ""))
        index = self.risk.findData(entry.get("risk"))
        if index >= 0:
            self.risk.setCurrentIndex(index)
        refs = entry.get("referrals")
        self._referrals = [
            {"kind": str(r.get("kind")), "target": str(r.get("target")),
             "note": str(r.get("note") or "")}
            for r in (refs if isinstance(refs, list) else []) if isinstance(r, Mapping)]
        self._show_referrals()
        self.emergency.setChecked(entry.get("emergency") is True)
        self.change_found.setChecked(entry.get("change_found") is True)
        self.change_note.setText(str(entry.get("change_note") or ""))
