"""What a signed-in window needs: the open store, the form and the data folder.

One :class:`AppContext` is made per sign-in and handed down explicitly to the windows that
need it (no global state). It also names the settings keys the client reads and writes through
``workspace.get_setting``/``set_setting`` and turns them into typed values.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from assessment.forms import Form, default_form
from assessment.records.api import WorkspaceApi
from assessment.scoring import Grader, GradeRaiseMode, GradingSettings

SETTING_INTERVAL_MONTHS = "routine_interval_months"
SETTING_IDLE_MINUTES = "idle_lock_minutes"
SETTING_RAISE_MODE = "grade_raise_mode"
SETTING_PRINTER = "printer_name"

DEFAULT_INTERVAL_MONTHS = 12
DEFAULT_IDLE_MINUTES = 10


def _as_int(value: object, default: int) -> int:
    """A stored setting as a positive int, or ``default`` when unset or unusable."""
    if isinstance(value, bool):
        return default
    if isinstance(value, int) and value > 0:
        return value
    if isinstance(value, str) and value.strip().isdigit() and int(value) > 0:
        return int(value)
    return default


@dataclass
class AppContext:
    """The signed-in session: store facade, form and where the data lives."""

    workspace: WorkspaceApi
    data_dir: Path
    form: Form

    @classmethod
    def create(cls, workspace: WorkspaceApi, data_dir: Path,
               form: Form | None = None) -> AppContext:
        """A context over an open workspace, with the bundled form by default."""
        return cls(workspace=workspace, data_dir=data_dir, form=form or default_form())

    def interval_months(self) -> int:
        """复评间隔（月）: routine re-assessment interval (spec §11.1; default 12)."""
        return _as_int(self.workspace.get_setting(SETTING_INTERVAL_MONTHS),
                       DEFAULT_INTERVAL_MONTHS)

    def idle_minutes(self) -> int:
        """空闲锁定（分钟）: idle time before the window locks."""
        return _as_int(self.workspace.get_setting(SETTING_IDLE_MINUTES), DEFAULT_IDLE_MINUTES)

    def grading_settings(self) -> GradingSettings:
        """The grading settings stored in the workspace (等级提升方式, decision D2)."""
        raw = self.workspace.get_setting(SETTING_RAISE_MODE, GradeRaiseMode.ONCE.value)
        try:
            mode = GradeRaiseMode(str(raw))
        except ValueError:
            mode = GradeRaiseMode.ONCE
        return GradingSettings(grade_raise_mode=mode)

    def grader(self) -> Grader:
        """A grader for the form under the current settings."""
        return Grader(self.form, self.grading_settings())
