"""The elder page's service-list panel: every item of every applicable list, explained.

Matching one person takes about a millisecond (:mod:`assessment.eligibility`), so the panel
runs it on the GUI thread whenever an attribute changes in the editor (before saving) or the
profile is re-read (after a finalized assessment changed ``capability_grade``). The plan of
the lists in force is made once per as-of date. Undetermined items say what to ask
(``需核实：救助身份、子女数``); a provisional list is marked 暂行 everywhere.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import date
from typing import Any

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.lists.models import RESULT_COLOURS, SOURCE_PREFIX, EligibilityModel, result_text
from assessment.eligibility import ListRegistry, MatchPlan, MatchResult, make_plan, parse_profile
from assessment.eligibility.evaluate import evaluate_profile
from assessment.eligibility.explain import missing_labels
from assessment.eligibility.profile import check_birth_date
from assessment.errors import InputRejected, Problem

SOURCE_HINT = "选中一个条目，这里显示它依据的文件和原文。"


class ProfileMatcher:
    """Matches one elder's attributes on a date, reusing the plan made for that date."""

    def __init__(self, registry: ListRegistry) -> None:
        self.registry = registry
        self._plan: MatchPlan | None = None

    def plan(self, as_of: date) -> MatchPlan:
        """The plan of the lists in force on ``as_of`` (cached)."""
        if self._plan is None or self._plan.as_of != as_of:
            self._plan = make_plan(self.registry, as_of)
        return self._plan

    def match(self, attributes: Mapping[str, Any], as_of: date) -> MatchResult:
        """Match; :class:`InputRejected` when an attribute is not understood."""
        vocabulary = self.registry.vocabulary
        data = {k: v for k, v in attributes.items()
                if v is not None and k in vocabulary.profile_keys}
        profile = parse_profile(data, vocabulary)
        check_birth_date(profile, vocabulary, as_of)
        return evaluate_profile(self.plan(as_of), profile)

    def missing_text(self, names: tuple[str, ...]) -> str:
        """The Chinese labels of missing attributes, joined."""
        return "、".join(missing_labels(self.registry.vocabulary, names))


def _chip(text: str, result: str) -> str:
    background, colour = RESULT_COLOURS[result]
    return (f'<span style="background:{background}; color:{colour}; '
            f'padding:2px 6px;">&nbsp;{text}&nbsp;</span>')


class EligibilityPanel(QWidget):
    """Results for one elder; :meth:`show_attributes` recomputes at once."""

    computed = Signal(object)  # the MatchResult

    def __init__(self, registry: ListRegistry | None, parent: QWidget | None = None,
                 load_problem: str = "") -> None:
        super().__init__(parent)
        self.matcher = ProfileMatcher(registry) if registry is not None else None
        self.result: MatchResult | None = None
        self._questions: list[str] = []
        self.last_ms = 0.0
        self.as_of: date | None = None  # None = today
        title = QLabel("可申请的基本养老服务")
        title.setObjectName("panelTitle")
        self.lists_label = QLabel()
        self.lists_label.setObjectName("listVersion")
        self.lists_label.setWordWrap(True)
        self.provisional = QLabel("暂行清单：以省、市正式公布的清单为准。")
        self.provisional.setObjectName("warningBox")
        self.provisional.setWordWrap(True)
        self.provisional.hide()
        self.summary = QLabel()
        self.summary.setObjectName("eligibilitySummary")
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.unsaved = QLabel("（含尚未保存的属性修改）")
        self.unsaved.setObjectName("itemNote")
        self.unsaved.hide()
        self.ask = QLabel()
        self.ask.setObjectName("askBox")
        self.ask.setWordWrap(True)
        self.ask.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.ask.setStyleSheet("#askBox { background: #fff8e1; border: 1px solid #e3a008; "
                               "border-radius: 5px; padding: 6px; color: #6e4a00; }")
        self.ask.hide()
        self.problem = QLabel(load_problem)
        self.problem.setObjectName("problemBox")
        self.problem.setWordWrap(True)
        self.problem.setVisible(bool(load_problem))
        self.model = EligibilityModel(self)
        self.view = QTableView()
        self.view.setObjectName("eligibilityTable")
        self.view.setModel(self.model)
        self.view.setWordWrap(True)
        self.view.verticalHeader().setVisible(False)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for column, width in ((EligibilityModel.ID, 58), (EligibilityModel.NAME, 170),
                              (EligibilityModel.RESULT, 74), (EligibilityModel.REASONS, 320),
                              (EligibilityModel.MISSING, 120), (EligibilityModel.STANDARD, 100)):
            self.view.setColumnWidth(column, width)
        header.setStretchLastSection(True)
        self.view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.source = QLabel(SOURCE_HINT)
        self.source.setObjectName("itemSource")
        self.source.setWordWrap(True)
        self.source.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.source.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.source.setMinimumHeight(self.source.fontMetrics().lineSpacing() * 2)
        self.view.selectionModel().currentRowChanged.connect(self._show_source)
        top = QHBoxLayout()
        top.addWidget(title)
        top.addStretch(1)
        top.addWidget(self.unsaved)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.lists_label)
        layout.addWidget(self.problem)
        chips = QHBoxLayout()
        chips.addWidget(self.summary)
        chips.addWidget(self.provisional, 1)
        layout.addLayout(chips)
        layout.addWidget(self.ask)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.source)

    def _show_source(self, current: QModelIndex, _previous: QModelIndex) -> None:
        """Show the document and the sentence the selected item's rule implements."""
        if not current.isValid() or current.row() >= self.model.rowCount():
            self.source.setText(SOURCE_HINT)
            return
        item = self.model.item(current.row())
        cited = next((r for r in reversed(item.reasons) if r.startswith(SOURCE_PREFIX)), "")
        self.source.setText(f"{item.id} {item.name}　{cited}" if cited else SOURCE_HINT)

    def source_text(self) -> str:
        """The citation shown under the table."""
        return self.source.text()

    def set_registry(self, registry: ListRegistry) -> None:
        """Use other list versions (after an install)."""
        self.matcher = ProfileMatcher(registry)
        self.problem.hide()

    def show_attributes(self, attributes: Mapping[str, Any], *, unsaved: bool = False) -> None:
        """Match these attributes now and show every item."""
        self.unsaved.setVisible(unsaved)
        if self.matcher is None:
            return
        started = time.perf_counter()
        day = self.as_of or date.today()
        try:
            result = self.matcher.match(attributes, day)
        except InputRejected as exc:
            self._show_problems(list(exc.problems))
            return
        questions = [self.matcher.missing_text(item.missing) if item.result == "undetermined"
                     else "" for item in result.items]
        self.model.set_results(result.items, questions)
        self.source.setText(SOURCE_HINT)
        self.result = result
        self.problem.hide()
        self._show_header(result)
        self.last_ms = (time.perf_counter() - started) * 1000
        self.computed.emit(result)

    def clear(self) -> None:
        """No elder shown."""
        self.model.set_results([])
        self.result = None
        self.summary.setText("")
        self.ask.hide()

    def _show_problems(self, problems: list[Problem]) -> None:
        self.clear()
        self.problem.setText("服务清单无法匹配：" + "；".join(p.message for p in problems))
        self.problem.show()

    def _show_header(self, result: MatchResult) -> None:
        assert self.matcher is not None
        registry = self.matcher.registry
        parts = []
        provisional = False
        for ref in result.lists:
            try:
                version = registry.get(ref)
            except KeyError:
                parts.append(ref)
                continue
            provisional = provisional or version.provisional
            mark = "（暂行）" if version.provisional and "暂行" not in version.title else ""
            parts.append(f"{version.title}{mark}（{ref}）")
        self.lists_label.setText(
            f"评估日期 {result.as_of.isoformat()}；适用清单：" + "；".join(parts))
        self.provisional.setVisible(provisional)
        counts = {key: sum(1 for i in result.items if i.result == key) for key in RESULT_COLOURS}
        self.summary.setText("　".join(
            _chip(f"{result_text(key)} {counts[key]} 项", key)
            for key in ("eligible", "undetermined", "not_eligible")))
        asked = list(dict.fromkeys(name for item in result.items if item.result == "undetermined"
                                   for name in item.missing))
        if asked:
            order = self.matcher.plan(result.as_of).missing_order
            asked.sort(key=lambda name: order.get(name, len(order)))
            waiting = sum(1 for i in result.items if i.result == "undetermined")
            self._questions = [self.matcher.missing_text((name,)) for name in asked]
            # One wrapped line rather than one line per question: the table keeps the room.
            self.ask.setText(f"需核实（{waiting} 项待定，请向老人或家属询问）："
                             + "、".join(self._questions))
        else:
            self._questions = []
        self.ask.setVisible(bool(asked))

    def questions(self) -> list[str]:
        """What to ask, as shown (one Chinese label per missing attribute)."""
        if self.ask.isHidden():
            return []
        return list(self._questions)
