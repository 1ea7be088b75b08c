"""The dashboard: open review items per queue, the county's statistics per township and the
link to the statistics workbook."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from server.review import QUEUES
from server.stats import INTERVAL_MONTHS
from server.web.html import Html, fmt, join, table
from server.web.labels import GRADE_LABELS, QUEUE_HINTS, UI, queue_title


def _cards(counts: Mapping[str, int]) -> Html:
    cards = join(fmt('<a class="card{}" href="{}/review/{}"><span class="count">{}</span>{}</a>',
                     Html(" zero") if not counts.get(q) else Html(""), UI, q,
                     counts.get(q, 0), queue_title(q)) for q in QUEUES)
    return fmt('<div class="cards">{}</div>', cards)


def _stats(rows: Sequence[Mapping[str, Any]]) -> Html:
    headers = ["乡镇编码", "乡镇名称", "老年人", "已评估", *GRADE_LABELS, "未评估",
               "本期评估（次）", "复评已到期", "30天内到期"]
    body = [[row["township"], row["name"], row["elders"], row["assessed"],
             *(row["grades"].get(str(g), 0) for g in range(len(GRADE_LABELS))),
             row["never"], row["period_assessments"], row["due"], row["due_soon"]]
            for row in rows]
    if body:
        totals: list[object] = ["合计", f"{len(body)} 个乡镇"]
        totals += [sum(int(r[i]) for r in body) for i in range(2, len(headers))]
        body.append(totals)
    return table(headers, body, empty="尚未建立乡镇。", css="stats",
                 numeric=frozenset(range(2, len(headers))))


_VISIT_KEYS = ("visits_planned", "visited", "visit_rate", "visits_overdue", "never_visited",
               "referrals_open", "referrals_closed")


def _rate(done: int, planned: int) -> str:
    return f"{100.0 * done / planned:.1f}%" if planned else "—"


def _visits(summary: Mapping[str, Any]) -> Html:
    """探访关爱 per township for the as-of month: the national measure (target 100 %)."""
    headers = ["乡镇编码", "乡镇名称", "应探访（人）", "本月已探访（人）", "月探访率",
               "逾期未探访", "从未探访", "转介未办结", "转介已办结"]
    rows = summary["townships"]
    counts = [[int(row.get(k) or 0) for k in _VISIT_KEYS if k != "visit_rate"]
              for row in rows]
    body: list[list[object]] = [
        [row["township"], row["name"], n[0], n[1], _rate(n[1], n[0]), *n[2:]]
        for row, n in zip(rows, counts, strict=True)]
    if body:
        sums = [sum(n[i] for n in counts) for i in range(len(_VISIT_KEYS) - 1)]
        body.append(["合计", f"{len(body)} 个乡镇", sums[0], sums[1], _rate(sums[1], sums[0]),
                     *sums[2:]])
    return join([
        fmt('<h2>探访关爱（{}）</h2>', summary.get("visit_month", "")),
        table(headers, body, empty="尚未建立乡镇。", css="stats",
              numeric=frozenset(range(2, len(headers)))),
        fmt('<p class="hint">月探访率 = 本月至少探访一次的特殊困难老年人 ÷ 应探访人数'
            '（按探访计划分级，含待核实者）；目标 100%。逾期、从未探访按各分级的探访频次计。</p>'),
    ])


def _stats_hint(summary: Mapping[str, Any]) -> Html:
    start, end = summary["period"]
    return fmt('<p class="hint">统计日期 {}。老年人按县级记录的所属乡镇统计（迁移后计入迁入乡镇）；'
               '能力等级按每位老年人当前的评估（最近一次定稿且未被更正取代的评估）计，'
               '等级为服务器按原始答案重新计算的结果。本期评估为评估基准日期在 {} 至 {} '
               '的已定稿评估次数（含后来被更正的）；复评按 {} 个月的常规评估周期计算。</p>',
               summary["as_of"], start, end, INTERVAL_MONTHS)


def render(counts: Mapping[str, int], summary: Mapping[str, Any]) -> Html:
    """The dashboard body; ``summary`` is :func:`server.stats.county_summary`."""
    waiting = sum(counts.values())
    text = "所有审核队列均无待处理项。" if waiting == 0 else f"共有 {waiting} 项待县级审核。"
    hints = join(fmt("<li><strong>{}</strong>：{}</li>", queue_title(q), QUEUE_HINTS[q])
                 for q in QUEUES)
    return fmt('<h1>县级首页</h1><h2>待处理的审核项</h2><p>{}</p>{}'
               '<details class="noprint"><summary>各队列说明</summary><ul>{}</ul></details>'
               '<h2>各乡镇统计</h2>{}{}{}'
               '<p class="noprint"><a href="{}/stats.xlsx">下载全县统计表（Excel，按乡镇和村，'
               '含年龄性别、服务项目、复评到期名单、月探访率）</a></p>'
               '<p class="noprint"><a href="{}/bundles">导入离线数据包</a> · '
               '<a href="{}/devices">已登记设备</a></p>',
               text, _cards(counts), hints, _stats_hint(summary),
               _stats(summary["townships"]), _visits(summary), UI, UI, UI)
