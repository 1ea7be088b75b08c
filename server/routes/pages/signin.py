"""Signing in and out of the county pages, and the pages' one stylesheet.

A named account signs in through a form protected by a short-lived double-submit token
(:mod:`server.web.session`); a session starts on success and ends at sign-out.
"""

from __future__ import annotations

import logging

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from server.deps import ContextDep
from server.operators import Operator, actor_of, check_sign_in
from server.routes.pages.common import WebSessionDep, check_csrf, page_router
from server.web.labels import UI
from server.web.posts import read_post
from server.web.responses import redirect
from server.web.session import (
    LIFETIME_S,
    SESSION_COOKIE,
    SIGNIN_COOKIE,
    SIGNIN_LIFETIME_S,
    clear_cookie,
    new_signin_token,
    set_cookie,
    signin_token_ok,
    store_of,
)
from server.web.style import STYLESHEET
from server.web.templating import render

log = logging.getLogger("server.pages")
router = page_router()
_SIGNIN_NOTES = {"out": ("ok", "已退出登录。")}


@router.get("/static/style.css")
async def stylesheet() -> Response:
    """The pages' stylesheet (the only style source the CSP allows)."""
    return Response(STYLESHEET, media_type="text/css; charset=utf-8",
                    headers={"Cache-Control": "max-age=3600"})


def _signin_page(request: Request, messages: list[tuple[str, str]], status: int = 200
                 ) -> Response:
    token = new_signin_token()
    response = render(request, "signin.html", {"title": "登录", "token": token,
                                                "messages": messages}, status=status)
    set_cookie(response, request, SIGNIN_COOKIE, token, SIGNIN_LIFETIME_S)
    return response


@router.get("/login")
async def signin_form(request: Request, m: str = "") -> Response:
    """The sign-in form (signed-in operators go straight to the dashboard)."""
    if await run_in_threadpool(store_of(request).get,
                               request.cookies.get(SESSION_COOKIE)) is not None:
        return redirect(UI)
    note = _SIGNIN_NOTES.get(m)
    return _signin_page(request, [note] if note else [])


@router.post("/login")
async def signin(request: Request, ctx: ContextDep) -> Response:
    """Check a named account's password; on success start a session."""
    fields = await read_post(request)
    if not signin_token_ok(request.cookies.get(SIGNIN_COOKIE), fields.get("signin")):
        return _signin_page(request, [("error", "登录页面已过期，请重新登录。")], 403)
    username, password = fields.get("username", "").strip(), fields.get("password", "")

    def check() -> Operator | None:
        with ctx.engine.begin() as conn:  # a wrong password is counted
            return check_sign_in(conn, username, password)

    operator = await run_in_threadpool(check)
    if operator is None:
        log.warning("县级页面登录失败：用户名或密码不正确")
        # One answer for a wrong password, an unknown username and a locked account.
        return _signin_page(request, [("error", "用户名或密码不正确，未登录。连续输错 5 次后"
                                                "账户将被暂时锁定，且每多错一次锁定时间加倍。")],
                            401)
    store = store_of(request)
    await run_in_threadpool(store.drop, request.cookies.get(SESSION_COOKIE))
    cookie, _session = await run_in_threadpool(store.create, operator)
    log.info("县级页面：%s 已登录", actor_of(operator))
    response = redirect(UI)
    set_cookie(response, request, SESSION_COOKIE, cookie, LIFETIME_S)
    clear_cookie(response, request, SIGNIN_COOKIE)
    return response


@router.post("/logout")
async def signout(request: Request, session: WebSessionDep) -> Response:
    """End the session."""
    check_csrf(session, await read_post(request))
    await run_in_threadpool(store_of(request).drop, request.cookies.get(SESSION_COOKIE))
    response = redirect(f"{UI}/login?m=out")
    clear_cookie(response, request, SESSION_COOKIE)
    return response
