"""The county operator's web pages under ``/admin/ui``: sign-in, dashboard (with the
statistics workbook), review queues, bundle upload, devices, finding an elder to move to
another township, and setting up the county: townships, accounts, one-time enrolment codes,
offline enrolment by file and service-list publication.

Every page needs a session (see :mod:`server.web.session`); every form post carries the
session's CSRF token. The work itself goes through the same functions as the admin API and
the county command: :func:`server.review.resolve_item`, :func:`server.bundles.import_bundle`,
:func:`server.county.revoke_device`, :func:`server.transfers.transfer_item`, the township,
account and code functions of :mod:`server.county`, :func:`server.enrolment.enrol` and
:func:`server.county.publish_list` (through :mod:`server.list_publishing`).
"""

from __future__ import annotations

import logging
import re
from datetime import date
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from assessment.documents.statistics import default_period
from assessment.errors import InputRejected, Problem
from assessment.inputreader import DEFAULT_LIMITS, parse_json
from assessment.wire.bundle import BundleRejected
from server import county, review
from server.bundles import ImportOutcome, import_bundle, write_receipt
from server.deps import ContextDep
from server.elder_lookup import ElderMatch, Found, elder_by_id, find_elders
from server.enrolment import enrol, response_text
from server.errors import Forbidden, NotFound, ServerError
from server.list_publishing import MAX_LIST_BYTES, Published, publish_file, published_versions
from server.operators import Operator, actor_of, check_sign_in
from server.stats import (
    check_period,
    county_summary,
    county_workbook,
    parse_day,
    workbook_bytes,
)
from server.transfers import transfer_item
from server.validation import ItemId
from server.web import (
    accounts_view,
    bundle_view,
    dashboard_view,
    device_view,
    elders_view,
    enrol_view,
    lists_view,
    lookups,
    registry_view,
    review_view,
    signin_view,
    townships_view,
)
from server.web.forms import read_form, read_upload
from server.web.html import Html
from server.web.labels import ACTION_LABELS, UI, queue_title
from server.web.layout import page
from server.web.responses import (
    CsrfRejected,
    PageRoute,
    SignInRequired,
    html,
    problem_text,
    redirect,
)
from server.web.session import (
    CSRF_FIELD,
    LIFETIME_S,
    SESSION_COOKIE,
    SIGNIN_COOKIE,
    SIGNIN_LIFETIME_S,
    Session,
    clear_cookie,
    new_signin_token,
    set_cookie,
    signin_token_ok,
    store_of,
)
from server.web.style import STYLESHEET

log = logging.getLogger("server.pages")
router = APIRouter(prefix=UI, route_class=PageRoute, include_in_schema=False)
_TOWNSHIP = re.compile(r"^[0-9A-Za-z_-]{1,32}$")
_SIGNIN_NOTES = {"out": ("ok", "已退出登录。")}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ENROL_REQUEST_LIMIT = 64 * 1024  # as ``POST /enrol``; a request file is under 1 KB
_FILE_TAG = re.compile(r"[^A-Za-z0-9_-]")


async def current_session(request: Request) -> Session:
    """The operator's live session, or off to the sign-in page."""
    session = await run_in_threadpool(store_of(request).get,
                                      request.cookies.get(SESSION_COOKIE))
    if session is None:
        raise SignInRequired
    request.state.session = session
    return session


SessionDep = Annotated[Session, Depends(current_session)]


async def admin_session(session: SessionDep) -> Session:
    """A session of a 管理员: setting the county up is not a 审核员's task."""
    if not session.operator.is_admin:
        raise Forbidden(f"{session.operator.display_name}（审核员）只能处理审核队列，"
                        "此操作需要管理员账号。")
    return session


AdminSessionDep = Annotated[Session, Depends(admin_session)]


def check_csrf(session: Session, fields: dict[str, str]) -> None:
    """Refuse a form post that does not carry this session's CSRF token."""
    if not session.csrf_ok(fields.get(CSRF_FIELD)):
        raise CsrfRejected


def _page(session: Session, title: str, body: Html, here: str = "", status: int = 200
          ) -> Response:
    who = f"{session.operator.display_name}（{session.operator.role_label}）"
    return html(page(title, body, here=here, csrf=session.csrf,
                     messages=session.take_flashes(), who=who), status)


@router.get("/static/style.css")
async def stylesheet() -> Response:
    """The pages' stylesheet (the only style source the CSP allows)."""
    return Response(STYLESHEET, media_type="text/css; charset=utf-8",
                    headers={"Cache-Control": "max-age=3600"})


# --- signing in and out ----------------------------------------------------------------------

def _signin_page(request: Request, messages: list[tuple[str, str]], status: int = 200
                 ) -> Response:
    token = new_signin_token()
    response = html(page("登录", signin_view.signin(token), messages=messages), status)
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
    fields = await read_form(request)
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
async def signout(request: Request, session: SessionDep) -> Response:
    """End the session."""
    check_csrf(session, await read_form(request))
    await run_in_threadpool(store_of(request).drop, request.cookies.get(SESSION_COOKIE))
    response = redirect(f"{UI}/login?m=out")
    clear_cookie(response, request, SESSION_COOKIE)
    return response


# --- dashboard and review --------------------------------------------------------------------

@router.get("")
def dashboard(ctx: ContextDep, session: SessionDep) -> Response:
    """Open review items per queue and the statistics per township."""
    with ctx.engine.connect() as conn:
        counts, stats = review.counts(conn), county_summary(conn)
    return _page(session, "首页", dashboard_view.render(counts, stats), "dashboard")


@router.get("/stats.xlsx")
def stats_workbook(ctx: ContextDep, session: SessionDep, as_of: str = "",
                   start: Annotated[str, Query(alias="from")] = "", to: str = "") -> Response:
    """The county's statistics workbook (``yinling county stats --out``): every table per
    township and village; the period defaults to the calendar year, as on the dashboard."""
    del session
    day = parse_day(as_of, "统计日期") or date.today()
    first, last = parse_day(start, "期间起始日"), parse_day(to, "期间截止日")
    if first is None and last is None:
        first, last = default_period(day)
    check_period(first, last)
    with ctx.engine.connect() as conn:
        data = workbook_bytes(county_workbook(conn, as_of=day, start=first, end=last))
    log.info("县级页面：已导出全县统计表")
    name = f"全县统计-{day.isoformat()}.xlsx"
    return Response(data, media_type=XLSX, headers={
        "Content-Disposition": (f'attachment; filename="county-stats-{day.isoformat()}.xlsx"; '
                                f"filename*=UTF-8''{quote(name)}")})


def _queue(queue: str) -> str:
    if queue not in review.QUEUES:
        raise NotFound("没有这个审核队列")
    return queue


@router.get("/review/{queue}")
def queue_page(queue: str, ctx: ContextDep, session: SessionDep, township: str = "",
               all_items: Annotated[str, Query(alias="all")] = "") -> Response:
    """The items of one review queue, filtered by township, open ones unless asked."""
    queue = _queue(queue)
    township, show_all = township.strip(), all_items == "1"
    with ctx.engine.connect() as conn:
        names = lookups.names(conn)
        if township and township not in {code for code, _ in names.townships.values()}:
            session.flash("error", f"没有编码为 {township} 的乡镇，已显示全部乡镇。")
            township = ""
        items = review.list_queue(conn, queue, open_only=not show_all,
                                  township=township or None)
        elder_ids = [str(i["record_id"]) for i in items
                     if queue == "conflicts" or i.get("record_type") == "elder"]
        of_assessment = (lookups.assessment_elders(conn, [str(i["assessment_id"]) for i in items])
                         if queue == "mismatches" else {})
        elder_names = lookups.elder_names(conn, [*elder_ids, *of_assessment.values()])
    view = review_view.QueueView(queue, items, names, session.csrf, township, show_all,
                                 elder_names=elder_names, assessment_elders=of_assessment)
    return _page(session, queue_title(queue), review_view.render(view), f"review:{queue}")


@router.post("/review/{queue}/{item_id}")
async def resolve(queue: str, item_id: int, request: Request, ctx: ContextDep,
                  session: SessionDep) -> Response:
    """Record one decision, then back to the queue with a message."""
    fields = await read_form(request)
    check_csrf(session, fields)
    queue = _queue(queue)
    township = fields.get("township", "")
    back = review_view.queue_url(queue, township if _TOWNSHIP.fullmatch(township) else "",
                                 fields.get("all") == "1")
    action, note = fields.get("action", ""), fields.get("note", "").strip()
    allowed = review.ACTIONS[queue]
    if action not in allowed:
        labels = "、".join(ACTION_LABELS.get(a, a) for a in sorted(allowed))
        session.flash("error", f"第 {item_id} 项未处理：请选择处理方式（{labels}）。")
        return redirect(back)
    if len(note) > review_view.NOTE_MAX:
        session.flash("error", f"第 {item_id} 项未处理：处理说明不能超过 "
                      f"{review_view.NOTE_MAX} 字。")
        return redirect(back)
    try:
        await run_in_threadpool(review.resolve_item, ctx, queue, item_id, action, note,
                                actor_of(session.operator))
    except ServerError as exc:
        session.flash("error", exc.message)
    except InputRejected as exc:
        session.flash("error", f"第 {item_id} 项未处理：{problem_text(exc)}")
    else:
        session.flash("ok", f"已处理{queue_title(queue)}第 {item_id} 项："
                      f"{ACTION_LABELS.get(action, action)}。")
    return redirect(back)


@router.post("/review/conflicts/{item_id}/reveal")
async def reveal_id_number(item_id: ItemId, request: Request, ctx: ContextDep,
                           session: SessionDep) -> Response:
    """Show one masked ID number in full, recorded in the audit log under the operator."""
    check_csrf(session, await read_form(request))

    def work() -> dict[str, Any]:
        with ctx.engine.begin() as conn:
            return review.reveal(conn, item_id, actor_of(session.operator))

    item = await run_in_threadpool(work)
    return _page(session, "完整号码", review_view.revealed(item), "review:conflicts")


# --- bundles ---------------------------------------------------------------------------------

@router.get("/bundles")
def bundles_page(ctx: ContextDep, session: SessionDep) -> Response:
    """The upload form and the latest receipts."""
    with ctx.engine.connect() as conn:
        recent, names = lookups.recent_receipts(conn), lookups.names(conn)
    body = bundle_view.upload_form(session.csrf, ctx.settings.max_bundle_bytes, recent, names)
    return _page(session, "导入数据包", body, "bundles")


@router.post("/bundles")
async def upload_bundle(request: Request, ctx: ContextDep,
                        session: AdminSessionDep) -> Response:
    """Import an uploaded bundle exactly like ``yinling import-bundle``; show the result."""
    upload = await read_upload(request, ctx.settings.max_bundle_bytes)
    check_csrf(session, upload.fields)
    data = upload.data
    if not data:
        session.flash("error", "请选择要导入的数据包文件（.ylb）。")
        return redirect(f"{UI}/bundles")

    def work() -> tuple[ImportOutcome, lookups.Names]:
        outcome = import_bundle(ctx, data, actor_of(session.operator))
        write_receipt(outcome, ctx.settings.receipts_dir())
        with ctx.engine.connect() as conn:
            return outcome, lookups.names(conn)

    try:
        outcome, names = await run_in_threadpool(work)
    except BundleRejected as exc:
        log.warning("网页导入数据包被拒绝（%s）", exc.code)
        return _page(session, "数据包未导入", bundle_view.refused(exc.reason, upload.filename),
                     "bundles", 400)
    result = outcome.result
    log.info("网页导入数据包：新增 %d 条，重复 %d 条，隔离 %d 条",
             result.applied, result.duplicates, result.quarantined)
    return _page(session, "数据包已导入", bundle_view.result(outcome, names), "bundles")


@router.get("/receipts/{bundle_id}")
def receipt_file(bundle_id: str, ctx: ContextDep, session: SessionDep) -> Response:
    """The signed receipt of an imported bundle, byte for byte as signed."""
    del session
    with ctx.engine.connect() as conn:
        data = lookups.receipt_bytes(conn, bundle_id)
    if data is None:
        raise NotFound("没有该数据包的回执")
    return Response(data, media_type="application/json", headers={
        "Content-Disposition": f'attachment; filename="receipt-{bundle_id}.json"'})


# --- devices ---------------------------------------------------------------------------------

@router.get("/devices")
def devices_page(ctx: ContextDep, session: SessionDep) -> Response:
    """Every enrolled device."""
    with ctx.engine.connect() as conn:
        devices = county.list_devices(conn)
        townships = {t["code"]: t["name"] for t in county.list_townships(conn)}
    return _page(session, "设备", device_view.listing(devices, townships), "devices")


@router.get("/devices/{device_id}/revoke")
def revoke_confirm(device_id: str, ctx: ContextDep, session: SessionDep) -> Response:
    """The confirmation step before a device is revoked."""
    with ctx.engine.connect() as conn:
        device = next((d for d in county.list_devices(conn) if d["device_id"] == device_id),
                      None)
    if device is None:
        raise NotFound("没有这台设备")
    if device["revoked"]:
        session.flash("error", f"设备“{device['label']}”已经停用。")
        return redirect(f"{UI}/devices")
    return _page(session, "停用设备", device_view.confirm(device, session.csrf), "devices")


@router.post("/devices/{device_id}/revoke")
async def revoke(device_id: str, request: Request, ctx: ContextDep,
                 session: AdminSessionDep) -> Response:
    """Revoke one device (after the confirmation step)."""
    fields = await read_form(request)
    check_csrf(session, fields)
    if fields.get("confirm") != "yes":
        session.flash("error", "请在确认页面上确认停用。")
        return redirect(device_view.revoke_url(device_id))

    def work() -> None:
        with ctx.engine.begin() as conn:
            county.revoke_device(conn, device_id, actor_of(session.operator))

    try:
        await run_in_threadpool(work)
    except ServerError as exc:
        session.flash("error", exc.message)
    else:
        session.flash("ok", "设备已停用：此后该设备的请求和数据包一律拒绝。")
    return redirect(f"{UI}/devices")


# --- elders: finding one, moving it to another township --------------------------------------

@router.get("/elders")
def elders_page(session: SessionDep) -> Response:
    """The search form (the search itself posts, so an ID number never lands in a URL)."""
    return _page(session, "查找老人", elders_view.search(session.csrf), "elders")


@router.post("/elders")
async def elders_search(request: Request, ctx: ContextDep,
                        session: AdminSessionDep) -> Response:
    """Elders by resident ID number or name, their numbers masked; the term is not logged."""
    fields = await read_form(request)
    check_csrf(session, fields)

    def work() -> Found:
        with ctx.engine.connect() as conn:
            return find_elders(conn, fields.get("q", ""))

    try:
        found = await run_in_threadpool(work)
    except InputRejected as exc:
        body = elders_view.search(session.csrf, problem=elders_view.refusal_text(exc))
        return _page(session, "查找老人", body, "elders", 400)
    log.info("县级页面：查找老人（按%s），找到 %d 位",
             "身份证号" if found.query.by == "id_number" else "姓名", found.total)
    return _page(session, "查找老人", elders_view.search(session.csrf, found), "elders")


def _elder_and_townships(ctx: ContextDep, elder_id: str
                         ) -> tuple[ElderMatch, list[dict[str, str]]]:
    with ctx.engine.connect() as conn:
        match = elder_by_id(conn, elder_id)
        if match is None:
            raise NotFound("县级没有这位老人的档案，请重新查找")
        return match, county.list_townships(conn)


@router.get("/elders/{elder_id}/transfer")
def elder_transfer_confirm(elder_id: str, ctx: ContextDep, session: SessionDep) -> Response:
    """The confirmation step of moving an elder: its facts and the township to choose."""
    match, towns = _elder_and_townships(ctx, elder_id)
    return _page(session, "迁移老人", elders_view.transfer_form(match, towns, session.csrf),
                 "elders")


@router.post("/elders/{elder_id}/transfer")
async def elder_transfer(elder_id: str, request: Request, ctx: ContextDep,
                         session: AdminSessionDep) -> Response:
    """Move the elder and its assessments exactly like ``yinling county transfer``."""
    fields = await read_form(request)
    check_csrf(session, fields)
    to, note = fields.get("to", "").strip(), fields.get("note", "").strip()
    match, towns = await run_in_threadpool(_elder_and_townships, ctx, elder_id)
    try:
        done = await run_in_threadpool(transfer_item, ctx, elder_id, to, note,
                                       actor_of(session.operator))
    except InputRejected as exc:
        body = elders_view.transfer_form(match, towns, session.csrf, chosen=to, note=note,
                                         problem="未迁移：" + elders_view.refusal_text(exc))
        return _page(session, "迁移老人", body, "elders", 400)
    except ServerError as exc:
        session.flash("error", f"未迁移：{exc.message}")
        return redirect(elders_view.transfer_url(elder_id))
    log.info("县级页面：老人已迁移（迁移记录 %s，评估 %s 份）", done["transfer"],
             done["assessments"])
    session.flash("ok", elders_view.transferred_text(
        match, done, {t["code"]: t["name"] for t in towns}))
    return redirect(elders_view.SEARCH_URL)


# --- townships, accounts and one-time enrolment codes ----------------------------------------

def _townships_page(ctx: ContextDep, session: Session, *, code: str = "", name: str = "",
                    problem: str = "", status: int = 200) -> Response:
    with ctx.engine.connect() as conn:
        towns = county.township_overview(conn)
    body = townships_view.listing(towns, session.csrf, code=code, name=name, problem=problem)
    return _page(session, "乡镇与账号", body, "townships", status)


@router.get("/townships")
def townships_page(ctx: ContextDep, session: SessionDep) -> Response:
    """Every township with its accounts and devices counted; the form adding one."""
    return _townships_page(ctx, session)


@router.post("/townships")
async def township_add(request: Request, ctx: ContextDep,
                       session: AdminSessionDep) -> Response:
    """Add a township exactly like ``yinling county township add``."""
    fields = await read_form(request)
    check_csrf(session, fields)
    code, name = fields.get("code", "").strip(), fields.get("name", "").strip()

    def work() -> None:
        with ctx.engine.begin() as conn:
            county.add_township(conn, code, name, actor_of(session.operator))

    try:
        await run_in_threadpool(work)
    except InputRejected as exc:
        return await run_in_threadpool(_townships_page, ctx, session, code=code, name=name,
                                       problem=townships_view.refusal_text(exc), status=400)
    except ServerError as exc:
        return await run_in_threadpool(_townships_page, ctx, session, code=code, name=name,
                                       problem=exc.message, status=exc.status)
    log.info("县级页面：已新增乡镇 %s", code)
    session.flash("ok", f"已新增乡镇{name}（{code}）。下一步：为该乡镇的评估员新增账号。")
    return redirect(townships_view.township_url(code))


def _township_page(ctx: ContextDep, session: Session, code: str, *,
                   typed: dict[str, str] | None = None, problem: str = "",
                   status: int = 200) -> Response:
    with ctx.engine.connect() as conn:
        township = next((t for t in county.township_overview(conn) if t["code"] == code),
                        None)
        if township is None:
            raise NotFound(f"没有编码为 {code} 的乡镇")
        accounts = county.list_accounts(conn, code)
    body = accounts_view.township_page(township, accounts, session.csrf, typed=typed,
                                       problem=problem)
    return _page(session, f"{township['name']} · 账号", body, "townships", status)


@router.get("/townships/{code}")
def township_page(code: str, ctx: ContextDep, session: SessionDep) -> Response:
    """One township's accounts, with the forms adding, enrolling and revoking them."""
    return _township_page(ctx, session, code)


@router.post("/townships/{code}/accounts")
async def account_add(code: str, request: Request, ctx: ContextDep,
                      session: AdminSessionDep) -> Response:
    """Add an account exactly like ``yinling county account add``."""
    fields = await read_form(request)
    check_csrf(session, fields)
    typed = {key: fields.get(key, "").strip() for key in ("username", "display_name", "role")}

    def work() -> None:
        with ctx.engine.begin() as conn:
            county.add_account(conn, typed["username"], typed["display_name"], code,
                               actor_of(session.operator), typed["role"] or "assessor")

    try:
        await run_in_threadpool(work)
    except InputRejected as exc:
        return await run_in_threadpool(_township_page, ctx, session, code, typed=typed,
                                       problem=townships_view.refusal_text(exc), status=400)
    except ServerError as exc:
        return await run_in_threadpool(_township_page, ctx, session, code, typed=typed,
                                       problem=exc.message, status=exc.status)
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
                     session: AdminSessionDep) -> Response:
    """Issue a one-time enrolment code like ``yinling county code`` and show it, this once
    (the code is in no URL and no log; the county keeps its hash)."""
    fields = await read_form(request)
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
    body = accounts_view.code_issued(account, code, hours, expires or "")
    return _page(session, "一次性登记码", body, "townships")


@router.get("/accounts/{username}/revoke")
def account_revoke_confirm(username: str, ctx: ContextDep, session: SessionDep) -> Response:
    """The confirmation step before an account is revoked."""
    account = _account(ctx, username)
    if account["revoked"]:
        session.flash("error", f"账号 {username} 已经停用。")
        return redirect(townships_view.township_url(str(account["township"])))
    return _page(session, "停用账号", accounts_view.revoke_confirm(account, session.csrf),
                 "townships")


@router.post("/accounts/{username}/revoke")
async def account_revoke(username: str, request: Request, ctx: ContextDep,
                         session: AdminSessionDep) -> Response:
    """Revoke an account like ``yinling county account revoke`` (after the confirmation)."""
    fields = await read_form(request)
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


# --- offline enrolment -----------------------------------------------------------------------

@router.get("/enrol")
def enrol_page(session: SessionDep) -> Response:
    """The form taking a laptop's enrolment request file."""
    return _page(session, "离线登记", enrol_view.form(session.csrf, ENROL_REQUEST_LIMIT),
                 "townships")


def _response_download(answer: dict[str, Any]) -> Response:
    tag = _FILE_TAG.sub("", str(answer["device_id"]))[:64]
    name = f"登记回复-{tag}.json"
    return Response(response_text(answer).encode("utf-8"),
                    media_type="application/json; charset=utf-8", headers={
                        "Content-Disposition": (f'attachment; filename="enrolment-{tag}.json"; '
                                                f"filename*=UTF-8''{quote(name)}")})


@router.post("/enrol")
async def enrol_upload(request: Request, ctx: ContextDep,
                       session: AdminSessionDep) -> Response:
    """Enrol a laptop from its request file exactly like ``yinling county enrol-device`` and
    answer with the signed response file; a refused file registers nothing."""
    upload = await read_upload(request, ENROL_REQUEST_LIMIT)
    check_csrf(session, upload.fields)

    def refused(reason: str, status: int = 400) -> Response:
        body = enrol_view.form(session.csrf, ENROL_REQUEST_LIMIT, reason, upload.filename)
        return _page(session, "未登记", body, "townships", status)

    if not upload.data:
        return refused("请选择笔记本生成的登记申请文件（.json）。")
    try:
        wanted = parse_json(upload.data, DEFAULT_LIMITS.with_max_bytes(ENROL_REQUEST_LIMIT),
                            "file")
    except InputRejected as exc:
        return refused(f"所选文件不是登记申请文件（不是有效的 JSON 文本：{problem_text(exc)}）。")

    def work() -> dict[str, Any]:
        with ctx.engine.begin() as conn:
            return enrol(conn, wanted, ctx.keys, actor_of(session.operator), ctx.public_url)

    try:
        answer = await run_in_threadpool(work)
    except InputRejected as exc:
        return refused(problem_text(exc))
    except ServerError as exc:
        return refused(exc.message, exc.status)
    log.info("县级页面：已离线登记设备 %s", answer["device_id"])
    return _response_download(answer)


# --- service lists ---------------------------------------------------------------------------

def _lists_page(ctx: ContextDep, session: Session, *, problem: str = "", filename: str = "",
                status: int = 200) -> Response:
    with ctx.engine.connect() as conn:
        published = published_versions(conn)
    body = lists_view.listing(published, session.csrf, MAX_LIST_BYTES, problem=problem,
                              filename=filename)
    return _page(session, "服务清单", body, "lists", status)


@router.get("/lists")
def lists_page(ctx: ContextDep, session: SessionDep) -> Response:
    """The published list versions and the form publishing a new one."""
    return _lists_page(ctx, session)


@router.post("/lists")
async def list_publish(request: Request, ctx: ContextDep,
                       session: AdminSessionDep) -> Response:
    """Check an uploaded list file and publish it (``yinling county list`` with the checks a
    laptop makes before installing); a refused file publishes nothing."""
    upload = await read_upload(request, MAX_LIST_BYTES)
    check_csrf(session, upload.fields)
    data = upload.data
    if not data:
        return await run_in_threadpool(_lists_page, ctx, session, problem=(
            "请选择要发布的清单文件（.yaml）。"), filename=upload.filename, status=400)

    def work() -> Published:
        with ctx.engine.begin() as conn:
            return publish_file(conn, data, actor_of(session.operator))

    try:
        done = await run_in_threadpool(work)
    except InputRejected as exc:
        return await run_in_threadpool(_lists_page, ctx, session, problem=problem_text(exc),
                                       filename=upload.filename, status=400)
    except ServerError as exc:
        return await run_in_threadpool(_lists_page, ctx, session, problem=exc.message,
                                       filename=upload.filename, status=exc.status)
    log.info("县级页面：已发布服务清单 %s 第 %d 版", done.list_id, done.version)
    session.flash("ok", lists_view.published_text(done))
    return redirect(lists_view.LISTS_URL)


# --- the registry: duplicates across townships, merges, roster imports --------------------

@router.get("/registry")
def registry_page(ctx: ContextDep, session: SessionDep) -> Response:
    """The potential-duplicate queue and the roster import form."""
    from assessment.registry.rosters import MAX_BYTES
    from server.registry import duplicate_queue, off_roll

    with ctx.engine.connect() as conn:
        pairs = duplicate_queue(conn)
        off = off_roll(conn)
    return _page(session, "名册", registry_view.registry_page(
        session.csrf, pairs, MAX_BYTES // (1024 * 1024), off), "registry")


async def _registry_decision(request: Request, ctx: ContextDep, session: Session, verb: str
                             ) -> Response:
    """Deregister, restore or unmerge through the same functions as ``yinling county registry
    deregister|restore|unmerge``, recorded under the operator's name."""
    from server import registry
    from server.county_device import CountyAuthor
    from server.elder_lookup import resolve_elder

    fields = await read_form(request)
    check_csrf(session, fields)
    actor = actor_of(session.operator)
    failed = {"deregister": "未注销", "restore": "未恢复", "unmerge": "未撤销合并"}[verb]

    def work() -> dict[str, Any]:
        with ctx.engine.begin() as conn:
            author = CountyAuthor.of(ctx)
            elder = resolve_elder(conn, fields.get("elder_id", "").strip())
            if verb == "restore":
                return registry.restore_elder(conn, author, elder, fields.get("why", ""), actor)
            if verb == "unmerge":
                return registry.unmerge_elder(conn, author, elder, fields.get("why", ""), actor)
            try:
                on = date.fromisoformat(fields.get("on", ""))
            except ValueError:
                raise InputRejected([Problem("on", "value", "注销日期应为 YYYY-MM-DD")]) from None
            return registry.deregister_elder(conn, author, elder, fields.get("reason", ""), on,
                                             fields.get("note", ""), actor)

    try:
        done = await run_in_threadpool(work)
    except InputRejected as exc:
        session.flash("error", f"{failed}：" + "；".join(p.message for p in exc.problems))
        return redirect(registry_view.URL)
    log.info("县级页面：名册%s", verb)
    moved = done.get("assessments", 0)
    session.flash("ok", {"deregister": "已注销。", "restore": "已恢复在册。",
                         "unmerge": f"已撤销合并，{moved} 份评估记录改挂回原档案。"}[verb])
    return redirect(registry_view.URL)


@router.post("/registry/deregister")
async def registry_deregister(request: Request, ctx: ContextDep,
                              session: AdminSessionDep) -> Response:
    """Deregister an elder exactly like ``yinling county registry deregister``."""
    return await _registry_decision(request, ctx, session, "deregister")


@router.post("/registry/restore")
async def registry_restore(request: Request, ctx: ContextDep,
                           session: AdminSessionDep) -> Response:
    """Put a deregistered elder back on the roll like ``yinling county registry restore``."""
    return await _registry_decision(request, ctx, session, "restore")


@router.post("/registry/unmerge")
async def registry_unmerge(request: Request, ctx: ContextDep,
                           session: AdminSessionDep) -> Response:
    """Undo a merge exactly like ``yinling county registry unmerge``."""
    return await _registry_decision(request, ctx, session, "unmerge")


@router.post("/registry/merge")
async def registry_merge(request: Request, ctx: ContextDep,
                         session: AdminSessionDep) -> Response:
    """Merge one record into another exactly like ``yinling county registry merge``."""
    from server.county_device import CountyAuthor
    from server.registry import merge_elders

    fields = await read_form(request)
    check_csrf(session, fields)
    keep, other = fields.get("keep", ""), fields.get("other", "")

    def work() -> dict[str, Any]:
        with ctx.engine.begin() as conn:
            return merge_elders(conn, CountyAuthor.of(ctx), keep, other,
                                fields.get("note", "").strip(), actor_of(session.operator))

    try:
        done = await run_in_threadpool(work)
    except InputRejected as exc:
        session.flash("error", "未合并：" + "；".join(p.message for p in exc.problems))
        return redirect(registry_view.URL)
    log.info("县级页面：档案已合并（评估 %s 份改挂）", done["assessments"])
    session.flash("ok", f"已合并，{done['assessments']} 份评估记录改挂到保留的档案。")
    return redirect(registry_view.URL)


@router.post("/registry/dismiss")
async def registry_dismiss(request: Request, ctx: ContextDep,
                           session: AdminSessionDep) -> Response:
    """Mark a pair "不是同一人" exactly like ``yinling county registry dismiss``."""
    from server.registry import dismiss_pair

    fields = await read_form(request)
    check_csrf(session, fields)

    def work() -> dict[str, Any]:
        with ctx.engine.begin() as conn:
            return dismiss_pair(conn, fields.get("first", ""), fields.get("second", ""),
                                fields.get("note", ""), actor_of(session.operator))

    try:
        await run_in_threadpool(work)
    except InputRejected as exc:
        session.flash("error", "未标记：" + "；".join(p.message for p in exc.problems))
        return redirect(registry_view.URL)
    log.info("县级页面：疑似重复已标记为不是同一人")
    session.flash("ok", "已标记为不是同一人，这一对不再出现在疑似重复队列中。")
    return redirect(registry_view.URL)


@router.post("/registry/import")
async def registry_import(request: Request, ctx: ContextDep,
                          session: AdminSessionDep) -> Response:
    """Import (or preview) an office's roster exactly like ``yinling county registry import``."""
    import tempfile
    from pathlib import Path

    from assessment.registry.rosters import MAX_BYTES
    from server.county_device import CountyAuthor
    from server.registry_import import import_county_roster

    upload = await read_upload(request, MAX_BYTES)
    check_csrf(session, upload.fields)
    suffix = Path(upload.filename or "").suffix.lower()
    if not upload.data or suffix not in (".csv", ".xlsx"):
        session.flash("error", "请选择 .csv 或 .xlsx 格式的名单文件。")
        return redirect(registry_view.URL)
    data = upload.data
    fields = upload.fields
    try:
        as_of = date.fromisoformat(fields.get("as_of", ""))
    except ValueError:
        session.flash("error", "请填写名单截止日期（YYYY-MM-DD）。")
        return redirect(registry_view.URL)

    def work() -> dict[str, Any]:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"roster{suffix}"
            path.write_bytes(data)
            with ctx.engine.begin() as conn:
                return import_county_roster(
                    conn, CountyAuthor.of(ctx), path, kind=fields.get("kind", ""),
                    source=fields.get("source", ""), as_of=as_of,
                    dry_run=fields.get("dry_run") == "1", actor=actor_of(session.operator))

    try:
        summary = await run_in_threadpool(work)
    except InputRejected as exc:
        session.flash("error", "名单未导入：" + "；".join(str(p) for p in exc.problems))
        return redirect(registry_view.URL)
    log.info("县级页面：名单%s（%s 行，更新 %s 人）", "预览" if summary["dry_run"] else "导入",
             summary["rows"], summary["updated"])
    return _page(session, "名单导入", registry_view.summary_view(summary), "registry")
