"""Visit-plan versions the county announced: fetched after a pull and installed.

A pull announces every visit-plan version the county published (ref and hash only); each one
not installed here yet is fetched (``GET /sync/visit-plans/{ref}``,
:meth:`assessment.sync.client.SyncClient.fetch_visit_plan`) and installed by
:meth:`assessment.records.visits.VisitBook.install_county_plan`, which checks the announced
hash, the county's signature and the file. A failed download or a refused file is reported
and tried again at the next pull.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from assessment.errors import FormFileError
from assessment.records.workspace import Workspace
from assessment.sync.client import SyncError
from assessment.wire.outbox import PlanVersion

FetchPlan = Callable[[str], tuple[str, str]]
"""plan ref → the plan file's text as the county published it, and the county's signature."""


@dataclass(frozen=True, slots=True)
class PlanInstall:
    """What one round did: refs installed, and Chinese problems."""

    installed: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()


def install_announced_plans(workspace: Workspace, announced: Sequence[PlanVersion],
                            fetch: FetchPlan) -> PlanInstall:
    """Fetch and install every announced plan version not installed yet."""
    if not announced:
        return PlanInstall()
    try:
        held = {plan.ref for plan in workspace.visits.plans().versions}
    except FormFileError as exc:  # an installed version no longer passes its seal check
        return PlanInstall((), (f"已安装的探访计划无法使用：{exc}",))
    installed: list[str] = []
    errors: list[str] = []
    for version in announced:
        if version.ref in held:
            continue
        try:
            content, signature = fetch(version.ref)
            plan = workspace.visits.install_county_plan(version, content, signature)
        except SyncError as exc:
            errors.append(f"探访计划 {version.ref}：{exc.message}")
            continue
        except FormFileError as exc:
            errors.append(f"探访计划 {version.ref} 未安装：{exc.reason}")
            continue
        installed.append(plan.ref)
        held.add(plan.ref)
    return PlanInstall(tuple(installed), tuple(errors))
