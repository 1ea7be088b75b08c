"""探访关爱 plans: the versions the county published, and publishing a new one from a YAML
file (``yinling county visits publish`` with the checks a laptop makes before installing)."""

from __future__ import annotations

import logging
from datetime import date

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from assessment.eligibility.listfiles import LIST_FILE_LIMITS
from assessment.errors import FormFileError, InputRejected
from server.deps import ContextDep
from server.errors import ServerError
from server.operators import actor_of
from server.routes.pages.common import (
    AdminWebSessionDep,
    WebSessionDep,
    check_csrf,
    page,
    page_router,
)
from server.visit_plans import PublishedPlan, announced, county_plans, publish_plan
from server.web import visit_plans_view
from server.web.posts import read_upload
from server.web.responses import problem_text, redirect
from server.web.session import WebSession

log = logging.getLogger("server.pages")
router = page_router()
MAX_PLAN_BYTES = LIST_FILE_LIMITS.max_bytes


def _plans_page(request: Request, ctx: ContextDep, session: WebSession, *, problem: str = "",
                filename: str = "", status: int = 200) -> Response:
    with ctx.engine.connect() as conn:
        published = announced(conn)
        try:
            plan = county_plans(conn).in_force(date.today())
            in_force = f"{plan.title}（{plan.ref}）"
        except FormFileError as exc:
            in_force = f"（探访计划文件有误：{exc.reason}）"
    return page(request, session, "visit_plans.html", "探访关爱计划", "visit_plans", status,
                **visit_plans_view.listing(published, in_force, MAX_PLAN_BYTES,
                                           problem=problem, filename=filename))


@router.get("/visit-plans")
def plans_page(request: Request, ctx: ContextDep, session: WebSessionDep) -> Response:
    """The published plan versions and the form publishing a new one."""
    return _plans_page(request, ctx, session)


@router.post("/visit-plans")
async def plan_publish(request: Request, ctx: ContextDep,
                       session: AdminWebSessionDep) -> Response:
    """Check an uploaded plan file and publish it; a refused file publishes nothing."""
    upload = await read_upload(request, MAX_PLAN_BYTES)
    check_csrf(session, upload.fields)
    data = upload.data
    if not data:
        return await run_in_threadpool(_plans_page, request, ctx, session, problem=(
            "请选择要发布的探访计划文件（.yaml）。"), filename=upload.filename, status=400)

    def work() -> PublishedPlan:
        with ctx.engine.begin() as conn:
            return publish_plan(conn, data, actor_of(session.operator))

    try:
        done = await run_in_threadpool(work)
    except InputRejected as exc:
        return await run_in_threadpool(_plans_page, request, ctx, session,
                                       problem=problem_text(exc), filename=upload.filename,
                                       status=400)
    except ServerError as exc:
        return await run_in_threadpool(_plans_page, request, ctx, session, problem=exc.message,
                                       filename=upload.filename, status=exc.status)
    log.info("县级页面：已发布探访计划 %s", done.ref)
    session.flash("ok", visit_plans_view.published_text(done))
    return redirect(visit_plans_view.PLANS_URL)
