"""File choosers that start where assessors keep files: the user's documents folder at first,
then the folder they used last (remembered per data folder, no personal data).

Every file dialog of the client goes through :func:`save_file`, :func:`open_file` or
:func:`choose_folder`; the dialogs themselves are Qt's, in Chinese once
:func:`app.shell.translations.install_translations` has run.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, QStandardPaths
from PySide6.QtWidgets import QFileDialog, QWidget

KEY = "files/last_folder"


class _Memory:
    """Where the last folder is kept: an INI file once :func:`remember_in` was called."""

    settings: QSettings | None = None
    last: Path | None = None


def remember_in(settings_file: Path) -> None:
    """Keep the last used folder in ``settings_file`` (an INI file), reading what it holds."""
    _Memory.settings = QSettings(str(settings_file), QSettings.Format.IniFormat)
    value = _Memory.settings.value(KEY)
    _Memory.last = Path(value) if isinstance(value, str) and value else None


def documents_folder() -> Path:
    """The user's documents folder (the home folder where there is none)."""
    location = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    path = Path(location) if location else Path.home()
    return path if path.is_dir() else Path.home()


def start_folder() -> Path:
    """The folder the next dialog opens in: the last used one if it still exists."""
    last = _Memory.last
    if last is not None and last.is_dir():
        return last
    return documents_folder()


def _used(chosen: Path) -> None:
    folder = chosen if chosen.is_dir() else chosen.parent
    _Memory.last = folder
    if _Memory.settings is not None:
        _Memory.settings.setValue(KEY, str(folder))
        _Memory.settings.sync()


def save_file(parent: QWidget | None, title: str, name: str, kinds: str) -> Path | None:
    """Ask where to save ``name``; None when cancelled."""
    chosen, _ = QFileDialog.getSaveFileName(parent, title, str(start_folder() / name), kinds)
    if not chosen:
        return None
    path = Path(chosen)
    _used(path)
    return path


def open_file(parent: QWidget | None, title: str, kinds: str) -> Path | None:
    """Ask which file to open; None when cancelled."""
    chosen, _ = QFileDialog.getOpenFileName(parent, title, str(start_folder()), kinds)
    if not chosen:
        return None
    path = Path(chosen)
    _used(path)
    return path


def choose_folder(parent: QWidget | None, title: str) -> Path | None:
    """Ask for a folder; None when cancelled."""
    chosen = QFileDialog.getExistingDirectory(parent, title, str(start_folder()))
    if not chosen:
        return None
    path = Path(chosen)
    _used(path)
    return path
