"""乡镇服务名单: per-item rosters of the whole registry, matched in one vectorized pass.

The one pipeline behind the app's 乡镇服务名单 window and ``yinling roster`` without
``--input``: read every elder of the workspace once through the core's registry reader
(:func:`assessment.documents.frames.eligibility_input`, shared with the statistics), match it
with :func:`assessment.eligibility.match_frame`, make every item's roster
(:mod:`assessment.eligibility.rosters`) and count who is eligible or undetermined per item.
Elders whose stored attributes are refused are left out and named.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from assessment.documents.frames import eligibility_input
from assessment.eligibility import BatchResult, ListRegistry, match_frame
from assessment.eligibility.rosters import roster_tables, write_roster
from assessment.eligibility.values import TRUE, UNKNOWN
from assessment.errors import InputRejected, Problem
from assessment.usecases.progress import Cancelled, CancelToken, ProgressFn, no_progress

if TYPE_CHECKING:
    from assessment.records.workspace import Workspace


@dataclass(frozen=True, slots=True)
class ItemCount:
    """One item of the township rosters: how many elders are eligible / undetermined."""

    item_id: str
    name: str
    type: str
    list_ref: str
    provisional: bool
    eligible: int
    undetermined: int


@dataclass(frozen=True, slots=True)
class RegistryFrame:
    """The registry as the batch engine reads it, plus who had to be left out."""

    frame: pd.DataFrame
    skipped: tuple[str, ...] = ()  # names of elders whose stored attributes were refused


@dataclass(frozen=True, slots=True)
class TownshipRosters:
    """Counts per item, roster tables, and the batch itself."""

    as_of: date
    batch: BatchResult
    frame: pd.DataFrame
    counts: tuple[ItemCount, ...]
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    skipped: tuple[str, ...] = ()


def registry_frame(workspace: Workspace, registry: ListRegistry,
                   progress: ProgressFn | None = None,
                   token: CancelToken | None = None) -> RegistryFrame:
    """Every elder of the workspace as the batch engine reads it, with progress and 取消."""

    def step(done: int, total: int) -> None:
        if token is not None and token.cancelled:
            raise Cancelled()
        if progress is not None:
            progress(done, total, f"正在读取老人档案（{done}/{total}）")

    frame = eligibility_input(workspace, registry.vocabulary, step)
    return RegistryFrame(frame, tuple(frame.attrs.get("skipped", ())))


def item_counts(batch: BatchResult) -> tuple[ItemCount, ...]:
    """Eligible and undetermined counts of every item, in list order."""
    counts = []
    for columns in batch.items:
        plan = columns.plan
        counts.append(ItemCount(
            item_id=plan.item.id, name=plan.item.name, type=plan.item.type,
            list_ref=plan.list_ref, provisional=plan.service_list.provisional,
            eligible=int(np.count_nonzero(columns.result == TRUE)),
            undetermined=int(np.count_nonzero(columns.result == UNKNOWN))))
    return tuple(counts)


def township_rosters(workspace: Workspace, registry: ListRegistry, as_of: date,
                     progress: ProgressFn = no_progress, token: CancelToken | None = None,
                     items: Sequence[str] | None = None) -> TownshipRosters:
    """Read, match in one pass, make every item's roster (or only ``items``; an id not in the
    lists in force is refused naming it)."""
    token = token or CancelToken()
    progress(0, 4, "正在读取老人档案")
    read = registry_frame(workspace, registry, None, token)
    token.check()
    progress(2, 4, f"正在匹配服务清单（{len(read.frame)} 人）")
    batch = match_frame(read.frame, as_of, registry)
    token.check()
    if items:
        known = [c.plan.item.id for c in batch.items]
        unknown = [i for i in items if i not in known]
        if unknown:
            message = f"清单中没有条目 {'、'.join(unknown)}（可选：{'、'.join(known)}）"
            raise InputRejected([Problem("--item", "item", message)])
    progress(3, 4, "正在生成各项目名单")
    tables = roster_tables(batch, read.frame, list(items) if items else None)
    progress(4, 4, "完成")
    return TownshipRosters(as_of, batch, read.frame, item_counts(batch), tables, read.skipped)


def export_rosters(rosters: TownshipRosters, path: Path) -> Path:
    """Write every roster to ``path`` (.xlsx: a sheet per item; .csv: one UTF-8 file)."""
    write_roster(rosters.batch, rosters.tables, path)
    return path


def township_rosters_job(workspace: Workspace, registry: ListRegistry,
                         as_of: date) -> Callable[[ProgressFn, CancelToken], TownshipRosters]:
    """:func:`township_rosters` as a job for the app's background helper."""

    def job(progress: ProgressFn, token: CancelToken) -> TownshipRosters:
        return township_rosters(workspace, registry, as_of, progress, token)

    return job
