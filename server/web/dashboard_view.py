"""The dashboard: open review items per queue and the county's statistics per township."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from server.review import QUEUES
from server.web.html import Html, fmt, join, table
from server.web.labels import GRADE_LABELS, QUEUE_HINTS, UI, queue_title


def _cards(counts: Mapping[str, int]) -> Html:
    cards = join(fmt('<a class="card{}" href="{}/review/{}"><span class="count">{}</span>{}</a>',
                     Html(" zero") if not counts.get(q) else Html(""), UI, q,
                     counts.get(q, 0), queue_title(q)) for q in QUEUES)
    return fmt('<div class="cards">{}</div>', cards)


def _stats(rows: Sequence[Mapping[str, Any]]) -> Html:
    headers = ["乡镇编码", "乡镇名称", "老年人", "已定稿评估", *GRADE_LABELS]
    body = [[row["township"], row["name"], row["elders"], row["assessments"],
             *(row["grades"].get(str(g), 0) for g in range(len(GRADE_LABELS)))]
            for row in rows]
    if body:
        totals: list[object] = ["合计", f"{len(body)} 个乡镇"]
        totals += [sum(int(r[i]) for r in body) for i in range(2, len(headers))]
        body.append(totals)
    return table(headers, body, empty="尚未建立乡镇。", css="stats",
                 numeric=frozenset(range(2, len(headers))))


def render(counts: Mapping[str, int], stats: Sequence[Mapping[str, Any]]) -> Html:
    """The dashboard body."""
    waiting = sum(counts.values())
    summary = "所有审核队列均无待处理项。" if waiting == 0 else f"共有 {waiting} 项待县级审核。"
    hints = join(fmt("<li><strong>{}</strong>：{}</li>", queue_title(q), QUEUE_HINTS[q])
                 for q in QUEUES)
    return fmt('<h1>县级首页</h1><h2>待处理的审核项</h2><p>{}</p>{}'
               '<details class="noprint"><summary>各队列说明</summary><ul>{}</ul></details>'
               '<h2>各乡镇统计</h2><p class="hint">等级为服务器按原始答案重新计算的结果，'
               '只计已定稿评估的当前版本。</p>{}'
               '<p class="noprint"><a href="{}/bundles">导入离线数据包</a> · '
               '<a href="{}/devices">已登记设备</a></p>',
               summary, _cards(counts), hints, _stats(stats), UI, UI)
