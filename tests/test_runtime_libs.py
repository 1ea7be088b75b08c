"""The desktop client can open a real window: every library Qt's X11 (xcb) platform plugin
links against is present, and each one comes from a package the app command installs.

The test suite runs Qt offscreen, so without this check a machine could pass every test and
still fail ``python3 tools/run.py app`` with "Could not load the Qt platform plugin xcb".
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import PySide6
import pytest

ROOT = Path(__file__).resolve().parent.parent
_SPEC = importlib.util.spec_from_file_location("yinling_run", ROOT / "tools" / "run.py")
assert _SPEC is not None
assert _SPEC.loader is not None
run = importlib.util.module_from_spec(_SPEC)  # the two commands' own script, not a package
_SPEC.loader.exec_module(run)

PLUGIN = Path(PySide6.__file__).parent / "Qt" / "plugins" / "platforms" / "libqxcb.so"


@pytest.mark.skipif(not sys.platform.startswith("linux") or shutil.which("ldd") is None,
                    reason="ldd and the xcb plugin are Linux things")
def test_the_xcb_plugin_finds_every_library() -> None:
    linked = subprocess.run(["ldd", str(PLUGIN)], capture_output=True, text=True,
                            check=True).stdout
    missing = [line.split()[0] for line in linked.splitlines() if "not found" in line]
    assert missing == []
    probes = {Path(probe).name for _, probe, _ in run.RUNTIME_DEBS if probe.startswith("/")}
    xcb = {line.split()[0] for line in linked.splitlines() if line.strip().startswith("libxcb")}
    assert xcb <= probes | {"libxcb.so.1", "libxcb-render.so.0", "libxcb-util.so.1"}
