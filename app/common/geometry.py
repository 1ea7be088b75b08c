"""Windows that fit the laptop they run on, and remember where the user put them.

Assessors carry 1366×768 laptops and 1920×1080 ones at 150 % (1280×720 logical pixels, less a
taskbar). A window asks for its preferred size and gets at most the screen's available area;
a remembered geometry is restored only where it still fits the current screen.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QRect, QSettings, QSize
from PySide6.QtGui import QGuiApplication, QScreen
from PySide6.QtWidgets import QWidget

# Before a window is shown its frame is unknown; a Windows title bar and borders are about this.
FRAME_GUESS = QSize(16, 40)
SETTINGS_FILE = "window-state.ini"


def available_area(widget: QWidget) -> QRect:
    """The available geometry (without taskbars) of the screen the widget is on."""
    screen: QScreen | None = widget.screen() or QGuiApplication.primaryScreen()
    if screen is None:  # no screen at all (should not happen): do not limit
        return QRect(0, 0, 1 << 15, 1 << 15)
    return screen.availableGeometry()


def frame_extra(widget: QWidget) -> QSize:
    """What the window frame adds to the client area (a guess before the first show)."""
    frame = widget.frameGeometry().size()
    inner = widget.geometry().size()
    extra = QSize(frame.width() - inner.width(), frame.height() - inner.height())
    if widget.isVisible() and extra.width() >= 0 and extra.height() >= 0:
        return extra
    return FRAME_GUESS


def fit_size(widget: QWidget, preferred: QSize) -> QSize:
    """``preferred``, made small enough for the widget's frame to fit the available area."""
    area = available_area(widget)
    extra = frame_extra(widget)
    return QSize(min(preferred.width(), area.width() - extra.width()),
                 min(preferred.height(), area.height() - extra.height()))


def fit_window(widget: QWidget, preferred: QSize) -> None:
    """Size a top-level window to ``preferred`` or the screen, centred on the available area."""
    size = fit_size(widget, preferred)
    widget.resize(size)
    area = available_area(widget)
    extra = frame_extra(widget)
    widget.move(area.x() + max(0, (area.width() - size.width() - extra.width()) // 2),
                area.y() + max(0, (area.height() - size.height() - extra.height()) // 2))


def keep_inside(widget: QWidget) -> None:
    """Move and shrink a window so that its frame lies inside the available area."""
    area = available_area(widget)
    extra = frame_extra(widget)
    width = min(widget.width(), area.width() - extra.width())
    height = min(widget.height(), area.height() - extra.height())
    if (width, height) != (widget.width(), widget.height()):
        widget.resize(width, height)
    frame = widget.frameGeometry()
    x = min(max(frame.x(), area.x()), area.x() + area.width() - frame.width())
    y = min(max(frame.y(), area.y()), area.y() + area.height() - frame.height())
    if (x, y) != (frame.x(), frame.y()):
        widget.move(max(x, area.x()), max(y, area.y()))


def inside_screen(widget: QWidget) -> bool:
    """Whether the widget (its frame, for a window) lies wholly inside the available area."""
    area = available_area(widget)
    if widget.isWindow():
        rect = widget.frameGeometry()
    else:
        rect = QRect(widget.mapToGlobal(widget.rect().topLeft()), widget.size())
    return area.contains(rect)


class WindowState:
    """Window geometries kept per data folder (an INI file beside the store; no personal data)."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / SETTINGS_FILE
        self._settings = QSettings(str(self.path), QSettings.Format.IniFormat)

    def save(self, name: str, widget: QWidget) -> None:
        """Remember a window's geometry under ``name``."""
        self._settings.setValue(f"{name}/geometry", widget.saveGeometry())
        self._settings.sync()

    def restore(self, name: str, widget: QWidget, preferred: QSize) -> bool:
        """Restore ``name`` into the widget; else fit ``preferred`` to the screen.

        Returns whether a remembered geometry was used; the caller then calls
        :func:`keep_inside` once the window is shown (its frame is known only then).
        """
        value = self._settings.value(f"{name}/geometry")
        if isinstance(value, QByteArray | bytes) and widget.restoreGeometry(QByteArray(value)):
            return True
        fit_window(widget, preferred)
        return False
