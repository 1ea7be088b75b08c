"""The sign-in page of the county operator."""

from __future__ import annotations

from server.web.html import Html, fmt, hidden
from server.web.labels import UI


def signin(signin_token: str) -> Html:
    """The admin-token form (its double-submit token rides in a hidden field)."""
    return fmt('<section class="signin"><h1>县级管理员登录</h1>'
               '<form method="post" action="{}/login">{}'
               '<label for="token">管理员令牌</label>'
               '<input id="token" name="token" type="password" autocomplete="off" required '
               'autofocus>'
               '<button type="submit">登录</button></form>'
               '<p class="hint">令牌保存在服务器数据目录的 admin.token 文件中，'
               '与管理接口使用的令牌相同。登录 8 小时后需重新登录。</p></section>',
               UI, hidden("signin", signin_token))
