"""The 探访关爱 window: the plan of one village, the visit form, referrals, sheets.

Everything is computed by the core's pipelines (:mod:`assessment.usecases.visits`): the
window only shows the plan of the chosen village on the chosen day, opens the visit form for
the selected elder (autosaved as a draft on this laptop while it is being filled in, so a
flat battery loses nothing; saving appends the visit and removes the draft), writes the
printable sheet or the workbook, and closes referrals.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.common.background import BackgroundTask, CancelToken, ProgressFn
from app.visits.form import VisitForm
from app.visits.model import PlanModel
from assessment.eligibility import load_workspace_lists
from assessment.errors import FormFileError, InputRejected
from assessment.records.workspace import Workspace
from assessment.settings import FONT_PATH
from assessment.usecases.visits import (
    VisitPlanResult,
    export_visit_plan,
    visit_measure,
    visit_plan,
)

ALL_VILLAGES = "全部村（社区）"
DRAFT_PREFIX = "local.visit_draft."


def draft_key(elder_id: str) -> str:
    """Where the draft visit of an elder is autosaved (this laptop only, encrypted store)."""
    return f"{DRAFT_PREFIX}{elder_id}"


class VisitDialog(QDialog):
    """The visit form for one elder: autosaved as a draft, appended on 保存 (Ctrl+S)."""

    saved = Signal(object)  # the VisitRecord

    def __init__(self, workspace: Workspace, elder_id: str, name: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.elder_id = elder_id
        self.setWindowTitle(f"记录探访：{name}")
        today = date.today()
        plan = workspace.visits.plan(today)
        lists = load_workspace_lists(workspace.data_dir)
        targets = [("item", i.id, f"{i.id} {i.name}") for v in lists.in_force(today)
                   for i in v.items]
        targets += [("department", d, d) for d in plan.record.departments]
        user = workspace.current_user
        self.form = VisitForm(plan.record, targets, user.display_name, self)
        draft = workspace.settings.get(draft_key(elder_id))
        if isinstance(draft, dict):
            self.form.load(draft)
        self.problem = QLabel()
        self.problem.setObjectName("problemBox")
        self.problem.setWordWrap(True)
        self.problem.hide()
        self.draft_label = QLabel("已恢复未保存的草稿" if isinstance(draft, dict) else "")
        self.draft_label.setObjectName("itemNote")
        buttons = QDialogButtonBox()
        self.save_button = buttons.addButton("保存探访记录（Ctrl+S）",
                                             QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton("稍后继续", QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        save_key = QShortcut(QKeySequence.StandardKey.Save, self)
        save_key.activated.connect(self.save)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.form)
        layout = QVBoxLayout(self)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.problem)
        layout.addWidget(self.draft_label)
        layout.addWidget(buttons)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(600)
        self._timer.timeout.connect(self.autosave)
        self.form.changed.connect(self._timer.start)
        self.resize(760, 640)

    def autosave(self) -> None:
        """Keep the form as a draft on this laptop (never synced)."""
        self._timer.stop()
        self.workspace.settings.set(draft_key(self.elder_id), self.form.entry())
        self.draft_label.setText("草稿已自动保存")

    def save(self) -> None:
        """Validate and append the visit; every problem is shown, nothing is written then."""
        self._timer.stop()
        try:
            record = self.workspace.visits.record(self.elder_id, self.form.entry())
        except InputRejected as exc:
            self.autosave()
            self.problem.setText("无法保存：\n" + "\n".join(p.message for p in exc.problems))
            self.problem.show()
            return
        self.workspace.settings.set(draft_key(self.elder_id), None)
        self.saved.emit(record)
        self.accept()

    def reject(self) -> None:
        """Close, keeping the draft."""
        if self._timer.isActive():
            self.autosave()
        super().reject()


class ReferralsDialog(QDialog):
    """Open referrals, each closed with what was done."""

    changed = Signal()

    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.setWindowTitle("转介办理")
        self.list = QListWidget()
        self.close_button = QPushButton("办结所选转介…")
        self.close_button.clicked.connect(self.close_selected)
        self.problem = QLabel()
        self.problem.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("未办结的转介（按转介日期）"))
        layout.addWidget(self.list, 1)
        layout.addWidget(self.problem)
        layout.addWidget(self.close_button)
        self.ask_outcome = self._ask_outcome
        self.refresh()
        self.resize(640, 400)

    def refresh(self) -> None:
        """Read the open referrals again."""
        self.list.clear()
        names = {}
        for ref in self.workspace.visits.referrals(status="open"):
            if ref.elder_id not in names:
                names[ref.elder_id] = self.workspace.elders.get(ref.elder_id).name
            item = QListWidgetItem(f"{ref.opened_on}　{names[ref.elder_id]}　→ {ref.target}"
                                   f"{'：' + ref.note if ref.note else ''}")
            item.setData(Qt.ItemDataRole.UserRole, ref.referral_id)
            self.list.addItem(item)
        self.close_button.setEnabled(self.list.count() > 0)

    def _ask_outcome(self) -> str | None:
        text, ok = QInputDialog.getText(self, "办结转介", "办理结果：")
        return text if ok else None

    def close_selected(self) -> None:
        """Close the selected referral with the outcome asked for."""
        item = self.list.currentItem()
        if item is None:
            return
        outcome = self.ask_outcome()
        if outcome is None:
            return
        try:
            self.workspace.visits.close_referral(item.data(Qt.ItemDataRole.UserRole), outcome)
        except InputRejected as exc:
            self.problem.setText("；".join(p.message for p in exc.problems))
            return
        self.problem.clear()
        self.refresh()
        self.changed.emit()


class VisitsWindow(QWidget):
    """The plan of a village on a day, and what can be done from it; ``changed`` says a visit
    was recorded or a referral closed (the elder page shows both)."""

    changed = Signal()

    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.workspace = workspace
        self.setWindowTitle("探访关爱")
        self.result: VisitPlanResult | None = None
        self.task: BackgroundTask | None = None
        self.dialog: VisitDialog | None = None
        self.referrals_dialog: ReferralsDialog | None = None
        self.village = QComboBox()
        self.village.addItem(ALL_VILLAGES, None)
        for name in workspace.elders.villages():
            self.village.addItem(name, name)
        self.as_of = QDateEdit(QDate.currentDate())
        self.as_of.setCalendarPopup(True)
        self.as_of.setDisplayFormat("yyyy-MM-dd")
        self.summary = QLabel()
        self.summary.setObjectName("eligibilitySummary")
        self.summary.setWordWrap(True)
        self.rate = QLabel()
        self.rate.setWordWrap(True)
        self.model = PlanModel(self)
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.verticalHeader().setVisible(False)
        self.view.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents)
        self.view.horizontalHeader().setStretchLastSection(True)
        self.view.doubleClicked.connect(lambda _index: self.record_selected())
        enter = QShortcut(QKeySequence(Qt.Key.Key_Return), self.view)
        enter.setContext(Qt.ShortcutContext.WidgetShortcut)
        enter.activated.connect(self.record_selected)
        self.record_button = QPushButton("记录探访（回车）")
        self.record_button.clicked.connect(self.record_selected)
        self.pdf_button = QPushButton("打印探访表（PDF）…")
        self.pdf_button.clicked.connect(lambda: self.export(".pdf"))
        self.xlsx_button = QPushButton("导出 Excel…")
        self.xlsx_button.clicked.connect(lambda: self.export(".xlsx"))
        self.referrals_button = QPushButton("转介办理…")
        self.referrals_button.clicked.connect(self.open_referrals)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.ask_path = self._ask_path
        top = QHBoxLayout()
        top.addWidget(QLabel("村（社区）"))
        top.addWidget(self.village)
        top.addWidget(QLabel("日期"))
        top.addWidget(self.as_of)
        top.addStretch(1)
        buttons = QHBoxLayout()
        for button in (self.record_button, self.pdf_button, self.xlsx_button,
                       self.referrals_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.summary)
        layout.addWidget(self.rate)
        layout.addWidget(self.view, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.message)
        self.village.currentIndexChanged.connect(lambda _i: self.refresh())
        self.as_of.dateChanged.connect(lambda _d: self.refresh())
        self.resize(1240, 700)

    def day(self) -> date:
        """The day shown."""
        value = self.as_of.date()
        return date(value.year(), value.month(), value.day())

    def refresh(self) -> BackgroundTask:
        """Compute the plan and the month's rate again, off the GUI thread (the core's
        pipelines); the table shows them when done."""
        if self.task is not None and self.task.running:
            self.task.cancel()
        workspace, day, village = self.workspace, self.day(), self.village.currentData()

        def job(progress: ProgressFn, token: CancelToken) -> tuple[VisitPlanResult, Any]:
            progress(0, 2, "计算探访计划")
            result = visit_plan(workspace, day, village=village)
            token.check()
            progress(1, 2, "计算月探访率")
            return result, visit_measure(workspace, day.strftime("%Y-%m"), today=day)

        task = BackgroundTask(job, self)
        # A newer refresh supersedes this one: only the latest task's result is shown.
        task.succeeded.connect(lambda found: self._show(*found) if task is self.task else None)
        task.failed.connect(self._failed)
        self.task = task
        self.message.setText("正在计算探访计划…")
        task.start()
        return task

    def _failed(self, error: object) -> None:
        if isinstance(error, FormFileError):
            self.message.setText(f"探访计划文件有误：{error}")
        else:
            self.message.setText(f"无法计算探访计划：{error}")

    def _show(self, result: VisitPlanResult, rate: Any) -> None:
        self.message.clear()
        self.result = result
        self.model.set_rows(result.rows)
        counts = result.counts()
        self.summary.setText(
            f"{result.plan.title}（{result.plan.ref}）　应探访 {len(result.rows)} 人："
            f"本期已探访 {counts['done']}，待探访 {counts['due']}，逾期 {counts['overdue']}，"
            f"从未探访 {counts['never']}")
        total = rate.iloc[-1]
        value = total["月探访率（%）"]
        shown = "—" if value is None or value != value else f"{float(value):.1f}%"
        self.rate.setText(
            f"{self.day():%Y-%m} 全乡镇月探访率 {shown}（目标 {result.plan.target_rate}%；"
            f"已探访 {int(total['本月已探访人数'])} / {int(total['应探访人数'])} 人）；"
            f"转介未办结 {int(total['转介未办结'])}，已办结 {int(total['转介已办结'])}")
        # Who was to be visited in a past month: status, grade and plan as of then, the
        # attributes as recorded now (their history is not kept); said on screen.
        past = self.day().strftime("%Y-%m") < date.today().strftime("%Y-%m")
        basis = str(rate.attrs.get("basis", ""))
        self.rate.setToolTip(basis)
        if past:
            self.rate.setText(self.rate.text() + "\n过去月份：在册状态和能力等级按该月末计算，"
                              "居住情况等属性按当前记录计算（未保存历史）")
        if result.rows:
            self.view.selectRow(0)

    def record_selected(self) -> VisitDialog | None:
        """Open the visit form for the selected elder."""
        rows = self.view.selectionModel().selectedRows()
        if not rows:
            self.message.setText("请先在列表中选择一位老人")
            return None
        row = self.model.row(rows[0].row())
        dialog = VisitDialog(self.workspace, row.elder_id, row.name, self)
        dialog.saved.connect(lambda _record: self.refresh())
        dialog.saved.connect(lambda _record: self.changed.emit())
        self.dialog = dialog
        dialog.setModal(True)
        dialog.show()
        return dialog

    def _ask_path(self, suffix: str) -> Path | None:
        kind = "PDF 文件 (*.pdf)" if suffix == ".pdf" else "Excel 工作簿 (*.xlsx)"
        name, _ = QFileDialog.getSaveFileName(self, "保存探访表", f"探访表{suffix}", kind)
        return Path(name) if name else None

    def export(self, suffix: str) -> Path | None:
        """Write the shown plan as the printable sheet (PDF) or a workbook."""
        if self.result is None:
            self.message.setText("探访计划尚未计算完成，请稍候")
            return None
        path = self.ask_path(suffix)
        if path is None:
            return None
        if path.suffix.lower() != suffix:
            path = path.with_suffix(suffix)
        try:
            export_visit_plan(self.result, path,
                              font_path=self.workspace.settings.get(FONT_PATH.key))
        except OSError as exc:
            self.message.setText(f"无法写入 {path}：{exc.strerror}")
            return None
        self.message.setText(f"已保存：{path}")
        return path

    def open_referrals(self) -> ReferralsDialog:
        """转介办理."""
        dialog = ReferralsDialog(self.workspace, self)
        dialog.changed.connect(self.refresh)
        dialog.changed.connect(self.changed)
        self.referrals_dialog = dialog
        dialog.show()
        return dialog
