"""The PyInstaller build: it builds from ``build.spec`` and the built client starts.

Slow (a full PyInstaller run); still part of CI. The built binary is started offscreen with
``--smoke-test`` on an empty data folder: it creates the demo township, shows the sign-in
window, prints ``signin-window-shown`` and exits 0.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_built_client_shows_the_signin_window(tmp_path: Path) -> None:
    from assessment import __version__

    dist = tmp_path / "dist"
    build = subprocess.run(
        [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
         "--distpath", str(dist), "--workpath", str(tmp_path / "build"),
         str(ROOT / "build.spec")],
        cwd=tmp_path, capture_output=True, text=True, timeout=1500, check=False,
    )
    assert build.returncode == 0, build.stdout[-4000:] + build.stderr[-4000:]
    folder = dist / f"yinling-{__version__}"
    binary = folder / ("yinling.exe" if os.name == "nt" else "yinling")
    assert binary.is_file()
    assert (folder / "_internal" / "forms" / "gbt42195-2022.yaml").is_file()
    assert not any(folder.rglob("*QtWebEngine*")), "unused Qt modules must stay out"

    data_dir = tmp_path / "data"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", YINLING_DATA_DIR=str(data_dir))
    run = subprocess.run([str(binary), "--smoke-test"], env=env, capture_output=True,
                         text=True, timeout=300, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "signin-window-shown" in run.stdout.splitlines()
    assert (data_dir / "yinling.db").is_file()  # the demo township was created
