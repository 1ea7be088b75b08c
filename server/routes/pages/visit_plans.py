"""探访关爱 plans: the versions the county published, and publishing a new one from a YAML
file (``yinling county visits publish`` with the checks a laptop makes before installing)."""

from __future__ import annotations

import logging
from datetime import date

from starlette.requests import Request
from starlette.responses import Response

from assessment.eligibility.listfiles import LIST_FILE_LIMITS
from assessment.errors import FormFileError
from server.deps import ContextDep
from server.routes.pages.common import (
    AdminWebSessionDep,
    WebSessionDep,
    page,
    page_router,
)
from server.routes.pages.publishing import publish_upload
from server.visit_plans import announced, county_plans, publish_plan
from server.web import visit_plans_view
from server.web.responses import redirect
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
    done = await publish_upload(request, ctx, session, limit=MAX_PLAN_BYTES,
                                missing="请选择要发布的探访计划文件（.yaml）。", show=_plans_page,
                                publish=publish_plan)
    if isinstance(done, Response):
        return done
    log.info("县级页面：已发布探访计划 %s", done.ref)
    session.flash("ok", visit_plans_view.published_text(done))
    return redirect(visit_plans_view.PLANS_URL)
