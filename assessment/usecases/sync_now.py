"""同步 now: push this laptop's changes, pull the township's, install announced lists and
visit plans.

The one pipeline behind the app's 立即同步 (and its automatic sync) and ``yinling sync
push|pull|run``. Every batch the county acknowledged and every pulled page is one transaction
in the workspace, so a cancelled or interrupted sync leaves nothing half-applied and resumes
next time; a cancel stops between batches and raises :class:`~.progress.Cancelled`. A device
the county revoked is remembered in the workspace before the error goes up.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from assessment.records.workspace import Workspace
from assessment.sync.client import PullReport, PushReport, SyncClient, SyncError
from assessment.sync.lists import ListInstall, install_announced_lists
from assessment.sync.visit_plans import PlanInstall, install_announced_plans
from assessment.usecases.progress import Cancelled, CancelToken, ProgressFn
from assessment.wire.countylink import CountyLink

PHASES = {"push": "正在上传本机变更", "pull": "正在接收本乡镇其他设备的变更"}


@dataclass(frozen=True, slots=True)
class SyncOutcome:
    """What one sync did (``pushed``/``pulled`` are None for a phase not asked for)."""

    pushed: PushReport | None
    pulled: PullReport | None
    installed: tuple[str, ...] = ()
    list_errors: tuple[str, ...] = ()
    plans_installed: tuple[str, ...] = ()
    plan_errors: tuple[str, ...] = ()

    @property
    def received(self) -> int:
        """How many changes of other devices arrived."""
        return self.pulled.received if self.pulled is not None else 0

    def summary(self) -> str:
        """A short Chinese summary for the status bar."""
        sent = self.pushed.sent if self.pushed is not None else 0
        text = f"同步完成：上传 {sent} 条，接收 {self.received} 条"
        if self.pushed is not None and self.pushed.quarantined:
            text += f"，{self.pushed.quarantined} 条被县级暂存待查"
        if self.installed:
            text += f"，已安装服务清单 {'、'.join(self.installed)}"
        if self.plans_installed:
            text += f"，已安装探访计划 {'、'.join(self.plans_installed)}"
        return text


def sync_now(workspace: Workspace, server_url: str, progress: ProgressFn, token: CancelToken,
             *, push: bool = True, pull: bool = True, batch_size: int = 500, retries: int = 3,
             timeout: float = 60.0) -> SyncOutcome:
    """Push, then pull (either may be left out), then install announced list and visit-plan
    versions."""

    def report(phase: str, done: int, total: int) -> None:
        text = PHASES.get(phase, "正在同步")
        progress(done, total, f"{text}（{done}/{total}）" if total else f"{text}（{done}）")

    pushed: PushReport | None = None
    pulled: PullReport | None = None
    lists = ListInstall()
    plans = PlanInstall()
    with SyncClient(server_url, workspace.device_keys(), workspace.outbox, batch_size=batch_size,
                    retries=retries, timeout=timeout) as client:
        try:
            if push:
                pushed = client.push(report, token)
                if pushed.cancelled or token.cancelled:
                    raise Cancelled
            if pull:
                pulled = client.pull(report, token)
                if pulled.cancelled:
                    raise Cancelled
                lists = install_announced_lists(workspace, client.fetch_list)
                plans = install_announced_plans(workspace, pulled.notices.visit_plans,
                                                client.fetch_visit_plan)
        except SyncError as exc:
            if exc.revoked:
                workspace.outbox.mark_revoked(exc.message)
            raise
    return SyncOutcome(pushed, pulled, lists.installed, lists.errors, plans.installed,
                       plans.errors)


def sync_job(workspace: Workspace, link: CountyLink, *, batch_size: int = 500,
             retries: int = 3, timeout: float = 60.0,
             ) -> Callable[[ProgressFn, CancelToken], SyncOutcome]:
    """:func:`sync_now` (push and pull) as a job for the app's background helper."""

    def job(progress: ProgressFn, token: CancelToken) -> SyncOutcome:
        return sync_now(workspace, link.server_url, progress, token, batch_size=batch_size,
                        retries=retries, timeout=timeout)

    return job
