"""The elder page: who the elder is, the assessment history, and where to go next.

Basic information (A.2–A.5) is generated from the form; the store checks and saves it and
its problems are shown beside the fields. The history shows every assessment with its grade
and a small chart of grades over time; 新建评估 asks for the A.1.3 reason, 继续草稿 resumes
the open draft, 查看 opens the selected assessment read-only, 更正 starts a superseding draft.
An elder the county moved to another township shows "已迁出至 …" and gets no new assessment
or correction here (the store refuses; the page says why). The 探访关爱 tab lists the elder's
visits; a visit that found a change raises "建议即时评估（状况发生变化）" above the tabs with a
button that starts the assessment (A.1.3 即时评估).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.common.context import AppContext
from app.common.info_section import InfoSectionWidget
from app.elder.attributes_editor import AttributesEditor
from app.elder.grade_chart import GradeChart
from app.elder.history_model import HistoryModel
from app.elder.status_panel import StatusPanel
from app.elder.visits_panel import PROPOSAL_HEADING, ElderVisitsModel, risk_names
from app.entry.correction_dialog import ask_correction_reason
from app.lists.install import load_app_lists
from app.lists.panel import EligibilityPanel
from assessment.eligibility import ListRegistry
from assessment.errors import FormFileError, InputRejected, Problem
from assessment.records.api import AssessmentRecord, AssessmentStatus, ElderProfile
from assessment.records.lifecycle import check_not_transferred, due_date, parse_date
from assessment.records.profiles import age_on, mask_id
from assessment.visits.record import CHANGE_REASON

# The A.1.3 option a change found on a visit (状况发生变化) starts the assessment with.
CHANGE_ASSESSMENT_REASON = "即时评估"
PERSON_SECTIONS = ("A.2", "A.3", "A.4", "A.5")
# Appendix A keys that the profile keeps in its own typed fields rather than in ``info``.
PROFILE_FIELDS = {"A.2.1": "name", "A.2.2": "sex", "A.2.3": "birth_date", "A.2.8": "id_number"}
CONTACT_FIELDS = (("township", "乡镇（街道）"), ("village", "村（社区）"),
                  ("address", "详细地址"), ("phone", "本人电话"))


class ReasonDialog(QDialog):
    """新建评估: choose the A.1.3 评估原因 from the form's options."""

    def __init__(self, reasons: tuple[str, ...], default: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("新建评估")
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("A.1.3 评估原因："))
        self.buttons: list[QRadioButton] = []
        for reason in reasons:
            button = QRadioButton(reason)
            button.setChecked(reason == default)
            self.buttons.append(button)
            layout.addWidget(button)
        box = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                               | QDialogButtonBox.StandardButton.Cancel)
        ok = box.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText("开始评估")
        box.button(QDialogButtonBox.StandardButton.Cancel).setText("取消")
        box.accepted.connect(self.accept)
        box.rejected.connect(self.reject)
        layout.addWidget(box)

    def reason(self) -> str | None:
        """The chosen reason."""
        return next((b.text() for b in self.buttons if b.isChecked()), None)


class ElderPage(QWidget):
    """One elder; ``assessment_opened`` carries the record to show in the entry page."""

    back_requested = Signal()
    assessment_opened = Signal(object)
    elder_saved = Signal(str)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.profile: ElderProfile | None = None
        self.ask_reason = self._ask_reason_dialog
        self.ask_correction_reason: Callable[[], str | None] = (
            lambda: ask_correction_reason(self))
        back = QPushButton("← 返回花名册")
        back.clicked.connect(self.back_requested)
        self.heading = QLabel()
        self.heading.setObjectName("pageHeading")
        self.summary = QLabel()
        self.summary.setObjectName("elderSummary")
        self.summary.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(back)
        top.addWidget(self.heading, 1)
        self.tabs = QTabWidget()
        self.tabs.addTab(self._history_tab(), "评估记录")
        self.tabs.addTab(self._info_tab(), "基本信息（A.2–A.5）")
        self.tabs.addTab(self._attributes_tab(), "服务清单")
        self.tabs.addTab(self._visits_tab(), "探访关爱")
        self.proposal = self._proposal_bar()
        self.status_panel = StatusPanel(ctx.workspace, self)
        self.status_panel.changed.connect(self._on_status_changed)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.summary)
        layout.addWidget(self.status_panel)
        layout.addWidget(self.proposal)
        layout.addWidget(self.tabs, 1)

    # ---- building -----------------------------------------------------------------------

    def _history_tab(self) -> QWidget:
        tab = QWidget()
        self.history = HistoryModel(self.ctx.form.grade_name, self)
        self.history_view = QTableView()
        self.history_view.setObjectName("historyTable")
        self.history_view.setModel(self.history)
        self.history_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.history_view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.history_view.verticalHeader().setVisible(False)
        self.history_view.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents)
        self.history_view.horizontalHeader().setStretchLastSection(True)
        self.history_view.doubleClicked.connect(lambda _i: self.view_selected())
        self.history_view.selectionModel().selectionChanged.connect(self._update_buttons)
        self.chart = GradeChart([band.name for band in self.ctx.form.grades])
        self.new_button = QPushButton("新建评估")
        self.new_button.setObjectName("newAssessment")
        self.resume_button = QPushButton("继续草稿")
        self.view_button = QPushButton("查看")
        self.correct_button = QPushButton("更正")
        self.correct_button.setToolTip("新建一份评估取代所选的已完成评估")
        self.new_button.clicked.connect(lambda: self.new_assessment())
        self.resume_button.clicked.connect(self.resume_draft)
        self.view_button.clicked.connect(self.view_selected)
        self.correct_button.clicked.connect(self.correct_selected)
        buttons = QHBoxLayout()
        for button in (self.new_button, self.resume_button, self.view_button,
                       self.correct_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        self.message = QLabel()
        self.message.setObjectName("problemBox")
        self.message.setWordWrap(True)
        self.message.hide()
        chart_box = QGroupBox("等级变化（最终等级）")
        chart_layout = QVBoxLayout(chart_box)
        chart_layout.addWidget(self.chart)
        layout = QVBoxLayout(tab)
        layout.addLayout(buttons)
        layout.addWidget(self.message)
        layout.addWidget(self.history_view, 1)
        layout.addWidget(chart_box)
        return tab

    def _visits_tab(self) -> QWidget:
        """探访关爱: the elder's visits, newest first."""
        self.visits = ElderVisitsModel(self)
        self.visits_view = QTableView()
        self.visits_view.setObjectName("elderVisits")
        self.visits_view.setModel(self.visits)
        self.visits_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.visits_view.verticalHeader().setVisible(False)
        self.visits_view.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents)
        self.visits_view.horizontalHeader().setStretchLastSection(True)
        self.visits_empty = QLabel("尚无探访记录（在“探访关爱”窗口中记录探访）。")
        tab = QWidget()
        layout = QVBoxLayout(tab)
        layout.addWidget(self.visits_empty)
        layout.addWidget(self.visits_view, 1)
        self.visits_tab = tab
        return tab

    def _proposal_bar(self) -> QFrame:
        """The banner a visit that found a change raises: 建议即时评估 with a start button."""
        bar = QFrame()
        bar.setObjectName("warningBox")
        self.proposal_text = QLabel()
        self.proposal_text.setWordWrap(True)
        self.proposal_button = QPushButton("开始即时评估")
        self.proposal_button.setObjectName("startChangeAssessment")
        self.proposal_button.clicked.connect(self.start_change_assessment)
        row = QHBoxLayout(bar)
        row.addWidget(self.proposal_text, 1)
        row.addWidget(self.proposal_button)
        bar.hide()
        return bar

    def reload_visits(self) -> None:
        """Re-read the elder's visits, open referrals and the re-assessment proposal."""
        if self.profile is None:
            return
        book = self.ctx.workspace.visits
        elder_id = self.profile.elder_id
        visits = book.visits_for(elder_id)
        self.visits.set_visits(visits, book.referrals(status="open", elder_id=elder_id),
                               risk_names(self.ctx.workspace, date.today()))
        self.visits_empty.setVisible(not visits)
        self.tabs.setTabText(self.tabs.indexOf(self.visits_tab),
                             f"探访关爱（{len(visits)}）")
        proposal = book.reassessment_proposals().get(elder_id)
        moved = self.profile.transferred_to is not None or self.profile.status != "active"
        if proposal is None or moved:
            self.proposal.hide()
            return
        day, _, note = proposal.removeprefix(CHANGE_REASON).strip("（）").partition("：")
        self.proposal_text.setText(f"{PROPOSAL_HEADING}：{day} 探访发现" + (
            f"“{note}”" if note else "状况发生变化") + "，请尽快重新评估。")
        self.proposal_button.setEnabled(self.draft() is None)
        self.proposal_button.setToolTip(
            "该老人已有未完成的草稿，请先完成或继续草稿" if self.draft() is not None
            else f"以评估原因“{CHANGE_ASSESSMENT_REASON}”新建评估")
        self.proposal.show()

    def _info_tab(self) -> QWidget:
        content = QWidget()
        layout = QVBoxLayout(content)
        contact = QGroupBox("住址与联系")
        grid = QGridLayout(contact)
        self.contact_edits: dict[str, QLineEdit] = {}
        for row, (name, label) in enumerate(CONTACT_FIELDS):
            edit = QLineEdit()
            edit.setObjectName(f"contact-{name}")
            self.contact_edits[name] = edit
            grid.addWidget(QLabel(label), row, 0)
            grid.addWidget(edit, row, 1)
        self.contact_problem = QLabel()
        self.contact_problem.setObjectName("fieldProblem")
        self.contact_problem.hide()
        grid.addWidget(self.contact_problem, len(CONTACT_FIELDS), 1)
        self.sections: dict[str, InfoSectionWidget] = {}
        for section in self.ctx.form.sections:
            if section.key in PERSON_SECTIONS:
                widget = InfoSectionWidget(section)
                self.sections[section.key] = widget
                layout.addWidget(widget)
            if section.key == "A.2":
                layout.addWidget(contact)
        layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(content)
        self.save_button = QPushButton("保存基本信息")
        self.save_button.setObjectName("saveElder")
        self.save_button.clicked.connect(self.save_profile)
        self.save_status = QLabel()
        self.save_status.setObjectName("savedLabel")
        bar = QHBoxLayout()
        bar.addWidget(self.save_status, 1)
        bar.addWidget(self.save_button)
        tab = QWidget()
        outer = QVBoxLayout(tab)
        outer.addWidget(scroll, 1)
        outer.addLayout(bar)
        return tab

    def _attributes_tab(self) -> QWidget:
        """服务清单: the attributes editor beside the live eligibility panel."""
        registry: ListRegistry | None = None
        problem = ""
        try:
            registry = load_app_lists(self.ctx.data_dir)
        except FormFileError as exc:
            problem = f"服务清单文件有误，无法匹配：{exc.file}：{exc.key}：{exc.reason}"
        self.eligibility = EligibilityPanel(registry, load_problem=problem)
        self.attribute_editor: AttributesEditor | None = None
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        self.attributes_status = QLabel()
        self.attributes_status.setObjectName("savedLabel")
        self.attributes_status.setWordWrap(True)
        self.save_attributes_button = QPushButton("保存服务清单属性")
        self.save_attributes_button.setObjectName("saveAttributes")
        self.save_attributes_button.clicked.connect(self.save_attributes)
        self.revert_attributes_button = QPushButton("撤销修改")
        self.revert_attributes_button.clicked.connect(self._revert_attributes)
        if registry is not None:
            editor = AttributesEditor(registry.vocabulary)
            editor.changed.connect(self._on_attributes_edited)
            self.attribute_editor = editor
            scroll = QScrollArea()
            scroll.setWidgetResizable(True)
            scroll.setFrameShape(QFrame.Shape.NoFrame)
            scroll.setWidget(editor)
            scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
            heading = QLabel("服务清单属性（未登记的请向老人或家属核实）")
            heading.setObjectName("panelCaption")
            left_layout.addWidget(heading)
            left_layout.addWidget(scroll, 1)
        else:
            self.save_attributes_button.setEnabled(False)
        bar = QHBoxLayout()
        bar.addWidget(self.attributes_status, 1)
        bar.addWidget(self.revert_attributes_button)
        bar.addWidget(self.save_attributes_button)
        left_layout.addLayout(bar)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(self.eligibility)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        splitter.setSizes([520, 780])
        tab = QWidget()
        layout = QVBoxLayout(tab)
        layout.addWidget(splitter, 1)
        return tab

    def reload_lists(self) -> None:
        """Re-read the installed list versions (after an install) and match again."""
        try:
            registry = load_app_lists(self.ctx.data_dir)
        except FormFileError as exc:
            self.eligibility.problem.setText(f"服务清单文件有误：{exc.file}：{exc.key}：{exc.reason}")
            self.eligibility.problem.show()
            return
        self.eligibility.set_registry(registry)
        self._match_shown()

    # ---- showing ------------------------------------------------------------------------

    def open(self, elder_id: str) -> None:
        """Load an elder and the assessment history."""
        profile = self.ctx.workspace.elders.get(elder_id)
        self.profile = profile
        self.heading.setText(profile.name)
        self._show_profile(profile)
        self.reload_history()
        self.tabs.setCurrentIndex(0)
        self.message.hide()

    def _answers_of(self, profile: ElderProfile) -> dict[str, Any]:
        answers: dict[str, Any] = dict(profile.info)
        for key, attr in PROFILE_FIELDS.items():
            value = getattr(profile, attr)
            answers[key] = value.isoformat() if isinstance(value, date) else value
        return answers

    def _show_profile(self, profile: ElderProfile) -> None:
        answers = self._answers_of(profile)
        for widget in self.sections.values():
            widget.load(answers)
        for name, edit in self.contact_edits.items():
            edit.setText(getattr(profile, name) or "")
        self.contact_problem.hide()
        self.save_status.setText("")
        if self.attribute_editor is not None:
            self.attribute_editor.load(profile.attributes)
        self.attributes_status.setText("")
        self.eligibility.show_attributes(profile.attributes)

    def reload_history(self) -> None:
        """Re-read the assessments of the shown elder (and the grade they give the profile)."""
        if self.profile is None:
            return
        self.refresh_profile()
        records = self.ctx.workspace.assessments.for_elder(self.profile.elder_id)
        names = {a.username: a.display_name for a in self.ctx.workspace.accounts.all()}
        self.history.set_records(records, names)
        self.chart.set_records(records)
        if self.history.rowCount() > 0:
            self.history_view.selectRow(0)
        self._update_summary()
        self._update_buttons()
        self.reload_visits()

    def refresh_profile(self) -> None:
        """Re-read the profile: a finalized assessment changes ``capability_grade`` at once.

        Unsaved attribute edits are kept (and matched together with the new grade).
        """
        if self.profile is None:
            return
        fresh = self.ctx.workspace.elders.get(self.profile.elder_id)
        if fresh == self.profile:
            return
        editor = self.attribute_editor
        keep = editor.values() if editor is not None and editor.is_dirty() else None
        self.profile = fresh
        if editor is not None:
            editor.load(fresh.attributes)
            if keep is not None:
                for name, value in keep.items():
                    editor.editors[name].set_value(value)
        self._match_shown()

    def _match_shown(self) -> None:
        """Match the shown profile with the editor's current values."""
        if self.profile is None:
            return
        editor = self.attribute_editor
        if editor is None:
            self.eligibility.show_attributes(self.profile.attributes)
            return
        self.eligibility.show_attributes(editor.merged(self.profile.attributes),
                                         unsaved=editor.is_dirty())

    def _on_attributes_edited(self) -> None:
        self._match_shown()
        dirty = self.attribute_editor is not None and self.attribute_editor.is_dirty()
        self.attributes_status.setText("有未保存的修改。" if dirty else "")

    def _revert_attributes(self) -> None:
        if self.profile is not None and self.attribute_editor is not None:
            self.attribute_editor.load(self.profile.attributes)
            self.attributes_status.setText("")
            self._match_shown()

    def save_attributes(self) -> None:
        """保存服务清单属性 through ``save_elder`` (one transaction); problems beside fields."""
        editor = self.attribute_editor
        if self.profile is None or editor is None:
            return
        if editor.local_problems():
            self.attributes_status.setText("未保存：请先改正标出的字段。")
            return
        profile = replace(self.profile, attributes=editor.merged(self.profile.attributes))
        try:
            saved = self.ctx.workspace.elders.save(profile)
        except InputRejected as exc:
            rest = editor.show_problems(list(exc.problems))
            self.attributes_status.setText(
                "未保存：" + ("；".join(p.message for p in rest) if rest else "请改正标出的字段。"))
            return
        self.profile = saved
        editor.load(saved.attributes)
        self._match_shown()
        self.attributes_status.setText("服务清单属性已保存。")
        self.elder_saved.emit(saved.elder_id)

    def _on_status_changed(self, elder_id: str) -> None:
        self.reload_history()
        self.elder_saved.emit(elder_id)

    def _update_summary(self) -> None:
        profile = self.profile
        assert profile is not None
        self.status_panel.show_profile(profile)
        age = age_on(profile.birth_date, date.today())
        parts = [p for p in (profile.sex, f"{age}岁" if age is not None else None,
                             mask_id(profile.id_number), profile.township, profile.village) if p]
        if profile.transferred_to:
            parts.insert(0, f"已迁出至{profile.transferred_to}")
        grade = profile.attributes.get("capability_grade")
        if isinstance(grade, int):
            parts.append(f"当前等级：{self.ctx.form.grade_name(grade)}")
            assessed = parse_date(profile.attributes.get("capability_assessed_on"))
            if assessed is not None:
                due = due_date(assessed, self.ctx.interval_months())
                parts.append(f"上次评估：{assessed.isoformat()}　复评到期：{due.isoformat()}")
        else:
            parts.append("尚未完成评估")
        count = len(self.ctx.workspace.outbox.conflicts(profile.elder_id))
        if count:
            parts.append(f"本档案有 {count} 项同步冲突（见“同步 → 同步冲突…”）")
        self.summary.setText("　".join(parts))

    def draft(self) -> AssessmentRecord | None:
        """The elder's open draft, if any."""
        return next((r for r in self.history.records if r.status is AssessmentStatus.DRAFT),
                    None)

    def selected(self) -> AssessmentRecord | None:
        """The assessment selected in the history."""
        rows = self.history_view.selectionModel().selectedRows()
        return self.history.record(rows[0].row()) if rows else None

    def _update_buttons(self) -> None:
        selected = self.selected()
        moved = self.profile.transferred_to if self.profile is not None else None
        off = self.profile is not None and self.profile.status != "active"
        self.new_button.setEnabled(not moved and not off)
        self.new_button.setToolTip(
            f"该老人已迁出至{moved}，由{moved}的评估员评估" if moved else
            "该老人已注销或已合并，不能再新建评估" if off else "为该老人新建一份评估")
        self.resume_button.setEnabled(self.draft() is not None and not off)
        self.view_button.setEnabled(selected is not None)
        self.correct_button.setEnabled(
            not moved and not off and selected is not None
            and selected.status is AssessmentStatus.FINALIZED)
        self.correct_button.setToolTip(
            f"该老人已迁出至{moved}，本机不能再更正" if moved
            else "该老人已注销或已合并，不能再更正" if off
            else "新建一份评估取代所选的已完成评估")

    # ---- actions ------------------------------------------------------------------------

    def _ask_reason_dialog(self, reasons: tuple[str, ...], default: str) -> str | None:
        dialog = ReasonDialog(reasons, default, self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        return dialog.reason()

    def start_change_assessment(self) -> None:
        """The proposal's button: a new assessment with A.1.3 即时评估 (状况发生变化)."""
        reasons = self.ctx.form.info_field("A.1.3").option_texts()
        if CHANGE_ASSESSMENT_REASON not in reasons:
            self._show_message([Problem("A.1.3", "option",
                                        f"评估表没有“{CHANGE_ASSESSMENT_REASON}”这一评估原因")])
            return
        self.new_assessment(CHANGE_ASSESSMENT_REASON)

    def new_assessment(self, preset: str | None = None) -> None:
        """新建评估 with an A.1.3 reason (resumes the draft instead when one is open);
        ``preset`` skips asking for the reason."""
        if self.profile is None:
            return
        draft = self.draft()
        if draft is not None:
            self._show_message([Problem("", "draft", "该老人已有未完成的草稿，已为您打开。")])
            self.assessment_opened.emit(draft)
            return
        try:
            check_not_transferred(self.profile.transferred_to)
        except InputRejected as exc:
            self._show_message(list(exc.problems))
            return
        reasons = self.ctx.form.info_field("A.1.3").option_texts()
        has_final = any(r.status is not AssessmentStatus.DRAFT for r in self.history.records)
        default = reasons[1] if has_final and len(reasons) > 1 else reasons[0]
        reason = preset if preset is not None else self.ask_reason(reasons, default)
        if not reason:
            return
        try:
            record = self.ctx.workspace.assessments.start(self.profile.elder_id, reason)
        except InputRejected as exc:
            self._show_message(list(exc.problems))
            return
        self.reload_history()
        self.assessment_opened.emit(record)

    def resume_draft(self) -> None:
        """继续草稿."""
        draft = self.draft()
        if draft is not None:
            self.assessment_opened.emit(self.ctx.workspace.assessments.get(draft.assessment_id))

    def view_selected(self) -> None:
        """查看 the selected assessment (a draft opens for editing)."""
        record = self.selected()
        if record is not None:
            self.assessment_opened.emit(self.ctx.workspace.assessments.get(record.assessment_id))

    def correct_selected(self) -> None:
        """更正: a new draft superseding the selected finalized assessment."""
        record = self.selected()
        if record is None:
            return
        reason = self.ask_correction_reason()
        if reason is None:
            return
        try:
            new = self.ctx.workspace.assessments.correct(record.assessment_id, reason)
        except InputRejected as exc:
            self._show_message(list(exc.problems))
            return
        self.reload_history()
        self.assessment_opened.emit(new)

    def _show_message(self, problems: list[Problem]) -> None:
        self.message.setText("\n".join(p.message for p in problems))
        self.message.setVisible(bool(problems))

    def save_profile(self) -> None:
        """保存基本信息 through the store; problems go beside the fields."""
        if self.profile is None:
            return
        answers: dict[str, Any] = {}
        local: list[Problem] = []
        for widget in self.sections.values():
            answers.update(widget.collect())
            local.extend(widget.local_problems())
        if local:
            for widget in self.sections.values():
                widget.show_problems(local)
            self.save_status.setText("请先改正标出的字段。")
            return
        typed: dict[str, Any] = {}
        for key, attr in PROFILE_FIELDS.items():
            value = answers.pop(key, None)
            if attr == "birth_date" and isinstance(value, str):
                value = date.fromisoformat(value)
            typed[attr] = value
        info = {k: v for k, v in answers.items() if v is not None}
        contact = {name: edit.text().strip() or None for name, edit in self.contact_edits.items()}
        profile = replace(
            self.profile, info=info, name=str(typed["name"] or ""), sex=typed["sex"],
            birth_date=typed["birth_date"], id_number=typed["id_number"],
            township=contact["township"], village=contact["village"],
            address=contact["address"], phone=contact["phone"],
        )
        try:
            saved = self.ctx.workspace.elders.save(profile)
        except InputRejected as exc:
            problems = [self._as_field_problem(p) for p in exc.problems]
            rest = problems
            for widget in self.sections.values():
                rest = widget.show_problems(rest)
            self.contact_problem.setText("\n".join(p.message for p in rest))
            self.contact_problem.setVisible(bool(rest))
            self.save_status.setText("未保存：请改正标出的字段。")
            return
        self.profile = saved
        self._show_profile(saved)
        self.heading.setText(saved.name)
        self.save_status.setText("已保存。")
        self.elder_saved.emit(saved.elder_id)

    @staticmethod
    def _as_field_problem(problem: Problem) -> Problem:
        """Problems named by profile attribute go to their Appendix A field."""
        for key, attr in PROFILE_FIELDS.items():
            if problem.field == attr:
                return Problem(key, problem.code, problem.message)
        return problem

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        """Escape goes back to the roster."""
        if event.key() == Qt.Key.Key_Escape:
            self.back_requested.emit()
            return
        super().keyPressEvent(event)
