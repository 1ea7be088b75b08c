"""The dashboard (``dashboard.html``): open review items per queue, the county's statistics
per township, 探访关爱 per township, and the link to the statistics workbook."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from assessment.visits.measure import MEASURE_BASIS
from server.review import QUEUES
from server.stats import INTERVAL_MONTHS
from server.web.labels import GRADE_LABELS, QUEUE_HINTS, queue_title

STATS_HEADERS = ("乡镇编码", "乡镇名称", "老年人", "已评估", *GRADE_LABELS, "未评估",
                 "本期评估（次）", "复评已到期", "30天内到期")
VISIT_HEADERS = ("乡镇编码", "乡镇名称", "应探访（人）", "本月已探访（人）", "月探访率",
                 "逾期未探访", "从未探访", "转介未办结", "转介已办结")
_VISIT_KEYS = ("visits_planned", "visited", "visits_overdue", "never_visited",
               "referrals_open", "referrals_closed")


def _rate(done: int, planned: int) -> str:
    return f"{100.0 * done / planned:.1f}%" if planned else "—"


def stats_rows(rows: Sequence[Mapping[str, Any]]) -> list[list[object]]:
    """One row per township (code, name, then the counts), and a total row when any."""
    body: list[list[object]] = [
        [row["township"], row["name"], row["elders"], row["assessed"],
         *(row["grades"].get(str(g), 0) for g in range(len(GRADE_LABELS))),
         row["never"], row["period_assessments"], row["due"], row["due_soon"]]
        for row in rows]
    if body:
        totals: list[object] = ["合计", f"{len(body)} 个乡镇"]
        totals += [sum(int(str(r[i])) for r in body) for i in range(2, len(STATS_HEADERS))]
        body.append(totals)
    return body


def visit_rows(rows: Sequence[Mapping[str, Any]]) -> list[list[object]]:
    """探访关爱 per township for the as-of month (the national measure, target 100 %), and a
    total row when any."""
    counts = [[int(row.get(k) or 0) for k in _VISIT_KEYS] for row in rows]
    body: list[list[object]] = [
        [row["township"], row["name"], n[0], n[1], _rate(n[1], n[0]), *n[2:]]
        for row, n in zip(rows, counts, strict=True)]
    if body:
        sums = [sum(n[i] for n in counts) for i in range(len(_VISIT_KEYS))]
        body.append(["合计", f"{len(body)} 个乡镇", sums[0], sums[1], _rate(sums[1], sums[0]),
                     *sums[2:]])
    return body


def context(counts: Mapping[str, int], summary: Mapping[str, Any]) -> dict[str, Any]:
    """What ``dashboard.html`` shows; ``summary`` is :func:`server.stats.county_summary`."""
    waiting = sum(counts.values())
    start, end = summary["period"]
    return {
        "waiting_text": ("所有审核队列均无待处理项。" if waiting == 0
                         else f"共有 {waiting} 项待县级审核。"),
        "queues": [(q, queue_title(q), counts.get(q, 0), QUEUE_HINTS[q]) for q in QUEUES],
        "as_of": summary["as_of"], "start": start, "end": end,
        "interval_months": INTERVAL_MONTHS,
        "stats_headers": STATS_HEADERS, "stats": stats_rows(summary["townships"]),
        "visit_month": summary.get("visit_month", ""), "visit_headers": VISIT_HEADERS,
        "visits": visit_rows(summary["townships"]),
        "visit_basis": MEASURE_BASIS,
    }
