"""Setting up the county: townships, the assessors' accounts, one-time enrolment codes and
revoking an account. Each form calls the same :mod:`server.county` function as the county
command."""

from __future__ import annotations

import logging
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from assessment.errors import InputRejected
from server import county
from server.deps import ContextDep
from server.errors import NotFound, ServerError
from server.operators import actor_of
from server.routes.pages.common import (
    AdminWebSessionDep,
    WebSessionDep,
    check_csrf,
    page,
    page_router,
)
from server.web import accounts_view, townships_view
from server.web.posts import read_post
from server.web.responses import redirect
from server.web.session import WebSession

log = logging.getLogger("server.pages")
router = page_router()


def _townships_page(request: Request, ctx: ContextDep, session: WebSession, *, code: str = "",
                    name: str = "", problem: str = "", status: int = 200) -> Response:
    with ctx.engine.connect() as conn:
        towns = county.township_overview(conn)
    return page(request, session, "townships.html", "乡镇与账号", "townships", status,
                **townships_view.listing(towns, code=code, name=name, problem=problem))


@router.get("/townships")
def townships_page(request: Request, ctx: ContextDep, session: WebSessionDep) -> Response:
    """Every township with its accounts and devices counted; the form adding one."""
    return _townships_page(request, ctx, session)


@router.post("/townships")
async def township_add(request: Request, ctx: ContextDep,
                       session: AdminWebSessionDep) -> Response:
    """Add a township exactly like ``yinling county township add``."""
    fields = await read_post(request)
    check_csrf(session, fields)
    code, name = fields.get("code", "").strip(), fields.get("name", "").strip()

    def work() -> None:
        with ctx.engine.begin() as conn:
            county.add_township(conn, code, name, actor_of(session.operator))

    try:
        await run_in_threadpool(work)
    except InputRejected as exc:
        return await run_in_threadpool(_townships_page, request, ctx, session, code=code,
                                       name=name, problem=townships_view.refusal_text(exc),
                                       status=400)
    except ServerError as exc:
        return await run_in_threadpool(_townships_page, request, ctx, session, code=code,
                                       name=name, problem=exc.message, status=exc.status)
    log.info("县级页面：已新增乡镇 %s", code)
    session.flash("ok", f"已新增乡镇{name}（{code}）。下一步：为该乡镇的评估员新增账号。")
    return redirect(townships_view.township_url(code))


def _township_page(request: Request, ctx: ContextDep, session: WebSession, code: str, *,
                   typed: dict[str, str] | None = None, problem: str = "",
                   status: int = 200) -> Response:
    with ctx.engine.connect() as conn:
        township = next((t for t in county.township_overview(conn) if t["code"] == code),
                        None)
        if township is None:
            raise NotFound(f"没有编码为 {code} 的乡镇")
        accounts = county.list_accounts(conn, code)
    return page(request, session, "township.html", f"{township['name']} · 账号", "townships",
                status, **accounts_view.township_page(township, accounts, typed=typed,
                                                      problem=problem))


@router.get("/townships/{code}")
def township_page(code: str, request: Request, ctx: ContextDep,
                  session: WebSessionDep) -> Response:
    """One township's accounts, with the forms adding, enrolling and revoking them."""
    return _township_page(request, ctx, session, code)


@router.post("/townships/{code}/accounts")
async def account_add(code: str, request: Request, ctx: ContextDep,
                      session: AdminWebSessionDep) -> Response:
    """Add an account exactly like ``yinling county account add``."""
    fields = await read_post(request)
    check_csrf(session, fields)
    typed = {key: fields.get(key, "").strip() for key in ("username", "display_name", "role")}

    def work() -> None:
        with ctx.engine.begin() as conn:
            county.add_account(conn, typed["username"], typed["display_name"], code,
                               actor_of(session.operator), typed["role"] or "assessor")

    try:
        await run_in_threadpool(work)
    except InputRejected as exc:
        return await run_in_threadpool(_township_page, request, ctx, session, code,
                                       typed=typed, problem=townships_view.refusal_text(exc),
                                       status=400)
    except ServerError as exc:
        return await run_in_threadpool(_township_page, request, ctx, session, code,
                                       typed=typed, problem=exc.message, status=exc.status)
    log.info("县级页面：已新增账号 %s（乡镇 %s）", typed["username"], code)
    session.flash("ok", f"已新增账号 {typed['username']}（{typed['display_name']}，"
                  f"{accounts_view.role_label(typed['role'] or 'assessor')}）。"
                  "点“生成登记码”即可为其笔记本登记。")
    return redirect(townships_view.township_url(code))


def _account(ctx: ContextDep, username: str) -> dict[str, Any]:
    with ctx.engine.connect() as conn:
        account = county.account_info(conn, username)
    if account is None:
        raise NotFound(f"没有账号 {username}")
    return account


def _hours(text: str) -> int | None:
    value = int(text) if text.strip().isdigit() else 0
    return value if 1 <= value <= accounts_view.MAX_HOURS else None


@router.post("/accounts/{username}/code")
async def code_issue(username: str, request: Request, ctx: ContextDep,
                     session: AdminWebSessionDep) -> Response:
    """Issue a one-time enrolment code like ``yinling county code`` and show it, this once
    (the code is in no URL and no log; the county keeps its hash)."""
    fields = await read_post(request)
    check_csrf(session, fields)
    account = await run_in_threadpool(_account, ctx, username)
    back = townships_view.township_url(str(account["township"]))
    hours = _hours(fields.get("hours", ""))
    if hours is None:
        session.flash("error", f"未生成登记码：有效期应为 1–{accounts_view.MAX_HOURS} 小时。")
        return redirect(back)
    valid_hours = hours

    def work() -> tuple[str, str | None]:
        with ctx.engine.begin() as conn:
            code = county.new_enrolment_code(conn, username, actor_of(session.operator),
                                             valid_hours)
            return code, county.enrolment_code_expiry(conn, code)

    try:
        code, expires = await run_in_threadpool(work)
    except ServerError as exc:
        session.flash("error", f"未生成登记码：{exc.message}")
        return redirect(back)
    log.info("县级页面：已生成一次性登记码（有效 %d 小时）", hours)
    return page(request, session, "account_code.html", "一次性登记码", "townships",
                **accounts_view.code_issued(account, code, hours, expires or ""))


@router.get("/accounts/{username}/revoke")
def account_revoke_confirm(username: str, request: Request, ctx: ContextDep,
                           session: WebSessionDep) -> Response:
    """The confirmation step before an account is revoked."""
    account = _account(ctx, username)
    if account["revoked"]:
        session.flash("error", f"账号 {username} 已经停用。")
        return redirect(townships_view.township_url(str(account["township"])))
    return page(request, session, "account_revoke.html", "停用账号", "townships",
                **accounts_view.revoke_confirm(account))


@router.post("/accounts/{username}/revoke")
async def account_revoke(username: str, request: Request, ctx: ContextDep,
                         session: AdminWebSessionDep) -> Response:
    """Revoke an account like ``yinling county account revoke`` (after the confirmation)."""
    fields = await read_post(request)
    check_csrf(session, fields)
    account = await run_in_threadpool(_account, ctx, username)
    if fields.get("confirm") != "yes":
        session.flash("error", "请在确认页面上确认停用。")
        return redirect(accounts_view.account_url(username, "revoke"))

    def work() -> None:
        with ctx.engine.begin() as conn:
            county.revoke_account(conn, username, actor_of(session.operator))

    try:
        await run_in_threadpool(work)
    except ServerError as exc:
        session.flash("error", exc.message)
    else:
        log.info("县级页面：已停用账号 %s", username)
        session.flash("ok", f"账号 {username} 已停用：该账号登记的设备此后的请求和数据包一律拒绝。")
    return redirect(townships_view.township_url(str(account["township"])))
