#!/usr/bin/env python3
"""Render the desktop client's main screens offscreen, with demo data, to PNG files.

    python tools/screens.py OUT_DIR [--elders N]

Writes ``signin.png``, ``roster.png``, ``elder.png``, ``lists.png`` (the service-list tab),
``entry.png`` and ``result.png`` (the finalized assessment with its grade) for the README, on a
1280×720 screen. A fresh demo township is generated in a
temporary folder, so nothing on this machine is touched.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget

from app.common.context import AppContext
from app.shell.main import configure
from app.shell.main_window import MainWindow
from app.shell.sign_in import SignInWindow
from app.shell.store import demo_hint, ensure_demo, opener_for
from assessment.records import demo
from assessment.records.api import AssessmentStatus, RegisterFilter

# Worked example E22 of the spec (73 points, 痴呆 raises the grade by one).
EXAMPLE = [4, 4, 2, 4, 3, 3, 4, 3, 4, 3, 3, 1, 4, 3, 4, 3, 4, 4, 1, 1, 2, 1, 1, 3, 1, 3]


# One 1280×720 screen (a 1920×1080 laptop at 150 %, or 1366×768 with a taskbar): the windows
# size themselves to it as on an assessor's laptop.
SCREEN = {"screens": [{"name": "laptop", "x": 0, "y": 0, "width": 1280, "height": 720,
                       "logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1}]}


def use_laptop_screen() -> None:
    """Before the QApplication exists: the offscreen platform gets one 1280×720 screen."""
    if os.environ.get("QT_QPA_PLATFORM") != "offscreen":
        return  # a real display, or a platform chosen by the caller
    config = Path(tempfile.gettempdir()) / "yinling-screen-1280x720.json"
    config.write_text(json.dumps(SCREEN), encoding="utf-8")
    os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={config}"


def settle(app: QApplication) -> None:
    """Let layouts and style sheets settle before grabbing."""
    for _ in range(5):  # deferred roster pages are read after a short rest
        app.processEvents()
        time.sleep(0.03)


def save(app: QApplication, widget: QWidget, path: Path) -> None:
    """Grab a widget to a PNG."""
    settle(app)
    if not widget.grab().save(str(path)):
        raise OSError(f"cannot write {path}")
    print(path)


def render(out: Path, elders: int) -> None:
    """Generate demo data and write every screen to ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    configure(app)
    with tempfile.TemporaryDirectory(prefix="yinling-screens-") as tmp:
        data_dir = Path(tmp) / "data"
        ensure_demo(data_dir, elders=elders)
        opener = opener_for(data_dir)
        signin = SignInWindow(opener, hint=demo_hint(data_dir))
        signin.resize(560, 520)
        signin.show()
        signin.username.setText(demo.DEMO_ASSESSORS[0])
        save(app, signin, out / "signin.png")
        workspace = opener(demo.DEMO_ASSESSORS[0], demo.DEMO_PASSWORD)
        signin.close()
        try:
            window = MainWindow(AppContext.create(workspace, data_dir))
            window.show()
            settle(app)  # the window fits itself to the screen once shown
            window.register.search.setText("wang")
            window.register.apply_filter()
            window.register.table.selectRow(0)
            save(app, window, out / "roster.png")
            elder = next(
                row for row in workspace.elders.page(RegisterFilter(grade=1), 0, 50)
                if sum(r.status is not AssessmentStatus.DRAFT
                       for r in workspace.assessments.for_elder(row.elder_id)) >= 2
            )
            window.open_elder(elder.elder_id)
            save(app, window, out / "elder.png")
            page = window.elder_page
            page.tabs.setCurrentIndex(2)  # 服务清单
            save(app, window, out / "lists.png")
            page.tabs.setCurrentIndex(0)
            page.ask_reason = lambda reasons, default: "常规评估"
            page.new_assessment()
            entry = window.entry_page
            form = entry.form_widget
            for item, score in zip(window.ctx.form.items, EXAMPLE, strict=True):
                if item.key.startswith(("B.1", "B.2", "B.3.1", "B.3.2")):
                    form.items[item.key].choose_key(score)
            form.focus_item("B.3.3")
            save(app, window, out / "entry.png")
            for item, score in zip(window.ctx.form.items, EXAMPLE, strict=True):
                form.items[item.key].choose_key(score)
            answers = {"A.3.1": "王秀兰", "A.3.2": "子女",
                       "A.4.1": ["高血压病I10～I15", "痴呆F00～F03"],
                       "sign.place": "老人家中", "sign.assessor_1": demo.DEMO_ASSESSORS[0],
                       "sign.assessor_2": demo.DEMO_ASSESSORS[1]}
            entry.apply_change(answers)
            form.load(entry.answers)
            entry.run_review = lambda dialog: dialog.confirm_button.isEnabled()
            entry.finalize()
            form.show_page("B.4")
            window.statusBar().clearMessage()
            entry.form_widget.nav.setFocus(Qt.FocusReason.OtherFocusReason)
            save(app, window, out / "result.png")
            window.close()
            window.deleteLater()
            signin.deleteLater()
            settle(app)
        finally:
            workspace.close()


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments and render."""
    parser = argparse.ArgumentParser(description="渲染银龄评估桌面客户端的界面截图（PNG）")
    parser.add_argument("out", type=Path, help="输出文件夹")
    parser.add_argument("--elders", type=int, default=300, help="演示老人数（默认 300）")
    args = parser.parse_args(argv)
    use_laptop_screen()
    render(args.out, args.elders)
    return 0


if __name__ == "__main__":
    sys.exit(main())
