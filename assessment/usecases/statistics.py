"""Statistics of the workspace: every table, and their Excel export.

The one pipeline behind the app's 统计 window and ``yinling stats``: read the registry once
(:func:`assessment.documents.frames.statistics_input`, with the service-list matching unless
left out), compute every table with the workspace's re-assessment interval, and write the
Excel workbook with Chinese headers.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from assessment.documents.exports import write_statistics_xlsx
from assessment.documents.frames import statistics_input
from assessment.documents.statistics import Statistics, compute_statistics
from assessment.settings import ROUTINE_INTERVAL_MONTHS
from assessment.usecases.progress import CancelToken, ProgressFn, no_progress

if TYPE_CHECKING:
    from assessment.records.workspace import Workspace


def workspace_statistics(workspace: Workspace, *, as_of: date, start: date | None = None,
                         end: date | None = None, with_eligibility: bool = True,
                         progress: ProgressFn = no_progress,
                         token: CancelToken | None = None) -> Statistics:
    """Every statistics table of the workspace on ``as_of`` (period ``start``–``end``)."""
    progress(0, 3, "正在读取档案……")
    source = statistics_input(workspace, as_of, with_eligibility=with_eligibility)
    if token is not None:
        token.check()
    progress(1, 3, "正在统计……")
    interval = ROUTINE_INTERVAL_MONTHS.read(workspace.settings.get)
    stats = compute_statistics(source, as_of=as_of, start=start, end=end,
                               interval_months=interval)
    progress(3, 3, "完成")
    return stats


def export_statistics(stats: Statistics, path: Path) -> Path:
    """Write the statistics tables to an Excel file (``OSError`` when it cannot be written)."""
    return write_statistics_xlsx(stats, path)


def statistics_job(workspace: Workspace, start: date | None, end: date | None,
                   as_of: date | None = None,
                   ) -> Callable[[ProgressFn, CancelToken], Statistics]:
    """:func:`workspace_statistics` as a job for the app's background helper."""

    def job(progress: ProgressFn, token: CancelToken) -> Statistics:
        return workspace_statistics(workspace, as_of=as_of or date.today(), start=start,
                                    end=end, progress=progress, token=token)

    return job
