"""Finding an elder by resident ID number or name, and moving one to another township.

The search form posts (never a GET query), so the ID number typed in appears in no URL,
browser history or access log; the page repeats it back only masked. Each result leads to a
confirmation page whose form calls the same transfer as ``yinling county transfer``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from urllib.parse import quote

from assessment.errors import InputRejected
from server.elder_lookup import NAME_MAX, ElderMatch, Found
from server.transfers import NOTE_LIMIT
from server.web.html import Html, fmt, join, link, table
from server.web.labels import GRADE_LABELS, UI
from server.web.layout import csrf_field

SEARCH_URL = f"{UI}/elders"
FIELD_NAMES = {"elder_id": "老人编号", "to": "迁入乡镇", "note": "迁移说明",
               "query": "查找内容", "id_number": "身份证号"}


def transfer_url(elder_id: str) -> str:
    """The confirmation page of moving one elder."""
    return f"{UI}/elders/{quote(elder_id, safe='')}/transfer"


def refusal_text(exc: InputRejected) -> str:
    """Each problem of a refusal, prefixed with the field it names."""
    return "；".join(f"{FIELD_NAMES.get(p.field, p.field)}：{p.message}" for p in exc.problems)


def grade_text(grade: int | None) -> str:
    """A grade as the county reads it (``未评估`` without a finalized assessment)."""
    if grade is None:
        return "未评估"
    return GRADE_LABELS[grade] if 0 <= grade < len(GRADE_LABELS) else str(grade)


def _township(match: ElderMatch) -> str:
    return f"{match.township_name}（{match.township}）"


def _form(csrf: str, name: str) -> Html:
    return fmt('<form class="filters" method="post" action="{}">{}'
               '<label>身份证号或姓名 <input type="text" name="q" value="{}" maxlength="{}" '
               'autocomplete="off" required autofocus></label>'
               '<button type="submit">查找</button></form>'
               '<p class="hint">按身份证号查找须输入完整的 18 位号码（末位 X 大小写均可）；'
               '按姓名查找可输入全名或开头几个字（如姓氏）。'
               '结果中的身份证号只显示前 6 位和后 4 位；'
               '查找内容不出现在网址中，也不写入服务器日志。</p>',
               SEARCH_URL, csrf_field(csrf), name, max(NAME_MAX, 24))


def _summary(found: Found) -> Html:
    query = found.query
    what = (fmt("按身份证号 <code>{}</code>", query.shown) if query.by == "id_number"
            else fmt("按姓名“{}”（全名或开头）", query.shown))
    if not found.total:
        return fmt('<p class="empty">{}查找：县级没有找到相符的老年人档案。</p>', what)
    more = Html("")
    if found.more:
        more = fmt("仅显示前 {} 位，请输入更完整的姓名或身份证号。", len(found.matches))
    return fmt("<p>{}查找：找到 {} 位老人。{}</p>", what, found.total, more)


def _rows(found: Found) -> list[list[object]]:
    return [[m.name or "（未填姓名）", fmt("<code>{}</code>", m.id_number_masked or "—"),
             m.sex or "—", m.birth_year or "—", _township(m), m.village or "—",
             grade_text(m.grade), fmt("<code>{}</code>", m.elder_id),
             link(transfer_url(m.elder_id), "迁移到其他乡镇")] for m in found.matches]


def search(csrf: str, found: Found | None = None, problem: str = "") -> Html:
    """The search form, and the results of a search (or why it was refused)."""
    name = found.query.value if found is not None and found.query.by == "name" else ""
    body = [fmt("<h1>查找老人</h1>{}", _form(csrf, name))]
    if problem:
        body.append(fmt('<p class="flash error" role="alert">{}</p>', problem))
    if found is not None:
        body.append(_summary(found))
        if found.matches:
            body.append(table(["姓名", "身份证号", "性别", "出生年份", "所属乡镇", "村（社区）",
                               "最近等级", "老人编号", "操作"], _rows(found), empty=""))
    body.append(Html('<p class="hint">老人搬迁到本县其他乡镇时，在结果中选择“迁移到其他乡镇”：'
                     '该老人及其全部评估改属迁入乡镇，迁入乡镇的笔记本下次同步即收到档案和评估，'
                     '原乡镇的笔记本显示“已迁出”。</p>'))
    return join(body)


def _facts(match: ElderMatch) -> Html:
    facts = [("姓名", match.name or "（未填姓名）"), ("身份证号", match.id_number_masked or "—"),
             ("性别", match.sex or "—"), ("出生年份", match.birth_year or "—"),
             ("现属乡镇", _township(match)), ("村（社区）", match.village or "—"),
             ("最近等级", grade_text(match.grade)), ("老人编号", match.elder_id)]
    return fmt('<dl class="facts">{}</dl>',
               join(fmt("<dt>{}</dt><dd>{}</dd>", k, v) for k, v in facts))


def transfer_form(match: ElderMatch, townships: Sequence[Mapping[str, str]], csrf: str, *,
                  chosen: str = "", note: str = "", problem: str = "") -> Html:
    """Are you sure? — the elder's facts and a form choosing the township to move to."""
    others = [t for t in townships if t["code"] != match.township]
    error = fmt('<p class="flash error" role="alert">{}</p>', problem) if problem else Html("")
    if not others:
        return fmt('<h1>迁移老人</h1>{}{}<p class="empty">县里没有其他乡镇可迁入。</p>'
                   '<p><a href="{}">返回查找</a></p>', error, _facts(match), SEARCH_URL)
    options = join(fmt('<option value="{}"{}>{}（{}）</option>', t["code"],
                       Html(" selected") if t["code"] == chosen else Html(""),
                       t["name"], t["code"]) for t in others)
    return fmt('<h1>迁移老人到其他乡镇</h1>{}{}'
               '<form class="resolve" method="post" action="{}">{}'
               '<label>迁入乡镇 <select name="to" required>'
               '<option value="">（请选择）</option>{}</select></label>'
               '<label>迁移说明 <textarea name="note" maxlength="{}" '
               'placeholder="如：随子女迁居">{}</textarea></label>'
               '<p class="hint">迁移后该老人及其全部评估改属迁入乡镇；'
               '迁入乡镇的笔记本下次同步即收到档案和已定稿的评估，'
               '原乡镇的笔记本显示“已迁出”，不能再为其新建评估或更正。'
               '迁移记入审计日志。</p>'
               '<p><button type="submit">确认迁移</button> '
               '<a class="button" href="{}">取消</a></p></form>',
               error, _facts(match), transfer_url(match.elder_id), csrf_field(csrf), options,
               NOTE_LIMIT, note, SEARCH_URL)


def transferred_text(match: ElderMatch, done: Mapping[str, object],
                     names: Mapping[str, str]) -> str:
    """The message after a transfer: who moved where, and with how many assessments."""
    source, target = str(done["from"]), str(done["to"])
    return (f"已将{match.name or '该老人'}从{names.get(source, source)}（{source}）迁至"
            f"{names.get(target, target)}（{target}）：随迁评估 {done['assessments']} 份，"
            f"其中已定稿（含已被取代）的 {done['sent_assessments']} 份连同档案将在迁入乡镇的"
            "笔记本下次同步时送达。")
