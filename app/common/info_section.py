"""One Appendix A table (A.1 … A.5) as a group of field rows, generated from the form."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QGroupBox, QLabel, QVBoxLayout, QWidget

from app.common.fields import FieldRow
from assessment.errors import Problem
from assessment.forms import InfoField, InfoSection


class InfoSectionWidget(QGroupBox):
    """The rows of one section; ``changed`` carries the key of the field that changed."""

    changed = Signal(str)

    def __init__(self, section: InfoSection, *, fields: Iterable[InfoField] | None = None,
                 required: Iterable[str] = (), parent: QWidget | None = None) -> None:
        super().__init__(f"{section.key} {section.title}", parent)
        self.section = section
        self.setObjectName(f"section-{section.key}")
        needed = set(required)
        self.rows: dict[str, FieldRow] = {}
        layout = QVBoxLayout(self)
        layout.setSpacing(2)
        group: str | None = None
        for info in fields if fields is not None else section.fields:
            if info.group and info.group != group:
                heading = QLabel(info.group)
                heading.setObjectName("groupHeading")
                layout.addWidget(heading)
            group = info.group
            row = FieldRow(info, required=info.key in needed)
            row.editor.changed.connect(lambda key=info.key: self.changed.emit(key))
            self.rows[info.key] = row
            layout.addWidget(row)
        layout.addStretch(1)

    def collect(self) -> dict[str, Any]:
        """Every answer of the section by key (None for unanswered)."""
        out: dict[str, Any] = {}
        for row in self.rows.values():
            out.update(row.editor.collect())
        return out

    def load(self, answers: Mapping[str, Any]) -> None:
        """Show stored answers and refresh the highlights."""
        for row in self.rows.values():
            row.editor.load(answers)
            row.refresh()

    def set_read_only(self, read_only: bool) -> None:
        """Lock or unlock every field."""
        for row in self.rows.values():
            row.editor.set_read_only(read_only)

    def show_problems(self, problems: Iterable[Problem]) -> list[Problem]:
        """Show each problem beside its field; return those that name no field here."""
        rest: list[Problem] = []
        for problem in problems:
            row = self.rows.get(problem.field) or self.rows.get(problem.field.rsplit(".", 1)[0])
            if row is None:
                rest.append(problem)
            else:
                row.set_problem(problem.message)
        return rest

    def local_problems(self) -> list[Problem]:
        """Problems the editors see on their own (dates, numbers, ID numbers)."""
        found = []
        for key, row in self.rows.items():
            message = row.editor.local_problem()
            if message:
                found.append(Problem(key, "local", message))
        return found
