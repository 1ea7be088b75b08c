"""The client fits the laptops assessors carry: 1280×720 logical pixels, at 100 %, 125 % and
150 % scaling; it remembers its geometry (also across lock and unlock); long things scroll
instead of clipping; the result panel folds below the form on a narrow window; banners do not
make the window grow."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QRect
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.common.context import AppContext
from app.common.geometry import available_area, inside_screen
from app.shell.main import AppController
from app.shell.main_window import MainWindow
from app.shell.store import opener_for
from assessment.records.api import RegisterFilter
from tests.gui.conftest import PASSWORD, USERNAME
from tests.gui.fit_probe import clipped_labels, walk

ROOT = Path(__file__).resolve().parents[2]


def signed_in(qtbot: QtBot, data_dir: Path) -> AppController:
    """The real controller, signed in through the sign-in window."""
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    controller = AppController(app, data_dir, opener_for(data_dir))
    controller.start()
    qtbot.addWidget(controller.signin)
    controller.signin.username.setText(USERNAME)
    controller.signin.password.setText(PASSWORD)
    controller.signin.submit()
    assert controller.window is not None
    return controller


def test_the_test_screen_is_a_1280x720_laptop(qtbot: QtBot, ctx: AppContext) -> None:
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    assert available_area(window) == QRect(0, 0, 1280, 720)


def test_signed_in_window_and_every_page_stay_inside_1280x720(
        qtbot: QtBot, data_dir: Path) -> None:
    controller = signed_in(qtbot, data_dir)
    window = controller.window
    assert window is not None
    qtbot.waitUntil(window.isVisible)
    assert window.width() < 1360  # not the old fixed 1360×860
    assert walk(window) == []
    controller.dispose()


def test_geometry_is_remembered_across_lock_and_sign_in(qtbot: QtBot, data_dir: Path) -> None:
    controller = signed_in(qtbot, data_dir)
    window = controller.window
    assert window is not None
    QApplication.processEvents()  # the first fit to the screen, after the first show
    window.resize(1000, 600)
    window.move(60, 40)
    QApplication.processEvents()
    chosen = window.geometry()
    controller.lock()
    assert controller.window is None
    controller.signin.password.setText(PASSWORD)
    controller.signin.submit()
    unlocked = controller.window
    assert unlocked is not None
    unlocked.show()
    QApplication.processEvents()
    assert unlocked.geometry() == chosen
    controller.sign_out()
    controller.signin.username.setText(USERNAME)
    controller.signin.password.setText(PASSWORD)
    controller.signin.submit()
    again = controller.window
    assert again is not None
    QApplication.processEvents()
    assert again.geometry() == chosen
    controller.dispose()


def test_a_remembered_geometry_larger_than_the_screen_is_brought_inside(
        qtbot: QtBot, ctx: AppContext) -> None:
    first = MainWindow(ctx)
    qtbot.addWidget(first)
    first.show()
    first.setGeometry(200, 150, 1900, 1000)  # from a bigger monitor
    first.save_geometry()
    second = MainWindow(ctx)
    qtbot.addWidget(second)
    second.show()
    qtbot.waitUntil(lambda: inside_screen(second))
    assert second.width() <= 1280


def shown(qtbot: QtBot, window: MainWindow) -> MainWindow:
    """Show a window and let its first fit to the screen (deferred after showing) run."""
    qtbot.addWidget(window)
    window.show()
    QApplication.processEvents()
    return window


def _open_entry(window: MainWindow) -> None:
    elder = window.ctx.workspace.elders.page(RegisterFilter(), 0, 1)[0]
    window.open_elder(elder.elder_id)
    window.elder_page.ask_reason = lambda reasons, default: default or reasons[0]
    window.elder_page.new_assessment()


def test_result_panel_scrolls_instead_of_clipping_on_a_low_window(
        qtbot: QtBot, ctx: AppContext) -> None:
    window = shown(qtbot, MainWindow(ctx))
    _open_entry(window)
    for height in (700, 640, 600):
        window.resize(1276, height)
        QApplication.processEvents()
        panel = window.entry_page.panel
        assert clipped_labels(panel.details, "结果栏") == []
        assert window.height() == height
        assert panel.finalize_button.isVisible()
        button = panel.finalize_button
        bottom = button.mapTo(window, button.rect().bottomLeft()).y()
        assert bottom <= window.height()


def test_narrow_window_folds_the_result_below_the_form(qtbot: QtBot, ctx: AppContext) -> None:
    window = shown(qtbot, MainWindow(ctx))
    _open_entry(window)
    entry = window.entry_page
    window.resize(900, 620)
    QApplication.processEvents()
    assert entry.narrow
    panel = entry.panel
    assert panel.folded
    assert panel.summary.isVisible()
    assert not panel.details_scroll.isVisible()
    form_box = entry.form_widget.geometry()
    assert panel.geometry().top() >= form_box.bottom()  # below, not beside
    assert "已评定 0/26 项" in panel.summary.text()
    panel.fold_button.click()
    assert not panel.folded
    assert panel.details_scroll.isVisible()
    window.resize(1276, 690)
    QApplication.processEvents()
    assert not entry.narrow
    assert not panel.folded
    assert not panel.fold_button.isVisible()
    assert panel.geometry().left() >= entry.form_widget.geometry().right()


def test_a_long_banner_does_not_make_the_window_grow(qtbot: QtBot, ctx: AppContext) -> None:
    window = shown(qtbot, MainWindow(ctx))
    window.resize(1276, 690)
    _open_entry(window)
    QApplication.processEvents()
    before = window.size()
    entry = window.entry_page
    entry.banner.setText("这是一段很长的提示。" * 60)
    entry.banner.show()
    QApplication.processEvents()
    assert window.size() == before
    assert inside_screen(window)


@pytest.mark.parametrize(("scale", "width", "height"), [("1.25", 1600, 900),
                                                        ("1.5", 1920, 1080)])
def test_every_page_fits_at_125_and_150_percent(
        data_dir: Path, tmp_path: Path, scale: str, width: int, height: int) -> None:
    config = tmp_path / "screen.json"
    config.write_text(json.dumps({"screens": [{
        "name": "laptop", "x": 0, "y": 0, "width": width, "height": height,
        "logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1}]}), encoding="utf-8")
    env = dict(os.environ, QT_QPA_PLATFORM=f"offscreen:configfile={config}",
               QT_SCALE_FACTOR=scale, PYTHONPATH=str(ROOT))
    done = subprocess.run(
        [sys.executable, "-m", "tests.gui.fit_probe", str(data_dir), USERNAME, PASSWORD],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["screen"] == [0, 0, 1280, 720]  # logical pixels at that scale
    assert report["scale"] == pytest.approx(float(scale))
    assert report["problems"] == []
