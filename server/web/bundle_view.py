"""The bundle upload page and the result of one import."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from server.bundles import ImportOutcome
from server.web.html import Html, fmt, join, link, table
from server.web.labels import UI, when
from server.web.layout import csrf_field
from server.web.lookups import Names


def receipt_url(bundle_id: str) -> str:
    """Where the signed receipt of a bundle is downloaded."""
    return f"{UI}/receipts/{bundle_id}"


def upload_form(csrf: str, max_bytes: int, recent: Sequence[Mapping[str, Any]],
                names: Names) -> Html:
    """The upload form and the latest receipts."""
    rows = [[when(r["created_at"]), names.device(r["device_id"]),
             f"{r['seq_from']}–{r['seq_to']}", r["acked_seq"],
             link(receipt_url(str(r["bundle_id"])), "下载回执")] for r in recent]
    return fmt('<h1>导入离线数据包</h1>'
               '<p class="hint">选择评估笔记本导出的数据包（.ylb 文件，例如 U 盘上的 visits.ylb）。'
               '服务器先核对签名、加密、设备登记和序号，全部通过后在一个事务中整体导入，'
               '与 <code>yinling import-bundle</code> 完全相同；有任何问题则整体拒绝，'
               '不写入任何内容。导入后请下载签名回执，拷回笔记本导入。</p>'
               '<form class="upload" method="post" action="{}/bundles" '
               'enctype="multipart/form-data">{}'
               '<p><label>数据包文件 <input type="file" name="bundle" accept=".ylb" required>'
               '</label></p><p class="hint">大小上限 {} MB。</p>'
               '<p><button type="submit">上传并导入</button></p></form>'
               '<h2>最近签发的回执</h2>{}',
               UI, csrf_field(csrf), max_bytes // (1024 * 1024),
               table(["导入时间", "设备", "序号范围", "确认到序号", "回执"], rows,
                     empty="尚未导入过数据包。", numeric=frozenset({3})))


def result(outcome: ImportOutcome, names: Names) -> Html:
    """What one accepted bundle did, with the receipt to download."""
    receipt, applied = outcome.receipt, outcome.result
    gaps = join((f"{a}–{b}" for a, b in applied.gaps), "、") if applied.gaps else "无"
    facts = [("设备", names.device(receipt.device_id)), ("数据包编号", receipt.bundle_id),
             ("序号范围", f"{receipt.seq_from}–{receipt.seq_to}"),
             ("新增", f"{applied.applied} 条"), ("重复（已导入过）", f"{applied.duplicates} 条"),
             ("隔离", f"{applied.quarantined} 条"), ("确认到序号", receipt.acked_seq),
             ("缺少的序号", gaps)]
    rows = join(fmt("<dt>{}</dt><dd>{}</dd>", k, v) for k, v in facts)
    warn = Html("")
    if applied.quarantined:
        warn = fmt('<p class="flash error">有 {} 条变更无法应用，已隔离，请在{}中查看。</p>',
                   applied.quarantined, link(f"{UI}/review/quarantine", "隔离的变更"))
    return fmt('<h1>数据包已导入</h1><p class="flash ok" role="status">导入完成：新增 {} 条，'
               '重复 {} 条，隔离 {} 条。</p>{}<dl class="facts">{}</dl>'
               '<p><a class="button" href="{}" download="receipt-{}.json">下载签名回执'
               '（receipt-{}.json）</a></p><p class="hint">回执也已保存在服务器数据目录的 '
               'receipts 文件夹中。请将回执拷回该笔记本，运行“导入回执”，'
               '对应变更即标记为已确认。</p>'
               '<p class="noprint"><a href="{}/bundles">继续导入</a></p>',
               applied.applied, applied.duplicates, applied.quarantined, warn, rows,
               receipt_url(receipt.bundle_id), receipt.bundle_id, receipt.bundle_id, UI)


def refused(reason: str, filename: str) -> Html:
    """A bundle refused whole, with its reason."""
    return fmt('<h1>数据包未导入</h1><p class="flash error" role="alert">{}</p>'
               '<p>文件：{}</p><p>数据包已整体拒绝，服务器未写入任何内容。</p>'
               '<p class="noprint"><a href="{}/bundles">返回重新选择</a></p>',
               reason, filename or "（未命名）", UI)
