"""The page chrome shared by every county page: head, navigation, messages, footer."""

from __future__ import annotations

from collections.abc import Sequence

from server.review import QUEUES
from server.web.html import Html, fmt, hidden, join
from server.web.labels import UI, queue_title
from server.web.session import CSRF_FIELD

BRAND = "银龄评估 · 县级审核"

_HEAD = """<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{title} · 银龄评估县级服务器</title>
<link rel="stylesheet" href="{ui}/static/style.css">
</head>
<body>
"""


def csrf_field(token: str) -> Html:
    """The hidden CSRF field every form of a signed-in page carries."""
    return hidden(CSRF_FIELD, token)


def _nav(here: str, csrf: str, who: str) -> Html:
    items = [("dashboard", f"{UI}", "首页")]
    items += [(f"review:{q}", f"{UI}/review/{q}", queue_title(q)) for q in QUEUES]
    items += [("elders", f"{UI}/elders", "查找老人"), ("registry", f"{UI}/registry", "名册"),
              ("bundles", f"{UI}/bundles", "导入数据包"), ("devices", f"{UI}/devices", "设备"),
              ("townships", f"{UI}/townships", "乡镇与账号"), ("lists", f"{UI}/lists", "服务清单")]
    links = join(fmt('<a href="{}"{}>{}</a>', href,
                     Html(' class="here" aria-current="page"') if key == here else Html(""),
                     text) for key, href, text in items)
    signout = fmt('<form method="post" action="{}/logout"><span class="who">{}</span>{}'
                  '<button type="submit">退出登录</button></form>', UI, who, csrf_field(csrf))
    return fmt('<header class="top"><span class="brand">{}</span><nav>{}</nav>{}</header>',
               BRAND, links, signout)


def flashes(messages: Sequence[tuple[str, str]]) -> Html:
    """Messages left by the previous action (``ok`` or ``error``)."""
    return join(fmt('<p class="flash {}" role="{}">{}</p>', kind if kind == "ok" else "error",
                    "status" if kind == "ok" else "alert", text) for kind, text in messages)


def page(title: str, body: Html, *, here: str = "", csrf: str | None = None,
         messages: Sequence[tuple[str, str]] = (), who: str = "") -> str:
    """A whole page; with ``csrf`` (signed in) it gets the navigation and sign-out, and
    ``who`` names the signed-in operator (姓名（角色）)."""
    top = _nav(here, csrf, who) if csrf is not None else \
        fmt('<header class="top"><span class="brand">{}</span></header>', BRAND)
    return (fmt(_HEAD, title=title, ui=UI) + top
            + fmt("<main>{}{}</main>", flashes(messages), body)
            + Html("<footer>时间均为北京时间。县级服务器页面仅供县级管理员使用；"
                   "页面内容含个人信息，请勿外传。</footer></body></html>"))
