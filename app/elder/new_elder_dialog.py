"""新建老人: register an elder with name, resident ID number, village, phone and address.

The ID number is checked as it is typed (:func:`assessment.identity.parse_resident_id`): birth
date and sex are derived and shown. The village is required, and a person under 60 is
registered only with a reason, which goes to the audit trail
(:func:`assessment.records.profiles.registration_checks`). The store decides
(``workspace.elders.create``); its refusals (bad or duplicate ID number, malformed phone …) are
shown beside the fields.
"""

from __future__ import annotations

from datetime import date

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from assessment.errors import InputRejected, Problem
from assessment.identity import parse_resident_id
from assessment.records.api import ElderProfile
from assessment.records.profiles import age_on, mask_id, registration_checks
from assessment.records.workspace import Workspace
from assessment.registry.duplicates import SAME_NUMBER
from assessment.settings import TOWNSHIP

# Store problem fields → the dialog's field names.
FIELD_OF_PROBLEM = {"A.2.1": "name", "A.2.8": "id_number", "A.2.2": "id_number",
                    "A.2.3": "id_number", "phone": "phone", "village": "village",
                    "under_60_reason": "id_number"}
UNDER_60_ACTION = "register_under_60"
"""The audit action that keeps why a person under 60 was registered."""
FIELDS = (("name", "姓名"), ("id_number", "公民身份号码"), ("township", "乡镇（街道）"),
          ("village", "村（社区）"), ("phone", "电话"), ("address", "详细地址"))


class NewElderDialog(QDialog):
    """The dialog; after ``accept`` :attr:`created` holds the stored profile."""

    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("新建老人")
        self.setMinimumWidth(520)
        self.workspace = workspace
        self.created: ElderProfile | None = None
        self.confirmed: tuple[str | None, ...] | None = None
        self.edits: dict[str, QLineEdit] = {}
        self.problems: dict[str, QLabel] = {}
        grid = QGridLayout()
        grid.setColumnStretch(1, 1)
        row = 0
        for name, label in FIELDS:
            if name == "village":
                combo = QComboBox()
                combo.setEditable(True)
                combo.addItems(list(workspace.elders.villages()))
                combo.setCurrentIndex(-1)
                line = combo.lineEdit()
                assert line is not None
                edit = line
                editor: QWidget = combo
            else:
                edit = QLineEdit()
                editor = edit
            edit.setObjectName(f"new-{name}")
            self.edits[name] = edit
            grid.addWidget(QLabel(label), row, 0)
            grid.addWidget(editor, row, 1)
            row += 1
            if name == "id_number":
                self.derived = QLabel("出生日期和性别将由号码自动得出。")
                self.derived.setObjectName("fieldHint")
                grid.addWidget(self.derived, row, 1)
                row += 1
                self.young = QLabel()
                self.young.setObjectName("warningBox")
                self.young.setWordWrap(True)
                self.young.hide()
                grid.addWidget(self.young, row, 1)
                row += 1
                self.reason_label = QLabel("建档原因")
                self.reason = QLineEdit()
                self.reason.setObjectName("new-under-60-reason")
                self.reason.setPlaceholderText("未满 60 周岁仍建档的原因（将记入审计日志）")
                self.reason_label.hide()
                self.reason.hide()
                grid.addWidget(self.reason_label, row, 0)
                grid.addWidget(self.reason, row, 1)
                row += 1
            problem = QLabel()
            problem.setObjectName("fieldProblem")
            problem.setWordWrap(True)
            problem.hide()
            self.problems[name] = problem
            grid.addWidget(problem, row, 1)
            row += 1
        self.edits["name"].setPlaceholderText("必填")
        self.edits["village"].setPlaceholderText("必填")
        self.edits["id_number"].setPlaceholderText("18 位，末位可为 X")
        self.edits["id_number"].setMaxLength(18)
        self.edits["phone"].setPlaceholderText("手机 11 位，或带区号的座机")
        township = workspace.settings.get(TOWNSHIP.key)
        if isinstance(township, str):
            self.edits["township"].setText(township)
        self.edits["id_number"].textChanged.connect(self._on_id_changed)
        self.general = QLabel()
        self.general.setObjectName("problemBox")
        self.general.setWordWrap(True)
        self.general.hide()
        box = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                               | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = box.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("建档")
        box.button(QDialogButtonBox.StandardButton.Cancel).setText("取消")
        box.accepted.connect(self.submit)
        box.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(grid)
        layout.addWidget(self.general)
        layout.addWidget(box)

    def _show_candidates(self, profile: ElderProfile) -> bool:
        """Show registered elders who may be this person, once per entered identity; True
        when shown (the next 建档 saves anyway)."""
        key = (profile.name, profile.id_number, profile.township)
        if key == self.confirmed:
            return False
        # The very same number is the store's refusal, shown beside the field instead.
        found = [c for c in self.workspace.registry.duplicate_candidates(profile)
                 if c.reason != SAME_NUMBER]
        if not found:
            return False
        self.confirmed = key
        lines = ["以下已登记的老人可能是同一人，请核对后再建档"
                 "（确认不是同一人请再次点击“仍然建档”）："]
        for candidate in found:
            birth = candidate.birth_date.isoformat() if candidate.birth_date else "出生日期不详"
            lines.append(f"· {candidate.name}（{mask_id(candidate.id_number) or '无号码'}，"
                         f"{birth}，{candidate.township or ''}{candidate.village or ''}）："
                         f"{candidate.reason_text()}")
        self.general.setText("\n".join(lines))
        self.general.show()
        self.ok_button.setText("仍然建档")
        return True

    def _on_id_changed(self, text: str) -> None:
        text = text.strip()
        self._show("id_number", None)
        self._show_young(None)
        if len(text) < 18:
            self.derived.setText("出生日期和性别将由号码自动得出。")
            return
        parsed = parse_resident_id(text)
        if isinstance(parsed, Problem):
            self.derived.setText("")
            self._show("id_number", parsed.message)
            return
        age = age_on(parsed.birth_date, date.today())
        self.derived.setText(f"出生日期 {parsed.birth_date.isoformat()}　性别 {parsed.sex}"
                             f"　{age} 周岁")
        _problems, warnings = registration_checks(
            ElderProfile(elder_id="", name="", id_number=text, sex=None, birth_date=None,
                         township=None, village="-", address=None, phone=None), date.today())
        self._show_young(warnings[0].message if warnings else None)

    def _show_young(self, message: str | None) -> None:
        """The under-60 warning and the reason field it asks for."""
        self.young.setText(message or "")
        for widget in (self.young, self.reason_label, self.reason):
            widget.setVisible(bool(message))

    def _show(self, name: str, message: str | None) -> None:
        self.problems[name].setText(message or "")
        self.problems[name].setVisible(bool(message))

    def _text(self, name: str) -> str | None:
        return self.edits[name].text().strip() or None

    def submit(self) -> None:
        """建档 through the store; refusals beside the fields, nothing stored."""
        for name in self.problems:
            self._show(name, None)
        self.general.hide()
        profile = ElderProfile(
            elder_id="", name=self._text("name") or "", id_number=self._text("id_number"),
            sex=None, birth_date=None, township=self._text("township"),
            village=self._text("village"), address=self._text("address"),
            phone=self._text("phone"))
        problems, warnings = registration_checks(profile, date.today())
        if profile.id_number is None:
            problems.append(Problem("A.2.8", "missing", "请填写公民身份号码"))
        reason = self.reason.text().strip()
        if warnings and not reason:
            problems.append(Problem("under_60_reason", "missing",
                                    f"{warnings[0].message}（填在“建档原因”）"))
        if not problems and self._show_candidates(profile):
            return
        try:
            if problems:
                raise InputRejected(problems)
            self.created = self.workspace.elders.create(profile)
            if warnings:
                age = age_on(self.created.birth_date, date.today())
                self.workspace.audit.log("elder", self.created.elder_id, UNDER_60_ACTION,
                                          {"age": age, "reason": reason})
        except InputRejected as exc:
            rest: list[Problem] = []
            for problem in exc.problems:
                target = FIELD_OF_PROBLEM.get(problem.field)
                if target is None:
                    rest.append(problem)
                elif self.problems[target].isHidden():
                    self._show(target, problem.message)
                else:
                    self._show(target, f"{self.problems[target].text()}\n{problem.message}")
            self.general.setText("\n".join(p.message for p in rest))
            self.general.setVisible(bool(rest))
            return
        self.accept()
