"""The accounts of one township: adding one, issuing a one-time enrolment code (shown once),
and the confirmation step before an account is revoked.

The forms call the same :mod:`server.county` functions as ``yinling county account add``,
``code`` and ``account revoke``. An enrolment code is shown only on the answer to the form
that issued it: it is in no URL, no later page and no log; the county keeps only its hash.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from server.county import ROLES
from server.web.html import Html, fmt, join, link, table
from server.web.labels import UI, when
from server.web.layout import csrf_field
from server.web.townships_view import (
    ENROL_URL,
    TOWNSHIPS_URL,
    in_use,
    problem_box,
    township_url,
)

ROLE_LABELS = {"assessor": "评估员", "supervisor": "乡镇管理员"}
CODE_HOURS = ((24, "24 小时"), (72, "72 小时（3 天）"), (168, "7 天"), (720, "30 天"))
DEFAULT_HOURS = 72
MAX_HOURS = 720


def account_url(username: str, action: str) -> str:
    """Where one account's ``code`` or ``revoke`` form posts."""
    return f"{UI}/accounts/{quote(username, safe='')}/{action}"


def role_label(role: object) -> str:
    """The Chinese name of an account role."""
    return ROLE_LABELS.get(str(role), str(role))


def township_label(account: Mapping[str, Any]) -> str:
    """``名称（编码）`` of an account's township."""
    return f"{account['township_name']}（{account['township']}）"


def _code_form(username: str, csrf: str) -> Html:
    options = join(fmt('<option value="{}"{}>{}</option>', hours,
                       Html(" selected") if hours == DEFAULT_HOURS else Html(""), label)
                   for hours, label in CODE_HOURS)
    return fmt('<form class="inline" method="post" action="{}">{}'
               '<select name="hours" aria-label="有效期">{}</select>'
               '<button type="submit">生成登记码</button></form>',
               account_url(username, "code"), csrf_field(csrf), options)


def _actions(account: Mapping[str, Any], csrf: str) -> Html:
    if account["revoked"]:
        return fmt('<span class="tag bad">已停用</span> {}', when(account["revoked_at"]))
    username = str(account["username"])
    return fmt('{} {}', _code_form(username, csrf),
               link(account_url(username, "revoke"), "停用账号…", "noprint"))


def _add_form(code: str, csrf: str, typed: Mapping[str, str], problem: str) -> Html:
    role = typed.get("role", "assessor")
    options = join(fmt('<option value="{}"{}>{}</option>', value,
                       Html(" selected") if value == role else Html(""), role_label(value))
                   for value in sorted(ROLES))
    return fmt('<h2 id="add">新增账号</h2>{}'
               '<form class="filters" method="post" action="{}/accounts">{}'
               '<label>用户名 <input type="text" name="username" value="{}" maxlength="64" '
               'required autocomplete="off" placeholder="如 wang"></label>'
               '<label>姓名 <input type="text" name="display_name" value="{}" maxlength="100" '
               'required placeholder="如 王评估"></label>'
               '<label>角色 <select name="role">{}</select></label>'
               '<button type="submit">新增账号</button></form>'
               '<p class="hint">用户名 2–64 位字母、数字、下划线、点或连字符，全县唯一；'
               '每位评估员一个账号，其登记的笔记本只能看到本乡镇的记录。</p>',
               problem_box(problem), township_url(code), csrf_field(csrf),
               typed.get("username", ""), typed.get("display_name", ""), options)


def township_page(township: Mapping[str, Any], accounts: Sequence[Mapping[str, Any]],
                  csrf: str, *, typed: Mapping[str, str] | None = None,
                  problem: str = "") -> Html:
    """One township's accounts with their forms, and the form adding an account."""
    code = str(township["code"])
    rows = [[fmt("<code>{}</code>", a["username"]), a["display_name"], role_label(a["role"]),
             when(a["created_at"]), in_use(a["devices_active"], a["devices"]),
             _actions(a, csrf)] for a in accounts]
    return fmt('<h1>{}（{}）</h1>'
               '<p><a href="{}">← 全部乡镇</a></p>'
               '<p class="hint">为评估员生成一次性登记码后，评估员在笔记本上“同步 → 登记本机…”'
               '输入服务器地址和登记码即可联网登记；没有网络时在笔记本上生成登记申请文件，'
               '拷到县里用{}处理。'
               '停用账号后，该账号登记的全部设备一律被拒绝。</p>'
               '<h2>账号</h2>{}{}',
               township["name"], code, TOWNSHIPS_URL, link(ENROL_URL, "离线登记"),
               table(["用户名", "姓名", "角色", "新增时间", "设备", "操作"], rows,
                     empty="该乡镇还没有账号，请在下方新增。"),
               _add_form(code, csrf, typed or {}, problem))


def _facts(account: Mapping[str, Any], extra: Sequence[tuple[str, object]] = ()) -> Html:
    facts = [("账号", account["username"]), ("姓名", account["display_name"]),
             ("角色", role_label(account["role"])), ("乡镇", township_label(account)),
             *extra]
    return fmt('<dl class="facts">{}</dl>',
               join(fmt("<dt>{}</dt><dd>{}</dd>", k, v) for k, v in facts))


def code_issued(account: Mapping[str, Any], code: str, hours: int, expires_at: str) -> Html:
    """The one time an enrolment code is shown, with what it is for and until when."""
    return fmt('<h1>一次性登记码</h1>'
               '<div class="cards"><div class="card"><span class="count">{}</span>'
               '登记码（字母不区分大小写，连字符可省略）</div></div>'
               '<p class="flash error">登记码只显示这一次：服务器只保存其校验值，离开本页后'
               '无法再查看（刷新本页会另生成一个新码）。请当面交给评估员或抄在纸上；'
               '遗失时重新生成即可。</p>{}'
               '<p class="hint">评估员在笔记本上打开“同步 → 登记本机…”：有网络时在“联网登记”中'
               '填写服务器地址和此登记码；没有网络时在“离线登记”中填写登记码、生成登记申请文件，'
               '拷到县里用{}处理，再把登记回复文件拷回笔记本导入。'
               '一个登记码只能登记一台笔记本。</p>'
               '<p><a class="button" href="{}">返回{}</a></p>',
               code,
               _facts(account, [("有效期", f"{hours} 小时，至 {when(expires_at)}（北京时间）前"
                                           "有效，用过即失效")]),
               link(ENROL_URL, "离线登记"), township_url(str(account["township"])),
               account["township_name"])


def revoke_confirm(account: Mapping[str, Any], csrf: str) -> Html:
    """Are you sure? — the account's facts, what revoking does, and a POST form."""
    devices = int(account["devices_active"])
    return fmt('<h1>停用账号</h1>{}'
               '<p class="flash error">停用后，该账号登记的 {} 台在用设备的联网同步和数据包'
               '一律被拒绝，该账号也不能再生成登记码；停用无法撤销。设备若仍在手边，请先导出并导入其尚未送达的'
               '变更。</p>'
               '<form method="post" action="{}">{}<input type="hidden" name="confirm" value="yes">'
               '<button class="danger" type="submit">确认停用</button> '
               '<a class="button" href="{}">取消</a></form>',
               _facts(account, [("设备", in_use(devices, int(account["devices"]))),
                                ("新增时间", when(account["created_at"]))]),
               devices, account_url(str(account["username"]), "revoke"), csrf_field(csrf),
               township_url(str(account["township"])))
