"""The townships of the county: the list with its accounts and devices counted, and the form
that adds one (the same :func:`server.county.add_township` as ``yinling county township
add``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from assessment.errors import InputRejected
from server.web.html import Html, fmt, link, table
from server.web.labels import UI
from server.web.layout import csrf_field

TOWNSHIPS_URL = f"{UI}/townships"
ENROL_URL = f"{UI}/enrol"
FIELD_NAMES = {"code": "乡镇编码", "name": "乡镇名称", "username": "用户名",
               "display_name": "姓名", "role": "角色", "hours": "有效期"}


def township_url(code: str) -> str:
    """The page of one township: its accounts and the forms that manage them."""
    return f"{TOWNSHIPS_URL}/{quote(code, safe='')}"


def refusal_text(exc: InputRejected) -> str:
    """Each problem of a refusal, naming the field unless the message already does."""
    parts = []
    for problem in exc.problems:
        label = FIELD_NAMES.get(problem.field, problem.field)
        parts.append(problem.message if label in problem.message
                     else f"{label}：{problem.message}")
    return "；".join(parts) if parts else str(exc)


def in_use(active: int, total: int) -> str:
    """``在用 2 / 共 3``: how many of a count are not revoked."""
    return f"在用 {active} / 共 {total}"


def problem_box(problem: str) -> Html:
    """Why the last form was refused (nothing when there is no problem)."""
    return fmt('<p class="flash error" role="alert">{}</p>', problem) if problem else Html("")


def _add_form(csrf: str, code: str, name: str, problem: str) -> Html:
    return fmt('<h2 id="add">新增乡镇</h2>{}'
               '<form class="filters" method="post" action="{}">{}'
               '<label>乡镇编码 <input type="text" name="code" value="{}" maxlength="32" '
               'required placeholder="如 140105001"></label>'
               '<label>乡镇名称 <input type="text" name="name" value="{}" maxlength="100" '
               'required placeholder="如 坞城街道"></label>'
               '<button type="submit">新增乡镇</button></form>'
               '<p class="hint">编码建议用统计用区划代码（9 位或 12 位），'
               '也可用 2–32 位字母、数字；'
               '新增后不能修改，评估笔记本登记时据此确定所属乡镇。</p>',
               problem_box(problem), TOWNSHIPS_URL, csrf_field(csrf), code, name)


def listing(townships: Sequence[Mapping[str, Any]], csrf: str, *, code: str = "",
            name: str = "", problem: str = "") -> Html:
    """Every township with its accounts and devices, and the form adding one (with the
    values typed and the reason when the last try was refused)."""
    rows = [[fmt("<code>{}</code>", t["code"]), t["name"],
             in_use(t["accounts_active"], t["accounts"]),
             in_use(t["devices_active"], t["devices"]),
             link(township_url(str(t["code"])), "账号与登记码")] for t in townships]
    return fmt('<h1>乡镇与账号</h1>'
               '<p class="hint">每个乡镇的评估员用自己的账号登记笔记本：先新增乡镇，再在乡镇页面'
               '新增账号、生成一次性登记码。笔记本无法联网时，用{}处理它的登记申请文件。</p>'
               '{}{}',
               link(ENROL_URL, "离线登记"),
               table(["乡镇编码", "乡镇名称", "账号", "设备", "管理"], rows,
                     empty="尚未建立任何乡镇，请先在下方新增。"),
               _add_form(csrf, code, name, problem))
