"""Crash safety: a child autosaves and finalizes in a loop and is SIGKILLed 50 times.

After every kill the database must pass ``PRAGMA integrity_check``; every assessment the
child reported as finalized must be there, finalized, exactly once; certificate numbers must
be unique and gapless (no half-done finalize); the last autosave the child reported must be
restorable; and the change and audit chains must be unbroken.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from assessment.records.api import AssessmentStatus, RegisterFilter
from assessment.records.datadir import keyring_path
from assessment.records.keyring import Keyring
from assessment.records.workspace import Workspace
from tests.records.conftest import PASSWORD, elder

ROOT = Path(__file__).resolve().parents[2]
CHILD = Path(__file__).with_name("crash_child.py")
KILLS = 50
MAX_KILLS = 400  # on a loaded machine a short life may not reach a finalize: go on, bounded


def _wait_ready(report: Path, lines_before: int, child: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if report.exists() and report.read_text(encoding="utf-8").count("ready\n") > lines_before:
            return
        if child.poll() is not None:
            raise AssertionError(f"child exited early with {child.returncode}")
        time.sleep(0.01)
    raise AssertionError("child never became ready")


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_sigkill_loses_nothing(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    with Workspace.create(data_dir, username="admin", password=PASSWORD, display_name="管理员",
                          device_code="CRASH1") as ws:
        for i in range(5):
            ws.elders.create(elder(f"张{'一二三四五'[i]}", sequence=i * 2 + 1))
    key = Keyring.load(keyring_path(data_dir)).unlock("admin", PASSWORD)
    report = tmp_path / "report.txt"
    rng = random.Random(20240601)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    finals: dict[str, str] = {}
    last_autosave: tuple[str, int] | None = None
    kill = 0
    while kill < KILLS or (len(finals) < 3 and kill < MAX_KILLS):
        child = subprocess.Popen([sys.executable, str(CHILD), str(data_dir), key.hex(),
                                  str(report)], env=env, cwd=ROOT,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            _wait_ready(report, kill, child)
            time.sleep(rng.uniform(0.0, 0.4))
        finally:
            child.send_signal(signal.SIGKILL)
            _, err = child.communicate()
        assert child.returncode == -signal.SIGKILL, err.decode("utf-8", "replace")
        for line in report.read_text(encoding="utf-8").splitlines():
            parts = line.split()
            if parts[0] == "final":
                assert finals.setdefault(parts[1], parts[2]) == parts[2]
            elif parts[0] == "autosave":
                last_autosave = (parts[1], int(parts[2]))
        kill += 1
    assert len(finals) >= 3, "the child should have finalized a few assessments"
    assert last_autosave is not None
    with Workspace.open_with_key(data_dir, key, "admin") as ws:
        assert ws.audit.integrity_check() == "ok"
        assert ws.outbox.verify() == []
        assert ws.audit.verify() == []
        stored = [ws.assessments.get(assessment_id) for assessment_id in finals]
        assert all(a.status is AssessmentStatus.FINALIZED for a in stored)
        assert {a.certificate_no for a in stored} == set(finals.values())
        every = [a for row in ws.elders.page(RegisterFilter(), 0, 100)
                 for a in ws.assessments.for_elder(row.elder_id)]
        numbers = sorted(int(a.certificate_no.split("-")[1]) for a in every if a.certificate_no)
        assert numbers == list(range(1, len(numbers) + 1))  # unique and gapless
        assert len(numbers) >= len(finals)
        saved_id, saved_n = last_autosave
        restored = ws.assessments.get(saved_id)
        assert int(str(restored.answers["A.5.12"]).split()[1]) >= saved_n
        drafts = ws.assessments.drafts()
        assert len(drafts) <= 1  # the child always resumes the draft it left
