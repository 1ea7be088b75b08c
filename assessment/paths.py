"""Where the bundled data lives: the form files and resources.

In a source checkout (and an editable install) they sit beside the packages; in a
PyInstaller build they are unpacked under ``sys._MEIPASS``.
"""

from __future__ import annotations

import sys
from pathlib import Path


def resource_root() -> Path:
    """Return the folder that holds ``forms/`` and ``resources/``."""
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root is not None:
        return Path(frozen_root)
    return Path(__file__).resolve().parent.parent


def forms_dir() -> Path:
    """Return the folder of assessment form files (``forms/``)."""
    return resource_root() / "forms"


def resources_dir() -> Path:
    """Return the folder of other bundled resources (``resources/``)."""
    return resource_root() / "resources"
