"""Child process of the crash test: autosave and finalize in a loop until killed.

Usage: ``python crash_child.py DATA_DIR KEY_HEX REPORT_FILE``. After each commit it appends a
line to the report file (``autosave <id> <n>`` or ``final <id>``) and flushes it, so that the
parent knows what was committed before the SIGKILL.
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

from assessment.forms import default_form
from assessment.records.api import RegisterFilter
from assessment.records.workspace import Workspace


def main() -> None:
    """Work until killed."""
    data_dir, key_hex, report_path = sys.argv[1:4]
    form = default_form()
    items = [(item.key, max(item.scores)) for item in form.items]
    with Workspace.open_with_key(Path(data_dir), bytes.fromhex(key_hex), "admin") as ws, \
            open(report_path, "a", encoding="utf-8") as report:
        elders = [row.elder_id for row in ws.elders.page(RegisterFilter(), 0, 50)]
        drafts = list(ws.assessments.drafts())
        report.write("ready\n")
        report.flush()
        counter = itertools.count(1)
        for cycle in itertools.count():
            # Resume a draft left by a killed predecessor, or start a new one. A resumed draft
            # skips the items already saved, so short lives on a loaded machine still progress
            # to a finalize instead of redoing the same first autosaves.
            draft = drafts.pop() if drafts else ws.assessments.start(
                elders[cycle % len(elders)], "常规评估")
            answers = dict(draft.answers)
            answers.update({"A.3.1": "张小三", "A.3.2": "子女", "sign.assessor_1": "admin",
                            "sign.assessor_2": "pinggu2"})
            for key, top in items:
                if answers.get(key) == top:
                    continue  # saved before a kill: a resumed draft goes on from there
                answers[key] = top
                if key.endswith((".3", ".6", ".9")):
                    n = next(counter)
                    answers["A.5.12"] = f"autosave {n}"
                    ws.assessments.autosave(draft.assessment_id, answers)
                    report.write(f"autosave {draft.assessment_id} {n}\n")
                    report.flush()
            n = next(counter)
            answers["A.5.12"] = f"autosave {n}"
            ws.assessments.autosave(draft.assessment_id, answers)
            report.write(f"autosave {draft.assessment_id} {n}\n")
            report.flush()
            final = ws.assessments.finalize(draft.assessment_id)
            report.write(f"final {final.assessment_id} {final.certificate_no}\n")
            report.flush()


if __name__ == "__main__":
    main()
