"""安装服务清单: administrators only; a bad file is refused naming file, item and reason; a
good one is installed next to the old versions and the elder page matches with it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from pytestqt.qtbot import QtBot

from app.common.context import AppContext
from app.lists.install import ListsDialog, lists_dir
from app.shell.main_window import MainWindow
from assessment.eligibility.registry import bundled_lists_dir
from assessment.records import demo
from assessment.records.api import RegisterFilter
from assessment.records.workspace import Workspace


@pytest.fixture
def admin_ctx(data_dir: Path) -> Iterator[AppContext]:
    """The demo's administrator (role supervisor), signed in."""
    ws = Workspace.open(data_dir, demo.DEMO_SUPERVISOR, demo.DEMO_PASSWORD)
    yield AppContext.create(ws, data_dir)
    ws.close()


def list_file(tmp_path: Path, name: str, *, version: str, rule_n02: str) -> Path:
    data = yaml.safe_load((bundled_lists_dir() / "shanxi-provisional.yaml")
                          .read_text(encoding="utf-8"))
    data["version"] = version
    data["title"] = "山西省基本养老服务清单（测试版）"
    data["provisional"] = False
    for item in data["items"]:
        if item["id"] == "N02":
            item["rule"] = rule_n02
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def test_install_refuses_a_bad_file_and_accepts_a_good_one(
        qtbot: QtBot, admin_ctx: AppContext, tmp_path: Path) -> None:
    window = MainWindow(admin_ctx)
    qtbot.addWidget(window)
    menu = window.lists_menu
    assert menu.install.isEnabled()
    row = admin_ctx.workspace.elders.page(RegisterFilter(), 0, 1)[0]
    window.open_elder(row.elder_id)
    page = window.elder_page
    before = page.eligibility.result
    assert before is not None
    assert before.list == "shanxi-provisional@2026.12"

    dialog = menu.open_lists(install=False)
    versions = dialog.model.rowCount()
    bad = list_file(tmp_path, "bad.yaml", version="2099.1", rule_n02="agee >= 80")
    dialog.ask_path = lambda: bad
    dialog.choose_and_install()
    assert not dialog.problem.isHidden()
    text = dialog.problem.text()
    assert "bad.yaml" in text
    assert "N02" in text
    assert "原因" in text
    assert dialog.model.rowCount() == versions
    assert not any(lists_dir(admin_ctx.data_dir).glob("*.yaml"))
    dialog.grab().save("/tmp/elig/test_lists_bad.png")

    good = list_file(tmp_path, "good.yaml", version="2099.1", rule_n02="age >= 75")
    installed = dialog.install(good)
    assert installed is not None
    assert installed.ref == "shanxi-provisional@2099.1"
    assert dialog.problem.isHidden()
    assert dialog.model.rowCount() == versions + 1
    assert "已安装" in dialog.installed_label.text()
    assert (lists_dir(admin_ctx.data_dir) / "shanxi-provisional@2099.1.yaml").is_file()
    dialog.grab().save("/tmp/elig/test_lists_good.png")
    # The old version stays; today the new one is in force and the page uses it at once.
    refs = {dialog.model.version(r).ref for r in range(dialog.model.rowCount())}
    assert "shanxi-provisional@2026.12" in refs
    after = page.eligibility.result
    assert after is not None
    assert after.list == "shanxi-provisional@2099.1"
    assert "暂行" not in page.eligibility.lists_label.text().split("；")[1]


def test_assessors_cannot_install(qtbot: QtBot, ctx: AppContext) -> None:
    assert ctx.workspace.current_user.role != "supervisor"
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    assert not window.lists_menu.install.isEnabled()
    dialog = ListsDialog(ctx.data_dir, ctx.workspace.current_user.role)
    qtbot.addWidget(dialog)
    assert not dialog.install_button.isEnabled()
    assert dialog.model.rowCount() >= 3  # versions are still shown
