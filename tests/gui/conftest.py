"""GUI tests: offscreen Qt, real widgets, the real encrypted store on a small demo township."""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication

from app.common.context import AppContext
from app.common.gui_gc import GuiThreadCollector
from app.shell.translations import install_translations
from assessment.identity import make_resident_id
from assessment.records import demo
from assessment.records.api import ElderProfile
from assessment.records.workspace import Workspace

# Offscreen, on one 1280×720 screen (a 1920×1080 laptop at 150 %, or 1366×768 with a taskbar),
# so that every window is tested at the size assessors have. Set before pytest-qt makes the
# QApplication (no Qt module above creates one).
SCREEN_CONFIG = Path(__file__).resolve().parent / "screen_1280x720.json"
os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={SCREEN_CONFIG}"

USERNAME = demo.DEMO_ASSESSORS[0]
PASSWORD = demo.DEMO_PASSWORD
DEMO_ELDERS = 40
KNOWN_NAME = "张三丰"
KNOWN_ID = make_resident_id("140421", date(1941, 3, 5), 123, male=True)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The offscreen platform warns that it cannot resize native windows; that is not ours."""
    for item in items:
        if "tests/gui" in str(item.path).replace(os.sep, "/"):
            item.add_marker(pytest.mark.qt_log_ignore("propagateSizeHints"))


@pytest.fixture(scope="session", autouse=True)
def chinese_qt(qapp: QApplication) -> None:
    """Qt's own dialogs in Chinese, as the app loads them at start."""
    install_translations(qapp)


@pytest.fixture(scope="package", autouse=True)
def gui_thread_collector(qapp: QApplication) -> Iterator[GuiThreadCollector]:
    """Cycles collected on the GUI thread only, as the app does at start
    (:mod:`app.common.gui_gc`); automatic collection again after the GUI tests."""
    collector = GuiThreadCollector(qapp)
    yield collector
    collector.stop()
    collector.deleteLater()
    gc.collect()


def build_workspace(data_dir: Path) -> None:
    """The demo generator's township (small), plus one elder with a known name."""
    demo.create_demo_workspace(data_dir, elders=DEMO_ELDERS)
    ws = Workspace.open(data_dir, USERNAME, PASSWORD)
    try:
        ws.elders.create(ElderProfile(
            elder_id="", name=KNOWN_NAME, id_number=KNOWN_ID, sex="男",
            birth_date=date(1941, 3, 5), township="荫城镇", village="东关村", address=None,
            phone=None,
        ))
    finally:
        ws.close()


@pytest.fixture(scope="session")
def template_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One workspace built per session; each test works on its own copy."""
    folder = tmp_path_factory.mktemp("template") / "data"
    build_workspace(folder)
    return folder


@pytest.fixture
def data_dir(template_dir: Path, tmp_path: Path) -> Path:
    """A fresh copy of the test workspace."""
    import shutil

    target = tmp_path / "data"
    shutil.copytree(template_dir, target)
    return target


@pytest.fixture
def workspace(data_dir: Path) -> Iterator[Workspace]:
    """The real store, signed in."""
    ws = Workspace.open(data_dir, USERNAME, PASSWORD)
    yield ws
    ws.close()


@pytest.fixture
def ctx(workspace: Workspace, data_dir: Path) -> AppContext:
    """The signed-in context the windows take."""
    return AppContext.create(workspace, data_dir)
