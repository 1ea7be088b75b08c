"""Installed visit-plan versions: the bundled ones plus those installed into a workspace.

Like service lists: a supervisor installs a new version (validated first), signed by the
county or, on a laptop with no county, sealed with the supervisor's own key
(:mod:`assessment.eligibility.listseal`); every load checks each installed file against its
seal. Earlier versions stay, and the plan in force on a date is the one that started last.
A workspace keeps its installed versions in ``<data_dir>/visit_plans``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from assessment.eligibility.listseal import ListSeal, ListTrust, check_seal, seal_path
from assessment.eligibility.vocabulary import Vocabulary, load_vocabulary
from assessment.errors import FormFileError
from assessment.paths import resources_dir
from assessment.visits.plan import VisitPlan, load_plan_file, parse_plan_bytes, read_plan_bytes

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


def _load_installed(folder: Path, vocabulary: Vocabulary,
                    trust: ListTrust | None) -> list[VisitPlan]:
    """Installed versions, each checked against its seal before it is parsed (as lists)."""
    if not folder.is_dir():
        return []
    out: list[VisitPlan] = []
    for path in sorted(folder.glob("*.yaml")):
        raw = read_plan_bytes(path)
        check_seal(path, raw, trust)
        out.append(parse_plan_bytes(raw, vocabulary, str(path)))
    return out


def load_plans(user_dir: Path | None = None, vocabulary: Vocabulary | None = None, *,
               trust: ListTrust | None = None) -> PlanRegistry:
    """The bundled plan versions and those installed in ``user_dir``.

    Every installed version must carry a valid seal, like a service list (county-signed, or
    sealed by a supervisor of a laptop with no county; issued by the county of ``trust``
    when given). Raises :class:`FormFileError` if a file is bad, unsealed, changed after
    install, or two files claim the same version with different contents.
    """
    vocabulary = vocabulary or load_vocabulary()
    found: dict[str, VisitPlan] = {}
    extra = _load_installed(user_dir, vocabulary, trust) if user_dir is not None else []
    for plan in _load_dir(bundled_plans_dir(), vocabulary) + extra:
        other = found.get(plan.ref)
        if other is not None and other.digest != plan.digest:
            raise FormFileError(plan.file, "version",
                                f"版本 {plan.ref} 已存在且内容不同：{other.file}")
        found.setdefault(plan.ref, plan)
    return PlanRegistry(vocabulary, tuple(found.values()))


def install_plan_bytes(raw: bytes, source: str, user_dir: Path, *,
                       sealer: Callable[[bytes], ListSeal],
                       trust: ListTrust | None = None) -> VisitPlan:
    """Validate a plan file's bytes and install them as a new version, sealed by ``sealer``.

    Refused (:class:`FormFileError`) when malformed or when the same version is installed
    with other contents; reinstalling an identical file is harmless. Callers check who may
    install (supervisors only) and how the file is signed.
    """
    registry = load_plans(user_dir, trust=trust)
    new = parse_plan_bytes(raw, registry.vocabulary, source)
    for plan in registry.versions:
        if plan.ref == new.ref:
            if plan.digest != new.digest:
                raise FormFileError(source, "version",
                                    f"版本 {new.ref} 已安装且内容不同，请使用新的版本号")
            return plan
    seal = sealer(raw)
    user_dir.mkdir(parents=True, exist_ok=True)
    target = user_dir / f"{new.ref}.yaml"
    # The seal first: a crash between the two leaves a harmless seal, never an unsealed plan.
    _write_atomically(seal_path(target), json.dumps(seal.to_json(), indent=1).encode("utf-8"))
    _write_atomically(target, raw)
    return parse_plan_bytes(raw, registry.vocabulary, str(target))


def _write_atomically(target: Path, data: bytes) -> None:
    with tempfile.NamedTemporaryFile(dir=target.parent, suffix=".tmp", delete=False) as handle:
        temp = Path(handle.name)
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    try:
        os.replace(temp, target)
    finally:
        temp.unlink(missing_ok=True)
