"""What a signed-in window needs: the open store, the form and the data folder.

One :class:`AppContext` is made per sign-in and handed down explicitly to the windows that
need it (no global state). It also reads the settings the client needs as typed values, through
the settings registry (:mod:`assessment.settings`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from assessment.forms import Form, default_form
from assessment.scoring import Grader, GradeRaiseMode, GradingSettings
from assessment.settings import GRADE_RAISE_MODE, IDLE_LOCK_MINUTES, ROUTINE_INTERVAL_MONTHS

if TYPE_CHECKING:
    from assessment.records.workspace import Workspace


@dataclass
class AppContext:
    """The signed-in session: store facade, form and where the data lives."""

    workspace: Workspace
    data_dir: Path
    form: Form

    @classmethod
    def create(cls, workspace: Workspace, data_dir: Path,
               form: Form | None = None) -> AppContext:
        """A context over an open workspace, with the bundled form by default."""
        return cls(workspace=workspace, data_dir=data_dir, form=form or default_form())

    def interval_months(self) -> int:
        """复评间隔（月）: routine re-assessment interval
        (docs/spec/gbt42195.md §11.1; default 12)."""
        return ROUTINE_INTERVAL_MONTHS.read(self.workspace.settings.get)

    def idle_minutes(self) -> int:
        """空闲锁定（分钟）: idle time before the window locks."""
        return IDLE_LOCK_MINUTES.read(self.workspace.settings.get)

    def grading_settings(self) -> GradingSettings:
        """The grading settings stored in the workspace (等级提升方式, decision D2)."""
        mode = GradeRaiseMode(GRADE_RAISE_MODE.read(self.workspace.settings.get))
        return GradingSettings(grade_raise_mode=mode)

    def grader(self) -> Grader:
        """A grader for the form under the current settings."""
        return Grader(self.form, self.grading_settings())
