"""Assessment entry: recompute after one item change.

Workload: an entry page open on a complete draft (the real store, on the demo township of
``size`` elders); one item's answer changes and the page re-grades and refreshes the result
panel (subtotals, total, grades, C.4 boxes, warnings, navigation counts) — what happens on
every key press, apart from the autosave, which is reported separately. Floor: one bare
``Grader.grade`` call on the same answers. Goal: ≤ 5 ms.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from benchmarks.harness import median_of, record

REPEATS = 200


def run(size: int = 100_000) -> list[dict[str, object]]:
    """Time the recompute after one change, the autosave, and the bare grading floor."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from app.common.context import AppContext
    from app.entry.entry_page import EntryPage
    from app.shell.main import configure
    from app.shell.store import opener_for
    from assessment.records.api import RegisterFilter
    from assessment.records.demo import DEMO_ASSESSORS, DEMO_PASSWORD
    from assessment.scoring import split_answers
    from benchmarks.gui_startup import demo_database

    data_dir: Path = demo_database(size)
    app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)
    configure(app)
    workspace = opener_for(data_dir)(DEMO_ASSESSORS[0], DEMO_PASSWORD)
    try:
        ctx = AppContext.create(workspace, data_dir)
        elder = workspace.elders.page(RegisterFilter(grade=-1), 0, 1)[0]
        record_ = workspace.assessments.start(elder.elder_id, "首次评估")
        answers = dict(record_.answers)
        answers.update({item.key: item.max_score for item in ctx.form.items})
        record_ = workspace.assessments.autosave(record_.assessment_id, answers)
        page = EntryPage(ctx)
        page.resize(1360, 860)
        page.open(record_)
        page.show()
        app.processEvents()
        grader = page.grader
        flip = [0]

        def change_one() -> None:
            flip[0] ^= 1
            page.answers["B.1.3"] = 4 - flip[0] * 2
            page.recompute()

        recompute = median_of(REPEATS, change_one) * 1000

        def change_and_save() -> None:
            flip[0] ^= 1
            page.apply_change({"B.1.3": 4 - flip[0] * 2})

        with_autosave = median_of(20, change_and_save) * 1000
        scores, facts = split_answers(ctx.form, page.answers)
        floor = median_of(REPEATS, lambda: grader.grade(scores, facts)) * 1000
        start = time.perf_counter()
        app.processEvents()
        paint = (time.perf_counter() - start) * 1000
        workspace.assessments.discard(record_.assessment_id)
        page.close()
    finally:
        workspace.close()
    return [
        record("gui_entry_recompute", recompute, "ms", floor, "≤ 5 ms", elders=size,
               paint_ms=round(paint, 3)),
        record("gui_entry_change_with_autosave", with_autosave, "ms", floor,
               "informational (one store transaction per change)", elders=size),
    ]


if __name__ == "__main__":
    import json
    import sys

    for line in run(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000):
        print(json.dumps(line, ensure_ascii=False))
