"""The elder page's service-list panel: re-match one elder after an attribute edit.

Workload: an elder page open on the demo township of ``size`` elders (the real store); the
panel re-matches the elder's attributes against the lists in force and refreshes its model,
summary and questions — what happens on every edit of an attribute, on the GUI thread. Floor:
the bare match of the same attributes with the same prepared plan. Goal: ≤ 20 ms per edit.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Any

from benchmarks.harness import median_of, record

REPEATS = 50


def run(size: int = 100_000) -> list[dict[str, object]]:
    """Time the panel's re-match against the bare match."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from app.common.context import AppContext
    from app.elder.page import ElderPage
    from app.shell.main import configure
    from app.shell.store import opener_for
    from assessment.records.api import RegisterFilter
    from assessment.records.demo import DEMO_ASSESSORS, DEMO_PASSWORD
    from benchmarks.gui_startup import demo_database

    data_dir: Path = demo_database(size)
    app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)
    configure(app)
    workspace = opener_for(data_dir)(DEMO_ASSESSORS[0], DEMO_PASSWORD)
    try:
        ctx = AppContext.create(workspace, data_dir)
        elder = workspace.elders.page(RegisterFilter(), 0, 1)[0]
        page = ElderPage(ctx)
        page.resize(1300, 800)
        page.open(elder.elder_id)
        page.show()
        app.processEvents()
        panel = page.eligibility
        matcher = panel.matcher
        assert matcher is not None
        assert page.profile is not None
        base: dict[str, Any] = dict(page.profile.attributes)
        states = [{**base, "assistance_status": status} for status in ("dibao", "none")]
        flip = [0]

        def edit() -> None:
            flip[0] ^= 1
            panel.show_attributes(states[flip[0]], unsaved=True)

        def bare() -> None:
            flip[0] ^= 1
            matcher.match(states[flip[0]], date.today())

        ours = median_of(REPEATS, edit) * 1000
        floor = median_of(REPEATS, bare) * 1000
        page.close()
    finally:
        workspace.close()
    return [record("gui_eligibility_panel", ours, "ms", floor, "≤ 20 ms", elders=size)]
