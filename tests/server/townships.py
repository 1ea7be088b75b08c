"""Demo laptops of several townships against one real county server, driven through
``yinling sync`` (a helper of the county-change and transfer tests)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from assessment.cli import main
from assessment.records.api import AssessmentStatus, RegisterFilter
from assessment.records.demo import DEMO_PASSWORD, DEMO_SUPERVISOR, create_demo_workspace
from assessment.records.workspace import Workspace
from testkit.process import Admin, ServerProcess


class Fleet:
    """Named demo laptops (real encrypted workspaces), each enrolled in a township."""

    def __init__(self, root: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.root = root
        self.capsys = capsys
        self.dirs: dict[str, Path] = {}

    def add(self, name: str, seed: int, elders: int = 4) -> None:
        """A new demo laptop (not enrolled yet)."""
        folder = self.root / name
        create_demo_workspace(folder, elders=elders, seed=seed)
        self.dirs[name] = folder

    def sync(self, name: str, *argv: str) -> tuple[int, str, str]:
        """``yinling sync --data-dir … --user guanli argv`` on one laptop."""
        code = main(["sync", "--data-dir", str(self.dirs[name]), "--user", DEMO_SUPERVISOR,
                     *argv])
        out, err = self.capsys.readouterr()
        return code, out, err

    def ok(self, name: str, *argv: str) -> str:
        """Run a sync action that must succeed; its output and progress report together."""
        code, out, err = self.sync(name, *argv)
        assert code == 0, err
        return out + err

    def enrol(self, name: str, server: ServerProcess, admin: Admin, username: str) -> None:
        """Enrol online with a fresh one-time code of ``username``."""
        assert "已登记" in self.ok(name, "enrol", "--server", server.url, "--code",
                                 admin.code(username))

    def townships(self, server: ServerProcess, admin: Admin,
                  layout: dict[str, list[str]]) -> dict[str, str]:
        """Fresh townships (one per key of ``layout``, the laptops to enrol in it), each laptop
        enrolled under an account of its own; the township codes by key."""
        tag = uuid.uuid4().hex[:8]
        codes = {key: f"{key}{tag}" for key in layout}
        for key, names in layout.items():
            admin.setup_township(codes[key], [f"{codes[key]}-{name}" for name in names])
            for name in names:
                self.enrol(name, server, admin, f"{codes[key]}-{name}")
        return codes

    def status(self, name: str) -> dict[str, Any]:
        """``yinling sync status`` as JSON."""
        code, out, err = self.sync(name, "status")
        assert code == 0, err
        result: dict[str, Any] = json.loads(out)
        return result

    def open(self, name: str) -> Workspace:
        """Sign in to one laptop (caller closes it)."""
        return Workspace.open(self.dirs[name], DEMO_SUPERVISOR, DEMO_PASSWORD)


def graded_elder(ws: Workspace) -> str:
    """An elder of the laptop's roster with a finalized assessment."""
    return next(r.elder_id for r in ws.elders.page(RegisterFilter(), 0, 1000)
                if r.grade is not None)


def shown_assessments(ws: Workspace, elder_id: str) -> dict[str, tuple[Any, ...]]:
    """(version, status, final grade, certificate) of the elder's non-draft assessments."""
    return {r.assessment_id: (r.version, r.status.value, r.final_grade, r.certificate_no)
            for r in ws.assessments.for_elder(elder_id) if r.status is not AssessmentStatus.DRAFT}


def feed_counts(server: ServerProcess) -> tuple[int, ...]:
    """Rows of the tables a refused county action must leave alone."""
    return tuple(int(server.scalar(f"SELECT COUNT(*) FROM {table}"))
                 for table in ("received_changes", "transfers", "audit", "record_heads",
                               "elder_field_state", "conflicts"))
