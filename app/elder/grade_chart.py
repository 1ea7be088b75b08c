"""A small line chart of final grades over time (painted by hand: no chart module needed).

Grade 0 (能力完好) is at the top, grade 4 at the bottom, as the grades get worse downward.
Superseded assessments are drawn hollow; drafts are not drawn.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from itertools import pairwise

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from assessment.records.api import AssessmentRecord, AssessmentStatus


class GradeChart(QWidget):
    """Final grade per finalized assessment, oldest on the left."""

    def __init__(self, grade_names: Sequence[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._names = list(grade_names)
        self._points: list[tuple[date, int, bool]] = []
        self.setMinimumHeight(150)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        """A short strip."""
        return QSize(360, 170)

    def set_records(self, records: Sequence[AssessmentRecord]) -> None:
        """Plot the finalized and superseded assessments that have a grade."""
        points = [
            (r.reference_date or r.created_at.date(), r.final_grade,
             r.status is AssessmentStatus.SUPERSEDED)
            for r in records
            if r.final_grade is not None and r.status is not AssessmentStatus.DRAFT
        ]
        self._points = sorted(points)
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        """Axes with the grade names, one dot per assessment, a line through current ones."""
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        metrics = painter.fontMetrics()
        levels = len(self._names)
        label_width = max((metrics.horizontalAdvance(self._short(n)) for n in self._names),
                          default=40) + 10
        area = QRectF(label_width, 10, self.width() - label_width - 16, self.height() - 34)
        painter.setPen(QPen(QColor("#c8ccd0")))
        for grade in range(levels):
            y = area.top() + area.height() * grade / max(levels - 1, 1)
            painter.drawLine(QPointF(area.left(), y), QPointF(area.right(), y))
            painter.setPen(QColor("#555555"))
            painter.drawText(QRectF(0, y - 9, label_width - 6, 18),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                             self._short(self._names[grade]))
            painter.setPen(QPen(QColor("#c8ccd0")))
        if not self._points:
            painter.setPen(QColor("#888888"))
            painter.drawText(area, Qt.AlignmentFlag.AlignCenter, "尚无已完成的评估")
            return
        first, last = self._points[0][0], self._points[-1][0]
        span = max((last - first).days, 1)

        def place(day: date, grade: int) -> QPointF:
            x = area.left() + (area.width() * (day - first).days / span
                               if len(self._points) > 1 else area.width() / 2)
            y = area.top() + area.height() * grade / max(levels - 1, 1)
            return QPointF(x, y)

        current = [place(d, g) for d, g, old in self._points if not old]
        painter.setPen(QPen(QColor("#2e6da4"), 2))
        for a, b in pairwise(current):
            painter.drawLine(a, b)
        for day, grade, old in self._points:
            point = place(day, grade)
            painter.setPen(QPen(QColor("#2e6da4"), 2))
            painter.setBrush(QColor("white") if old else QColor("#2e6da4"))
            painter.drawEllipse(point, 4.5, 4.5)
        painter.setPen(QColor("#555555"))
        painter.drawText(QRectF(area.left(), area.bottom() + 6, 120, 18),
                         Qt.AlignmentFlag.AlignLeft, first.isoformat())
        if last != first:
            painter.drawText(QRectF(area.right() - 120, area.bottom() + 6, 120, 18),
                             Qt.AlignmentFlag.AlignRight, last.isoformat())

    @staticmethod
    def _short(name: str) -> str:
        """The grade name before its parenthesis (能力轻度受损), for the axis."""
        return name.split("（", 1)[0]
