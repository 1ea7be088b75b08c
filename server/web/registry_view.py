"""The registry page (名册): the potential-duplicate queue across townships with its merge
buttons, and the offices' roster import (a dry run first) with its summary."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from assessment.registry.kinds import KINDS
from assessment.registry.status import MERGED, REASONS
from server.elder_lookup import mask_id_number
from server.web.html import Html, fmt, join, table
from server.web.labels import UI
from server.web.layout import csrf_field

URL = f"{UI}/registry"


def _person(p: Mapping[str, Any]) -> Html:
    number = mask_id_number(p["id_number"]) if p.get("id_number") else "无号码"
    return fmt("{}（{}，{}，{}{}）", p.get("name") or "", number, p.get("birth_date") or "",
               p.get("township") or "", p.get("village") or "")


def _merge_form(csrf: str, keep: Mapping[str, Any], other: Mapping[str, Any]) -> Html:
    return fmt('<form method="post" action="{}/merge" class="inline">{}'
               '<input type="hidden" name="keep" value="{}">'
               '<input type="hidden" name="other" value="{}">'
               '<button type="submit">保留 {} 并合并</button></form>',
               URL, csrf_field(csrf), keep["elder_id"], other["elder_id"], keep["name"])


def _dismiss_form(csrf: str, first: Mapping[str, Any], second: Mapping[str, Any]) -> Html:
    return fmt('<form method="post" action="{}/dismiss" class="inline">{}'
               '<input type="hidden" name="first" value="{}">'
               '<input type="hidden" name="second" value="{}">'
               '<button type="submit">不是同一人</button></form>',
               URL, csrf_field(csrf), first["elder_id"], second["elder_id"])


def _import_form(csrf: str, max_mb: int) -> Html:
    options = join(fmt('<option value="{}">{}：{}</option>', k.code, k.office, k.label)
                   for k in KINDS.values())
    return fmt('<form class="upload" method="post" action="{}/import" '
               'enctype="multipart/form-data">{}'
               '<p><label>名单文件 <input type="file" name="roster" accept=".csv,.xlsx" required>'
               '</label></p>'
               '<p><label>名单类型 <select name="kind">{}</select></label></p>'
               '<p><label>来源 <input name="source" maxlength="100" required '
               'placeholder="如：县民政局"></label></p>'
               '<p><label>截止日期 <input type="date" name="as_of" required></label></p>'
               '<p><label><input type="checkbox" name="dry_run" value="1" checked> '
               '只预览（不写入）</label></p>'
               '<p class="hint">CSV（UTF-8 或 GBK）或 Excel（.xlsx），'
               '第一行为表头：公民身份号码（必填）、姓名（核对用），以及名单类型需要的列（残疾类别与残疾等级、计生类别、优抚类别）。'
               '大小上限 {} MB。每次导入在一个事务中完成；有问题的行单独拒绝并注明行号和列。</p>'
               '<p><button type="submit">上传</button></p></form>',
               URL, csrf_field(csrf), options, max_mb)


def _deregister_form(csrf: str) -> Html:
    options = join(fmt('<option value="{}">{}</option>', code, label)
                   for code, label in REASONS.items())
    return fmt('<form method="post" action="{}/deregister">{}'
               '<p><label>老人 <input name="elder_id" maxlength="64" required '
               'placeholder="档案编号或 18 位身份证号"></label></p>'
               '<p><label>原因 <select name="reason">{}</select></label> '
               '<label>注销日期 <input type="date" name="on" required></label></p>'
               '<p><label>说明 <input name="note" maxlength="500"></label></p>'
               '<p><button type="submit">注销</button></p></form>',
               URL, csrf_field(csrf), options)


def _back_form(csrf: str, row: Mapping[str, Any]) -> Html:
    """Restore (a deregistered elder) or unmerge (a merged record), with the reason asked."""
    verb, button = ("unmerge", "撤销合并") if row["status"] == MERGED else ("restore", "恢复在册")
    return fmt('<form method="post" action="{}/{}" class="inline">{}'
               '<input type="hidden" name="elder_id" value="{}">'
               '<input name="why" maxlength="500" required placeholder="理由">'
               '<button type="submit">{}</button></form>',
               URL, verb, csrf_field(csrf), row["elder_id"], button)


def off_roll_section(csrf: str, rows: Sequence[Mapping[str, Any]]) -> Html:
    """Deregistration, and the elders off the roll with their restore or unmerge buttons."""
    table_rows = [[_person(r), r["label"] + (f"（并入 {r['merged_into']}）"
                                             if r.get("merged_into") else ""),
                   _back_form(csrf, r)] for r in rows]
    return fmt('<h2>注销</h2><p class="hint">注销后该老人不再出现在到期名单、服务名单和当前统计中，'
               '各笔记本不再接受其评估；记录不会删除，可恢复。</p>{}'
               '<h2>已注销与已合并的档案</h2>{}', _deregister_form(csrf),
               table(["档案", "状态", "处理"], table_rows, empty="没有已注销或已合并的档案。"))


def registry_page(csrf: str, pairs: Sequence[Mapping[str, Any]], max_mb: int,
                  off: Sequence[Mapping[str, Any]] = ()) -> Html:
    """The queue, deregistration with the restore and unmerge buttons, the import form."""
    rows = [[p["reason_text"], _person(p["first"]), _person(p["second"]),
             join((_merge_form(csrf, p["first"], p["second"]),
                   _merge_form(csrf, p["second"], p["first"]),
                   _dismiss_form(csrf, p["first"], p["second"])))] for p in pairs]
    return fmt('<h1>名册</h1><h2>疑似重复登记（全县）</h2>'
               '<p class="hint">同一身份证号，或姓名读音与出生日期相同的两份在册档案。'
               '合并保留两份档案的全部评估记录（改挂到保留的档案），被并入的档案标记为“已合并”，'
               '可在下方“已注销与已合并的档案”中撤销。标记为“不是同一人”的一对移出队列，'
               '可用 <code>yinling county registry undismiss</code> 撤销标记；'
               '各乡镇笔记本下次同步时随之更新。</p>'
               '{}{}<h2>导入部门名单</h2>{}',
               table(["原因", "档案一", "档案二", "处理"], rows, empty="没有发现疑似重复登记。"),
               off_roll_section(csrf, off), _import_form(csrf, max_mb))


def summary_view(summary: Mapping[str, Any]) -> Html:
    """An import's summary (a dry run or applied). ID numbers are masked like everywhere on the
    pages; the row numbers lead back to the uploaded file, and the full lists come from
    ``yinling county registry import`` on the county machine."""
    head = "预览（尚未写入）" if summary.get("dry_run") else (
        "已导入" if summary.get("applied") else "未导入：名单中没有可导入的行")
    facts = [("行数", summary["rows"]), ("匹配", summary["matched"]),
             ("更新", summary["updated"]), ("不变", summary["unchanged"]),
             ("不在新名单中而取消身份", summary["removed"]),
             ("导入编号", summary.get("import_id", ""))]
    dl = join(fmt("<dt>{}</dt><dd>{}</dd>", k, v) for k, v in facts)
    newly = table(["身份证号", "姓名", "新符合的服务项目"],
                  [[mask_id_number(e["id_number"]), e["name"],
                    "、".join(i["name"] for i in e["items"])]
                   for e in summary.get("newly_eligible", [])], empty="无。")
    unknown = table(["行", "身份证号"], [[e["row"], mask_id_number(e["id_number"])]
                                     for e in summary.get("unknown_ids", [])], empty="无。")
    refused = table(["行", "列", "原因"], [[e["row"], e["field"], e["reason"]]
                                        for e in summary.get("refused", [])], empty="无。")
    names = table(["行", "身份证号", "登记姓名", "名单姓名"],
                  [[e["row"], mask_id_number(e["id_number"]), e["registry"], e["roster"]]
                   for e in summary.get("name_mismatches", [])], empty="无。")
    removed = table(["身份证号", "姓名"], [[mask_id_number(e["id_number"]), e["name"]]
                                      for e in summary.get("removed_ids", [])], empty="无。")
    return fmt('<h1>{}</h1><dl class="facts">{}</dl><h2>新符合服务项目</h2>{}'
               '<h2>需寻访登记（服务找人）</h2>{}<h2>取消身份</h2>{}<h2>被拒绝的行</h2>{}'
               '<h2>姓名与登记不符</h2>{}<p class="noprint"><a href="{}">返回名册</a></p>',
               head, dl, newly, unknown, removed, refused, names, URL)
