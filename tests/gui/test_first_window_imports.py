"""The first window loads fast: the sign-in path imports none of the heavy libraries.

Checked in fresh interpreters (``sys.modules`` after the import), since the test process
itself has everything loaded already.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("sqlalchemy", "httpx", "pandas", "numpy", "reportlab", "openpyxl", "sqlcipher3")


def loaded_after(code: str) -> dict[str, list[str]]:
    """Run ``code`` in a fresh interpreter; it sets ``result`` to a dict of module lists."""
    program = (
        "import json, sys\n"
        f"HEAVY = {HEAVY!r}\n"
        "def heavy(names):\n"
        "    return sorted({n.split('.')[0] for n in names} & set(HEAVY))\n"
        f"{code}\n"
        "print(json.dumps(result))\n"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT), QT_QPA_PLATFORM="offscreen")
    out = subprocess.run([sys.executable, "-c", program], env=env, cwd=ROOT,
                         capture_output=True, text=True, check=True, timeout=300)
    loaded: dict[str, list[str]] = json.loads(out.stdout.strip().splitlines()[-1])
    return loaded


@pytest.mark.parametrize("module", ["app.shell.sign_in", "app.shell.main", "app.__main__"])
def test_sign_in_path_imports_no_heavy_library(module: str) -> None:
    # app.__main__ would run the client: import what it imports instead.
    target = "app.shell.main" if module == "app.__main__" else module
    result = loaded_after(f"import {target}\nresult = {{'heavy': heavy(sys.modules)}}")
    assert result["heavy"] == []


def test_heavy_libraries_are_loadable_so_the_check_can_fail() -> None:
    result = loaded_after("import app.shell.main_window\n"
                          "result = {'heavy': heavy(sys.modules)}")
    assert {"sqlalchemy", "httpx", "pandas", "reportlab"} <= set(result["heavy"])


def test_warm_up_leaves_nothing_heavy_for_the_gui_thread() -> None:
    """What :func:`app.shell.store.preload` loads in the background covers the heavy
    libraries behind the main window, so importing the window's Qt modules afterwards (on the
    GUI thread) loads none of them."""
    result = loaded_after(
        "import app.shell.main\n"
        "from app.shell.store import preload\n"
        "preload()\n"
        "before = set(sys.modules)\n"
        "import app.shell.main_window\n"
        "result = {'heavy': heavy(set(sys.modules) - before)}"
    )
    assert result["heavy"] == []
