"""The sign-in page of the county operators."""

from __future__ import annotations

from server.web.html import Html, fmt, hidden
from server.web.labels import UI


def signin(signin_token: str) -> Html:
    """The named-account form (its double-submit token rides in a hidden field)."""
    return fmt('<section class="signin"><h1>县级工作人员登录</h1>'
               '<form method="post" action="{}/login">{}'
               '<label for="username">用户名</label>'
               '<input id="username" name="username" autocomplete="username" required '
               'autofocus>'
               '<label for="password">密码</label>'
               '<input id="password" name="password" type="password" '
               'autocomplete="current-password" required>'
               '<button type="submit">登录</button></form>'
               '<p class="hint">使用县级管理员为您开设的账号（管理员或审核员）登录；'
               '账号由 <code>yinling county operator add</code> 开设。'
               '30 分钟无操作或登录 8 小时后需重新登录。</p></section>',
               UI, hidden("signin", signin_token))
