"""Installed visit-plan versions: the bundled ones plus those installed into a workspace.

Like service lists: a supervisor installs a new version (validated first); earlier versions
stay, and the plan in force on a date is the one that started last. A workspace keeps its
installed versions in ``<data_dir>/visit_plans``.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from assessment.eligibility.vocabulary import Vocabulary, load_vocabulary
from assessment.errors import FormFileError
from assessment.paths import resources_dir
from assessment.visits.plan import VisitPlan, load_plan_file

PLANS_FOLDER = "visit_plans"


def bundled_plans_dir() -> Path:
    """The plan files shipped with the program (``resources/visit_plans``)."""
    return resources_dir() / PLANS_FOLDER


def workspace_plans_dir(data_dir: Path) -> Path:
    """Where the workspace in ``data_dir`` keeps its installed plan versions."""
    return data_dir / PLANS_FOLDER


@dataclass(frozen=True, slots=True)
class PlanRegistry:
    """Every installed plan version, and the choice of the one in force on a date."""

    vocabulary: Vocabulary
    versions: tuple[VisitPlan, ...]

    def in_force(self, as_of: dt.date) -> VisitPlan:
        """The version in force on ``as_of`` (the one that started last); when none is, the
        latest that started before it, else the earliest."""
        ordered = sorted(self.versions, key=lambda p: (p.period.start or dt.date.min,
                                                       p.version))
        if not ordered:
            raise FormFileError(str(bundled_plans_dir()), "", "没有可用的探访计划")
        in_force = [p for p in ordered if p.period.contains(as_of)]
        if in_force:
            return in_force[-1]
        started = [p for p in ordered if p.period.start is None or p.period.start <= as_of]
        return started[-1] if started else ordered[0]


def _load_dir(folder: Path, vocabulary: Vocabulary) -> list[VisitPlan]:
    if not folder.is_dir():
        return []
    return [load_plan_file(path, vocabulary) for path in sorted(folder.glob("*.yaml"))]


def load_plans(user_dir: Path | None = None,
               vocabulary: Vocabulary | None = None) -> PlanRegistry:
    """The bundled plan versions and those installed in ``user_dir``.

    Raises :class:`FormFileError` if a file is bad or two files claim the same version with
    different contents.
    """
    vocabulary = vocabulary or load_vocabulary()
    found: dict[str, VisitPlan] = {}
    extra = _load_dir(user_dir, vocabulary) if user_dir is not None else []
    for plan in _load_dir(bundled_plans_dir(), vocabulary) + extra:
        other = found.get(plan.ref)
        if other is not None and other.digest != plan.digest:
            raise FormFileError(plan.file, "version",
                                f"版本 {plan.ref} 已存在且内容不同：{other.file}")
        found.setdefault(plan.ref, plan)
    return PlanRegistry(vocabulary, tuple(found.values()))


def install_plan_file(path: Path, user_dir: Path) -> VisitPlan:
    """Validate a plan file and install it as a new version into ``user_dir``.

    Refused (:class:`FormFileError`) when malformed or when the same version is installed
    with other contents; reinstalling an identical file is harmless. Callers check that the
    user may install plans (supervisors only).
    """
    registry = load_plans(user_dir)
    new = load_plan_file(path, registry.vocabulary)
    for plan in registry.versions:
        if plan.ref == new.ref:
            if plan.digest != new.digest:
                raise FormFileError(str(path), "version",
                                    f"版本 {new.ref} 已安装且内容不同，请使用新的版本号")
            return plan
    user_dir.mkdir(parents=True, exist_ok=True)
    target = user_dir / f"{new.ref}.yaml"
    with tempfile.NamedTemporaryFile(dir=user_dir, suffix=".tmp", delete=False) as handle:
        temp = Path(handle.name)
    try:
        shutil.copyfile(path, temp)
        os.replace(temp, target)
    finally:
        temp.unlink(missing_ok=True)
    return load_plan_file(target, registry.vocabulary)
