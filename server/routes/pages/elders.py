"""Finding an elder by ID number or name (the term posted, never in a URL or a log) and
moving one to another township exactly like ``yinling county transfer``
(:func:`server.transfers.transfer_item`)."""

from __future__ import annotations

import logging

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from assessment.errors import InputRejected
from server import county
from server.deps import ContextDep
from server.elder_lookup import ElderMatch, Found, elder_by_id, find_elders
from server.errors import NotFound, ServerError
from server.operators import actor_of
from server.routes.pages.common import (
    AdminWebSessionDep,
    WebSessionDep,
    check_csrf,
    page,
    page_router,
)
from server.transfers import transfer_item
from server.web import elders_view
from server.web.posts import read_post
from server.web.responses import redirect

log = logging.getLogger("server.pages")
router = page_router()


@router.get("/elders")
def elders_page(request: Request, session: WebSessionDep) -> Response:
    """The search form (the search itself posts, so an ID number never lands in a URL)."""
    return page(request, session, "elders.html", "查找老人", "elders", **elders_view.search())


@router.post("/elders")
async def elders_search(request: Request, ctx: ContextDep,
                        session: AdminWebSessionDep) -> Response:
    """Elders by resident ID number or name, their numbers masked; the term is not logged."""
    fields = await read_post(request)
    check_csrf(session, fields)

    def work() -> Found:
        with ctx.engine.connect() as conn:
            return find_elders(conn, fields.get("q", ""))

    try:
        found = await run_in_threadpool(work)
    except InputRejected as exc:
        return page(request, session, "elders.html", "查找老人", "elders", 400,
                    **elders_view.search(problem=elders_view.refusal_text(exc)))
    log.info("县级页面：查找老人（按%s），找到 %d 位",
             "身份证号" if found.query.by == "id_number" else "姓名", found.total)
    return page(request, session, "elders.html", "查找老人", "elders",
                **elders_view.search(found))


def _elder_and_townships(ctx: ContextDep, elder_id: str
                         ) -> tuple[ElderMatch, list[dict[str, str]]]:
    with ctx.engine.connect() as conn:
        match = elder_by_id(conn, elder_id)
        if match is None:
            raise NotFound("县级没有这位老人的档案，请重新查找")
        return match, county.list_townships(conn)


@router.get("/elders/{elder_id}/transfer")
def elder_transfer_confirm(elder_id: str, request: Request, ctx: ContextDep,
                           session: WebSessionDep) -> Response:
    """The confirmation step of moving an elder: its facts and the township to choose."""
    match, towns = _elder_and_townships(ctx, elder_id)
    return page(request, session, "elder_transfer.html", "迁移老人", "elders",
                **elders_view.transfer_form(match, towns))


@router.post("/elders/{elder_id}/transfer")
async def elder_transfer(elder_id: str, request: Request, ctx: ContextDep,
                         session: AdminWebSessionDep) -> Response:
    """Move the elder and its assessments exactly like ``yinling county transfer``."""
    fields = await read_post(request)
    check_csrf(session, fields)
    to, note = fields.get("to", "").strip(), fields.get("note", "").strip()
    match, towns = await run_in_threadpool(_elder_and_townships, ctx, elder_id)
    try:
        done = await run_in_threadpool(transfer_item, ctx, elder_id, to, note,
                                       actor_of(session.operator))
    except InputRejected as exc:
        return page(request, session, "elder_transfer.html", "迁移老人", "elders", 400,
                    **elders_view.transfer_form(
                        match, towns, chosen=to, note=note,
                        problem="未迁移：" + elders_view.refusal_text(exc)))
    except ServerError as exc:
        session.flash("error", f"未迁移：{exc.message}")
        return redirect(elders_view.transfer_url(elder_id))
    log.info("县级页面：老人已迁移（迁移记录 %s，评估 %s 份）", done["transfer"],
             done["assessments"])
    session.flash("ok", elders_view.transferred_text(
        match, done, {t["code"]: t["name"] for t in towns}))
    return redirect(elders_view.SEARCH_URL)
