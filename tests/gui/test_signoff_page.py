"""The sign-off page at 1280×720: Chinese labels (no internal keys), the signed-in assessor
and today's dates filled in, handwritten signatures drawn with the mouse or a pen, stored with
the assessment and printed on the certificate."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QInputDevice, QPointingDevice, QTabletEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLabel
from pytestqt.qtbot import QtBot

from app.common.context import AppContext
from app.entry.entry_page import EntryPage
from app.entry.signature_pad import SignaturePad
from app.shell.main_window import MainWindow
from assessment.documents.sources import certificate_data
from assessment.records.workspace import Workspace
from tests.gui.conftest import KNOWN_ID, USERNAME


def new_draft(qtbot: QtBot, ctx: AppContext) -> EntryPage:
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.resize(1280, 720)
    window.show()
    elder = ctx.workspace.elders.find_by_id_number(KNOWN_ID)
    assert elder is not None
    window.open_elder(elder.elder_id)
    window.elder_page.ask_reason = lambda reasons, default: "首次评估"
    window.elder_page.new_assessment()
    entry = window.entry_page
    entry.form_widget.show_page("sign")
    return entry


def draw(pad: SignaturePad, points: list[tuple[int, int]]) -> None:
    """One stroke with the mouse button held down."""
    QTest.mousePress(pad, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     QPoint(*points[0]))
    for x, y in points[1:]:
        QTest.mouseMove(pad, QPoint(x, y))
    QTest.mouseRelease(pad, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                       QPoint(*points[-1]))


def pen(pad: SignaturePad, points: list[tuple[int, int]]) -> None:
    """One stroke with a pen (tablet events, as a Wacom or a Surface pen sends them)."""
    stylus = QPointingDevice("test pen", 4711, QInputDevice.DeviceType.Stylus,
                             QPointingDevice.PointerType.Pen,
                             QInputDevice.Capability.Position | QInputDevice.Capability.Pressure,
                             1, 2)
    kinds = ([QTabletEvent.Type.TabletPress] + [QTabletEvent.Type.TabletMove] *
             (len(points) - 2) + [QTabletEvent.Type.TabletRelease])
    for kind, (x, y) in zip(kinds, points, strict=True):
        local = QPointF(x, y)
        event = QTabletEvent(kind, stylus, local, QPointF(pad.mapToGlobal(local)), 0.6, 0, 0,
                             0, 0, 0, Qt.KeyboardModifier.NoModifier,
                             Qt.MouseButton.LeftButton,
                             Qt.MouseButton.NoButton if kind == QTabletEvent.Type.TabletRelease
                             else Qt.MouseButton.LeftButton)
        QApplication.sendEvent(pad, event)


def test_labels_defaults_and_signatures(qtbot: QtBot, ctx: AppContext) -> None:
    entry = new_draft(qtbot, ctx)
    signoff = entry.form_widget.signoff
    shown = [label.text() for label in signoff.findChildren(QLabel)]
    assert not any("sign." in text for text in shown), shown
    assert any("评估地点" in text for text in shown)
    first = signoff.rows["sign.assessor_1"].editor.collect()
    assert first == {"sign.assessor_1": USERNAME}  # the signed-in assessor, preselected
    today = date.today().isoformat()
    for key in ("sign.assessor_date", "sign.provider_date"):
        assert signoff.rows[key].editor.collect()[key] == today

    pad = signoff.pads["sign.assessor_1_signature"].pad
    assert pad.isVisible()
    draw(pad, [(20, 60), (60, 30), (100, 70), (140, 35)])
    assert entry.record is not None
    stored = ctx.workspace.assessments.get(entry.record.assessment_id).answers
    signature = stored["sign.assessor_1_signature"]
    assert len(signature["strokes"]) == 1
    assert len(signature["strokes"][0]) == 8  # four points, in the pad's own box
    assert signature["w"] == 600

    provider = signoff.pads["sign.provider_signature"].pad
    pen(provider, [(30, 40), (50, 60), (90, 50)])
    stored = ctx.workspace.assessments.get(entry.record.assessment_id).answers
    assert len(stored["sign.provider_signature"]["strokes"]) == 1  # once, not pen + mouse

    QTest.mouseClick(signoff.pads["sign.provider_signature"].clear_button,
                     Qt.MouseButton.LeftButton)
    stored = ctx.workspace.assessments.get(entry.record.assessment_id).answers
    assert "sign.provider_signature" not in stored


def test_signatures_print_and_lock(qtbot: QtBot, ctx: AppContext) -> None:
    entry = new_draft(qtbot, ctx)
    signoff = entry.form_widget.signoff
    draw(signoff.pads["sign.assessor_2_signature"].pad, [(10, 10), (200, 80)])
    assert entry.record is not None
    answers = dict(ctx.workspace.assessments.get(entry.record.assessment_id).answers)
    for item in ctx.form.items:
        answers[item.key] = max(item.scores)
    answers.update({"A.3.1": "张小三", "A.3.2": "子女", "sign.assessor_2": "pinggu2"})
    entry.open(ctx.workspace.assessments.autosave(entry.record.assessment_id, answers))
    entry.run_review = lambda dialog: dialog.confirm_button.isEnabled()
    entry.finalize()
    record = entry.record
    assert record.status.value == "finalized"
    assert isinstance(ctx.workspace, Workspace)
    data = certificate_data(ctx.workspace, record.assessment_id)
    assert list(data.signatures) == ["sign.assessor_2_signature"]
    pad = signoff.pads["sign.assessor_2_signature"]
    assert pad.pad.strokes  # shown
    assert pad.pad.read_only
    assert not pad.clear_button.isEnabled()
    draw(pad.pad, [(5, 5), (50, 50)])  # a finalized signature cannot change
    assert len(pad.pad.strokes) == 1
