"""Lock after idle time: an application-wide event filter that restarts a timer on input."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QTimer, Signal
from PySide6.QtWidgets import QApplication

_INPUT_EVENTS = frozenset({
    QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress, QEvent.Type.MouseMove,
    QEvent.Type.Wheel, QEvent.Type.TouchBegin,
})


class IdleWatcher(QObject):
    """Emits :attr:`idle` once no key, mouse or touch input came for ``minutes``."""

    idle = Signal()

    def __init__(self, app: QApplication, minutes: int, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._app = app
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.idle)
        self.set_minutes(minutes)
        app.installEventFilter(self)
        self._timer.start()

    def set_minutes(self, minutes: int) -> None:
        """Change the idle time (from the settings)."""
        self.set_interval_ms(max(1, minutes) * 60_000)

    def set_interval_ms(self, interval: int) -> None:
        """Change the idle time in milliseconds (tests use short times)."""
        self._timer.setInterval(interval)
        if self._timer.isActive():
            self._timer.start()

    @property
    def interval_ms(self) -> int:
        """The idle time in milliseconds."""
        return self._timer.interval()

    def stop(self) -> None:
        """Stop watching (while locked or signed out)."""
        self._timer.stop()
        self._app.removeEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        """Any input restarts the timer; nothing is filtered out."""
        if event.type() in _INPUT_EVENTS:
            self._timer.start()
        return False
