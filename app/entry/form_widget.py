"""The assessment entry form, generated from the form data: one page per Appendix A table,
one page per Appendix B dimension, and the sign-off page, with a navigation list that shows
how far each page is answered.

The widget only shows and collects answers; the entry page decides what to do with a change.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QScrollArea,
    QSizePolicy,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.common.fields import FieldEditor, FieldRow, SingleEditor
from app.common.info_section import InfoSectionWidget
from app.entry.item_widget import KEYBOARD_HELP, ItemWidget
from app.entry.signature_pad import SignatureEditor
from assessment.errors import Problem
from assessment.forms import Dimension, Form, InfoField
from assessment.records.api import Assessor

SIGN_PLACE = "sign.place"
SIGN_ASSESSOR_1 = "sign.assessor_1"
SIGN_ASSESSOR_2 = "sign.assessor_2"
SIGN_ASSESSOR_DATE = "sign.assessor_date"
SIGN_PROVIDER_DATE = "sign.provider_date"
SIGN_PROVIDER = "sign.provider"


class AssessorEditor(SingleEditor):
    """A drop-down of this laptop's assessors; stores the username, shows the name."""

    def __init__(self, info: InfoField, assessors: Sequence[Assessor],
                 parent: QWidget | None = None) -> None:
        super().__init__(info, parent)
        self.combo.blockSignals(True)
        self.combo.clear()
        self.combo.addItem("请选择评估员", None)
        for person in assessors:
            self.combo.addItem(f"{person.display_name}（{person.username}）", person.username)
        self.combo.blockSignals(False)


class SignOffWidget(QFrame):
    """评估地点, the two assessors, the dates and the handwritten signatures
    (docs/spec/gbt42195.md §2, §11.3).

    Labels are the certificate's own words (no internal keys). A new draft arrives filled by
    the store as far as it can be (the signed-in assessor, today's dates, the place and the
    partner of the last visit: :func:`assessment.records.lifecycle.signoff_defaults`); a
    signature drawn here is printed on the certificate, a blank one is signed on paper.
    """

    changed = Signal(str)

    def __init__(self, form: Form, assessors: Sequence[Assessor],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        labels = form.report.sign_off
        date_label = labels.get("date", "日期")
        signs = labels.get("assessors", "评估员签名")
        provider = labels.get("provider", "信息提供者签名")
        specs: list[tuple[InfoField, bool]] = [
            (InfoField(SIGN_PLACE, labels.get("place", "评估地点"), "text"), False),
            (InfoField(SIGN_ASSESSOR_1, "评估员（一）", "single"), True),
            (InfoField(SIGN_ASSESSOR_1 + "_signature", f"{signs}（一）（手写）", "text"), False),
            (InfoField(SIGN_ASSESSOR_2, "评估员（二）", "single"), True),
            (InfoField(SIGN_ASSESSOR_2 + "_signature", f"{signs}（二）（手写）", "text"), False),
            (InfoField(SIGN_ASSESSOR_DATE, f"{signs}{date_label}", "date"), False),
            (InfoField(SIGN_PROVIDER + "_signature", f"{provider}（手写，A.3.1 所填之人）",
                       "text"), False),
            (InfoField(SIGN_PROVIDER_DATE, f"{provider}{date_label}", "date"), False),
        ]
        layout = QVBoxLayout(self)
        title = QLabel("签名（评估员两人共同评估；信息提供者为 A.3.1 所填之人）")
        title.setObjectName("pageTitle")
        title.setWordWrap(True)
        layout.addWidget(title)
        self.rows: dict[str, FieldRow] = {}
        self.pads: dict[str, SignatureEditor] = {}
        for info, required in specs:
            editor: FieldEditor | None = None
            if info.key in (SIGN_ASSESSOR_1, SIGN_ASSESSOR_2):
                editor = AssessorEditor(info, assessors)
            elif info.key.endswith("_signature"):
                editor = self.pads[info.key] = SignatureEditor(info)
            row = FieldRow(info, required=required, show_key=False, editor=editor)
            row.editor.changed.connect(lambda key=info.key: self.changed.emit(key))
            self.rows[info.key] = row
            layout.addWidget(row)
        layout.addStretch(1)


def _scroll(content: QWidget) -> QScrollArea:
    area = QScrollArea()
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setWidget(content)
    return area


class AssessmentFormWidget(QWidget):
    """All pages of an assessment; ``answers_changed`` carries the updated keys and values."""

    answers_changed = Signal(dict)

    def __init__(self, form: Form, assessors: Sequence[Assessor],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.form = form
        self.nav = QListWidget()
        self.nav.setObjectName("formNav")
        self.nav.setFixedWidth(210)
        self.stack = QStackedWidget()
        self.sections: dict[str, InfoSectionWidget] = {}
        self.items: dict[str, ItemWidget] = {}
        self._item_page: dict[str, int] = {}
        self._scrolls: list[QScrollArea] = []
        self._page_keys: list[str] = []
        self._titles: dict[str, str] = {}  # page key -> navigation text without marks
        self._done: dict[str, bool] = {}  # dimension key -> all items answered
        self.problem_keys: list[str] = []  # fields and items marked, in form order
        self._problem_cursor = -1
        required = {f.key for f in form.fields if f.required_to_finalize}
        for section in form.sections:
            widget = InfoSectionWidget(section, required=required)
            widget.changed.connect(self._on_field_changed)
            self.sections[section.key] = widget
            self._add_page(section.key, f"{section.key} {section.title}", widget)
        for dimension in form.dimensions:
            self._add_page(dimension.key, self._dimension_title(dimension, None),
                           self._dimension_page(dimension))
        self.signoff = SignOffWidget(form, assessors)
        self.signoff.changed.connect(self._on_signoff_changed)
        self._add_page("sign", "签名", self.signoff)
        self._order = [self.items[item.key] for item in form.items]
        self.nav.currentRowChanged.connect(self.stack.setCurrentIndex)
        self.nav.setCurrentRow(0)
        self.jump_menu = QMenu(self)
        self.jump_menu.setObjectName("unansweredMenu")
        self.jump_menu.aboutToShow.connect(self._fill_jump_menu)
        self.jump_button = QToolButton()
        self.jump_button.setObjectName("unansweredButton")
        self.jump_button.setToolTip("列出尚未评分的项，选中即跳到该项（Ctrl+J）")
        self.jump_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.jump_button.setMenu(self.jump_menu)
        self.jump_button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        jump = QShortcut(QKeySequence("Ctrl+J"), self)
        jump.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        jump.activated.connect(self.jump_button.showMenu)
        side = QVBoxLayout()
        side.setContentsMargins(0, 0, 0, 0)
        side.addWidget(self.jump_button)
        side.addWidget(self.nav, 1)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(side)
        layout.addWidget(self.stack, 1)
        self._show_unanswered_count()

    @staticmethod
    def _dimension_title(dimension: Dimension, answered: int | None) -> str:
        count = len(dimension.items)
        done = f"（{answered}/{count}）" if answered is not None else f"（0/{count}）"
        return f"{dimension.key} {dimension.name}{done}"

    def _add_page(self, key: str, title: str, content: QWidget) -> None:
        self._titles[key] = title
        scroll = _scroll(content)
        self._scrolls.append(scroll)
        self._page_keys.append(key)
        self.stack.addWidget(scroll)
        item = QListWidgetItem(title)
        item.setData(Qt.ItemDataRole.UserRole, key)
        self.nav.addItem(item)

    def _dimension_page(self, dimension: Dimension) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        title = QLabel(f"{dimension.key} {dimension.name}（满分 {dimension.max_score} 分）")
        title.setObjectName("pageTitle")
        title.setWordWrap(True)
        layout.addWidget(title)
        keys = QLabel(KEYBOARD_HELP)
        keys.setObjectName("keyboardHelp")
        keys.setWordWrap(True)
        layout.addWidget(keys)
        index = len(self._page_keys)
        for item in dimension.items:
            widget = ItemWidget(item)
            widget.answered.connect(self._on_item_answered)
            widget.advance.connect(lambda key=item.key: self.focus_next(key))
            self.items[item.key] = widget
            self._item_page[item.key] = index
            layout.addWidget(widget)
        layout.addStretch(1)
        return page

    # ---- answers in and out -------------------------------------------------------------

    def load(self, answers: Mapping[str, Any]) -> None:
        """Show a stored answer dict on every page."""
        for section in self.sections.values():
            section.load(answers)
        for row in self.signoff.rows.values():
            row.editor.load(answers)
            row.refresh()
        for key, widget in self.items.items():
            score = answers.get(key)
            state_key = widget.item.state_key
            state = answers.get(state_key) if state_key else None
            widget.set_answer(score if isinstance(score, int) else None,
                              state if isinstance(state, str) else None)
        self.update_progress(answers)

    def collect(self) -> dict[str, Any]:
        """Every answer on every page (None for unanswered)."""
        out: dict[str, Any] = {}
        for section in self.sections.values():
            out.update(section.collect())
        for row in self.signoff.rows.values():
            out.update(row.editor.collect())
        for key, widget in self.items.items():
            out[key] = widget.score
            if widget.item.state_key:
                out[widget.item.state_key] = widget.state
        return out

    def _on_item_answered(self, key: str, score: object, state: object) -> None:
        widget = self.items[key]
        update: dict[str, Any] = {key: score}
        if widget.item.state_key:
            update[widget.item.state_key] = state
        self.answers_changed.emit(update)

    def _on_field_changed(self, key: str) -> None:
        for section in self.sections.values():
            row = section.rows.get(key)
            if row is not None:
                self.answers_changed.emit(row.editor.collect())
                return

    def _on_signoff_changed(self, key: str) -> None:
        self.answers_changed.emit(self.signoff.rows[key].editor.collect())

    def update_progress(self, answers: Mapping[str, Any]) -> None:
        """Show the answered count of each dimension in the navigation list."""
        for key in self._page_keys:
            dimension = next((d for d in self.form.dimensions if d.key == key), None)
            if dimension is None:
                continue
            done = sum(1 for i in dimension.items if answers.get(i.key) is not None)
            self._titles[key] = self._dimension_title(dimension, done)
            self._done[key] = done == len(dimension.items)
        self._render_nav()
        self._show_unanswered_count()

    def _render_nav(self) -> None:
        """Navigation texts: progress, and ⚠ with the count of marked problems per page."""
        counts: dict[str, int] = {}
        for key in self.problem_keys:
            page = self.page_of(key)
            counts[page] = counts.get(page, 0) + 1
        for row, key in enumerate(self._page_keys):
            nav_item = self.nav.item(row)
            count = counts.get(key, 0)
            nav_item.setText(self._titles[key] + (f" ⚠{count}" if count else ""))
            if count:
                nav_item.setForeground(QColor("#b42318"))
            elif self._done.get(key):
                nav_item.setForeground(Qt.GlobalColor.darkGreen)
            else:
                nav_item.setForeground(Qt.GlobalColor.black)

    def page_of(self, key: str) -> str:
        """The page a field or item is on (``A.3``, ``B.1``, ``sign``)."""
        item_key = key[: -len(".state")] if key.endswith(".state") else key
        if item_key in self._item_page:
            return self._page_keys[self._item_page[item_key]]
        if key.startswith("sign."):
            return "sign"
        return ".".join(key.split(".")[:2])

    # ---- problems -----------------------------------------------------------------------

    def reveal(self, key: str) -> None:
        """Show the page of a field or item and put the keyboard there."""
        item_key = key[: -len(".state")] if key.endswith(".state") else key
        if item_key in self.items:
            self.focus_item(item_key)
            return
        page = self.page_of(key)
        self.show_page(page)
        row = self.field_row(key) or self.field_row(key.rsplit(".", 1)[0])
        if row is not None and page in self._page_keys:
            row.editor.focus_target().setFocus(Qt.FocusReason.OtherFocusReason)
            self._scrolls[self._page_keys.index(page)].ensureWidgetVisible(row, 0, 40)

    def next_problem(self) -> str | None:
        """Go to the next marked problem (after the last, the first again); its key."""
        if not self.problem_keys:
            return None
        self._problem_cursor = (self._problem_cursor + 1) % len(self.problem_keys)
        key = self.problem_keys[self._problem_cursor]
        self.reveal(key)
        return key

    # ---- unanswered items ---------------------------------------------------------------

    def unanswered(self) -> list[str]:
        """The keys of the items without a score, in form order."""
        return [widget.item.key for widget in self._order if widget.score is None]

    def _show_unanswered_count(self) -> None:
        count = len(self.unanswered())
        self.jump_button.setText(f"未评项（{count}）▾" if count else "全部已评分")
        self.jump_button.setEnabled(bool(count))

    def _fill_jump_menu(self) -> None:
        self.jump_menu.clear()
        for key in self.unanswered():
            widget = self.items[key]
            action = self.jump_menu.addAction(f"{key} {widget.item.label}")
            action.setData(key)
            action.triggered.connect(lambda _checked=False, k=key: self.focus_item(k))

    # ---- navigation ---------------------------------------------------------------------

    def show_page(self, key: str) -> None:
        """Switch to the page of a section or dimension (``A.3``, ``B.1``, ``sign``)."""
        if key in self._page_keys:
            self.nav.setCurrentRow(self._page_keys.index(key))

    def focus_item(self, key: str) -> None:
        """Show an item's page, scroll to it and give it the keyboard."""
        widget = self.items[key]
        page = self._item_page[key]
        self.nav.setCurrentRow(page)
        widget.setFocus(Qt.FocusReason.OtherFocusReason)
        self._scrolls[page].ensureWidgetVisible(widget, 0, 40)

    def focus_next(self, key: str) -> None:
        """Move on from an item to the next one (or to the sign-off page after the last)."""
        index = self._order.index(self.items[key])
        if index + 1 < len(self._order):
            self.focus_item(self._order[index + 1].item.key)
        else:
            self.show_page("sign")
            first = next(iter(self.signoff.rows.values()))
            first.editor.focus_target().setFocus(Qt.FocusReason.OtherFocusReason)

    def focus_first_unanswered(self) -> None:
        """Start where the work is: the first item without an answer."""
        for widget in self._order:
            if widget.score is None:
                self.focus_item(widget.item.key)
                return

    def field_row(self, key: str) -> FieldRow | None:
        """The row of an Appendix A or sign-off field."""
        for section in self.sections.values():
            if key in section.rows:
                return section.rows[key]
        return self.signoff.rows.get(key)

    def set_read_only(self, read_only: bool) -> None:
        """Lock everything (finalized and superseded assessments)."""
        for section in self.sections.values():
            section.set_read_only(read_only)
        for row in self.signoff.rows.values():
            row.editor.set_read_only(read_only)
        for widget in self.items.values():
            widget.set_read_only(read_only)

    def show_problems(self, problems: Iterable[Problem]) -> list[Problem]:
        """Show each problem beside its field or item, count them on the navigation list;
        return those that name neither."""
        self.clear_problems()
        rest: list[Problem] = []
        marked: list[str] = []
        for problem in problems:
            key = problem.field
            item_key = key[: -len(".state")] if key.endswith(".state") else key
            if item_key in self.items:
                self.items[item_key].status.setText(f"⚠ {problem.message}")
                self.items[item_key].setProperty("problem", True)
                marked.append(key)
                continue
            row = self.field_row(key) or self.field_row(key.rsplit(".", 1)[0])
            if row is not None:
                row.set_problem(problem.message)
                marked.append(key)
            else:
                rest.append(problem)
        order = {key: index for index, key in enumerate(self._page_keys)}
        self.problem_keys = sorted(dict.fromkeys(marked),
                                   key=lambda k: order.get(self.page_of(k), len(order)))
        self._problem_cursor = -1
        self._render_nav()
        return rest

    def clear_problems(self) -> None:
        """Remove all problem texts and marks."""
        self.problem_keys = []
        self._problem_cursor = -1
        if self._titles:
            self._render_nav()
        for section in self.sections.values():
            for row in section.rows.values():
                row.set_problem(row.editor.local_problem())
        for row in self.signoff.rows.values():
            row.set_problem(row.editor.local_problem())
        for widget in self.items.values():
            widget.setProperty("problem", False)
            widget.set_answer(widget.score, widget.state)
