"""The registry import of an office file on a laptop (a pilot without a county): one pipeline
for the CLI (``yinling registry import``) and the desktop.

Read and check the file (:func:`~assessment.registry.officefiles.read_office_file`), plan
against the workspace's registry (:func:`~assessment.registry.plan.plan_import`), work out who newly
qualifies for which service item, and, unless it is a dry run, apply the plan in one
transaction. The summary is the same JSON object either way; a dry run and the real import
of one file give the same counts.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assessment.errors import FormFileError, InputRejected, Problem
from assessment.ids import new_id
from assessment.registry.kinds import KINDS, ImportKind
from assessment.registry.officefiles import read_office_file
from assessment.registry.plan import eligibility_changes, plan_import
from assessment.usecases.progress import CancelToken, Job, ProgressFn

if TYPE_CHECKING:
    from assessment.records.workspace import Workspace

SOURCE_LIMIT = 100
Progress = Callable[[int, int, str], None]


def check_request(kind: str, source: str, as_of: date,
                  today: date | None = None) -> tuple[ImportKind, str]:
    """The roster kind and the stripped source, or every problem at once."""
    problems: list[Problem] = []
    found = KINDS.get(kind)
    if found is None:
        problems.append(Problem("kind", "option", "名单类型应为：" + "、".join(KINDS)))
    text = source.strip()
    if not text or len(text) > SOURCE_LIMIT:
        problems.append(Problem("source", "value",
                                f"请填写名单来源（如“县民政局”），最多 {SOURCE_LIMIT} 个字"))
    if as_of > (today or date.today()):
        problems.append(Problem("as_of", "future", "名单截止日期不能晚于今天"))
    if problems:
        raise InputRejected(problems)
    assert found is not None
    return found, text


def import_office_file(workspace: Workspace, path: Path, *, kind: str, source: str, as_of: date,
                  dry_run: bool = False, progress: Progress | None = None) -> dict[str, Any]:
    """Import an office's roster into an open workspace; return the summary.

    Raises :class:`InputRejected` when the file cannot be read at all (nothing applied).
    ``summary["applied"]`` is False for a dry run and when no row could be read."""
    from assessment.documents.sources import workspace_lists

    step = progress or (lambda done, total, text: None)
    import_kind, text = check_request(kind, source, as_of)
    step(0, 4, "正在读取名单文件")
    roster = read_office_file(Path(path), import_kind)
    step(1, 4, "正在与登记信息比对")
    entries = workspace.registry.entries()
    plan = plan_import(roster, entries, kind=import_kind, source=text, as_of=as_of,
                       import_id=new_id())
    step(2, 4, "正在重新匹配服务项目")
    by_id = {e.elder_id: e for e in entries}
    derived: dict[str, dict[str, Any]] = {}
    for elder_id in {u.elder_id for u in plan.updates if u.value_changed}:
        profile = workspace.elders.get(elder_id)
        derived[elder_id] = {k: profile.attributes.get(k) for k in
                             ("birth_date", "sex", "capability_grade", "capability_assessed_on")}
    try:
        lists = workspace_lists(workspace)
    except (InputRejected, FormFileError):
        lists = None
    if lists is not None:
        eligibility_changes(plan, by_id, derived, lists)
    applied = False
    if not dry_run and plan.applicable:
        step(3, 4, "正在写入（一次完成）")
        workspace.registry.apply_import(plan, Path(path).name)
        applied = True
    step(4, 4, "完成")
    return plan.summary(dry_run=dry_run, applied=applied)


def registry_import_job(workspace: Workspace, path: Path, *, kind: str, source: str, as_of: date,
                      dry_run: bool) -> Job:
    """:func:`import_office_file` as a background job (the desktop's import dialog)."""
    def job(progress: ProgressFn, token: CancelToken) -> dict[str, Any]:
        def step(done: int, total: int, text: str) -> None:
            if done < total - 1:  # cancelling stops before the write, never during it
                token.check()
            progress(done, total, text)

        return import_office_file(workspace, path, kind=kind, source=source, as_of=as_of,
                             dry_run=dry_run, progress=step)

    return job
