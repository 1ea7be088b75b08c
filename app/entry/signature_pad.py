"""A small canvas for a handwritten signature: mouse, touchpad or pen.

Strokes are recorded in the pad's fixed logical box (:data:`PAD_W` × :data:`PAD_H`) whatever
size the widget has on screen, so the stored signature (see
:mod:`assessment.records.signatures`) does not depend on the screen scaling. A pen reaches the
pad through :class:`~PySide6.QtGui.QTabletEvent`; the mouse events Qt synthesises for a pen are
then ignored, so a stroke is never recorded twice. :class:`SignatureEditor` puts a pad and its
清除 button into the sign-off page like any other field editor.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import QPointF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QPolygonF,
    QTabletEvent,
)
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from app.common.fields import FieldEditor
from assessment.forms import InfoField
from assessment.records.signatures import MAX_POINTS, MAX_STROKES, signature_strokes

PAD_W = 600
PAD_H = 200


class SignaturePad(QWidget):
    """The drawing surface; ``stroke_finished`` after each stroke, ``cleared`` on 清除."""

    stroke_finished = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("signaturePad")
        self.setMinimumSize(240, 80)
        self.setAttribute(Qt.WidgetAttribute.WA_StaticContents, True)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setToolTip("用鼠标、触摸板或手写笔在框内签名")
        self.strokes: list[list[tuple[int, int]]] = []
        self._current: list[tuple[int, int]] | None = None
        self._pen_down = False
        self.read_only = False

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        """Three to one, like the stored box."""
        return QSize(360, 120)

    # ---- coordinates --------------------------------------------------------------------

    def _scale(self) -> float:
        return min(self.width() / PAD_W, self.height() / PAD_H) or 1.0

    def _to_pad(self, point: QPointF) -> tuple[int, int]:
        scale = self._scale()
        x = round(point.x() / scale)
        y = round(point.y() / scale)
        return min(max(x, 0), PAD_W), min(max(y, 0), PAD_H)

    def _points(self) -> int:
        return sum(len(s) for s in self.strokes) + len(self._current or ())

    # ---- input --------------------------------------------------------------------------

    def _begin(self, point: QPointF) -> None:
        if self.read_only or len(self.strokes) >= MAX_STROKES or self._points() >= MAX_POINTS:
            return
        self._current = [self._to_pad(point)]
        self.update()

    def _extend(self, point: QPointF) -> None:
        if self._current is None or self._points() >= MAX_POINTS:
            return
        spot = self._to_pad(point)
        if spot != self._current[-1]:
            self._current.append(spot)
            self.update()

    def _end(self) -> None:
        if self._current is None:
            return
        self.strokes.append(self._current)
        self._current = None
        self.update()
        self.stroke_finished.emit()

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        """Start a stroke (mouse or touchpad)."""
        if self._pen_down or event.button() != Qt.MouseButton.LeftButton:
            return
        self._begin(event.position())

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        """Continue the stroke."""
        if not self._pen_down:
            self._extend(event.position())

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        """Finish the stroke."""
        if not self._pen_down and event.button() == Qt.MouseButton.LeftButton:
            self._end()

    def tabletEvent(self, event: QTabletEvent) -> None:  # noqa: N802 - Qt override
        """A pen: its own events, so the synthesised mouse events are ignored."""
        kind = event.type()
        if kind == QTabletEvent.Type.TabletPress:
            self._pen_down = True
            self._begin(event.position())
        elif kind == QTabletEvent.Type.TabletMove and self._pen_down:
            self._extend(event.position())
        elif kind == QTabletEvent.Type.TabletRelease:
            self._pen_down = False
            self._end()
        event.accept()

    # ---- value --------------------------------------------------------------------------

    def value(self) -> dict[str, Any] | None:
        """The stored form (``None`` when nothing was drawn)."""
        if not self.strokes:
            return None
        return {"w": PAD_W, "h": PAD_H,
                "strokes": [[c for point in stroke for c in point] for stroke in self.strokes]}

    def set_value(self, stored: Any) -> None:
        """Show a stored signature (or clear the pad for ``None``/unreadable values)."""
        found = signature_strokes(stored)
        self.strokes = []
        if found is not None:
            width, height, strokes = found
            sx, sy = PAD_W / width, PAD_H / height
            self.strokes = [[(round(x * sx), round(y * sy)) for x, y in stroke]
                            for stroke in strokes]
        self._current = None
        self.update()

    def clear(self) -> None:
        """Remove every stroke."""
        self.strokes = []
        self._current = None
        self.update()

    # ---- drawing ------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        """Frame, base line, strokes."""
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.fillRect(self.rect(), QColor("#ffffff" if not self.read_only else "#f6f8fa"))
        painter.setPen(QPen(QColor("#afb8c1"), 1))
        painter.drawRect(self.rect().adjusted(0, 0, -1, -1))
        scale = self._scale()
        base = int(PAD_H * 0.8 * scale)
        painter.setPen(QPen(QColor("#d0d7de"), 1, Qt.PenStyle.DashLine))
        painter.drawLine(8, base, int(PAD_W * scale) - 8, base)
        painter.setPen(QPen(QColor("#1f2328"), 2.2, Qt.PenStyle.SolidLine,
                            Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin))
        for stroke in [*self.strokes, *([self._current] if self._current else [])]:
            points = [QPointF(x * scale, y * scale) for x, y in stroke]
            if len(points) == 1:
                painter.drawPoint(points[0])
            else:
                painter.drawPolyline(QPolygonF(points))
        painter.end()


class SignatureEditor(FieldEditor):
    """A signature pad with 清除, as a field of the sign-off page (key = the signature key)."""

    def __init__(self, info: InfoField, parent: QWidget | None = None) -> None:
        super().__init__(info, parent)
        self.pad = SignaturePad()
        self.pad.stroke_finished.connect(self._emit)
        self.clear_button = QPushButton("清除")
        self.clear_button.setToolTip("擦掉重签")
        self.clear_button.clicked.connect(self._clear)
        hint = QLabel("不在电脑上签名的，打印后在纸上签字")
        hint.setObjectName("fieldHint")
        side = QVBoxLayout()
        side.addWidget(self.clear_button)
        side.addStretch(1)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.pad, 1)
        row.addLayout(side)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(hint)

    def _clear(self) -> None:
        if self.pad.strokes:
            self.pad.clear()
            self._emit()

    def collect(self) -> dict[str, Any]:
        """The stored signature, or None."""
        return {self.key: self.pad.value()}

    def _load(self, answers: Mapping[str, Any]) -> None:
        self.pad.set_value(answers.get(self.key))

    def set_read_only(self, read_only: bool) -> None:
        """A finalized assessment's signatures are shown, not changed."""
        self.pad.read_only = read_only
        self.clear_button.setEnabled(not read_only)
        self.pad.update()

    def focus_target(self) -> QWidget:
        """The pad."""
        return self.pad
