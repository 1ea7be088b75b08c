"""The service lists: the versions the county published, and publishing a new one from a
YAML file (``yinling county list`` with the checks a laptop makes before installing)."""

from __future__ import annotations

import logging

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from assessment.errors import InputRejected
from server.deps import ContextDep
from server.errors import ServerError
from server.list_publishing import MAX_LIST_BYTES, Published, publish_file, published_versions
from server.operators import actor_of
from server.routes.pages.common import (
    AdminWebSessionDep,
    WebSessionDep,
    check_csrf,
    page,
    page_router,
)
from server.web import lists_view
from server.web.posts import read_upload
from server.web.responses import problem_text, redirect
from server.web.session import WebSession

log = logging.getLogger("server.pages")
router = page_router()


def _lists_page(request: Request, ctx: ContextDep, session: WebSession, *, problem: str = "",
                filename: str = "", status: int = 200) -> Response:
    with ctx.engine.connect() as conn:
        published = published_versions(conn)
    return page(request, session, "lists.html", "服务清单", "lists", status,
                **lists_view.listing(published, MAX_LIST_BYTES, problem=problem,
                                     filename=filename))


@router.get("/lists")
def lists_page(request: Request, ctx: ContextDep, session: WebSessionDep) -> Response:
    """The published list versions and the form publishing a new one."""
    return _lists_page(request, ctx, session)


@router.post("/lists")
async def list_publish(request: Request, ctx: ContextDep,
                       session: AdminWebSessionDep) -> Response:
    """Check an uploaded list file and publish it (``yinling county list`` with the checks a
    laptop makes before installing); a refused file publishes nothing."""
    upload = await read_upload(request, MAX_LIST_BYTES)
    check_csrf(session, upload.fields)
    data = upload.data
    if not data:
        return await run_in_threadpool(_lists_page, request, ctx, session, problem=(
            "请选择要发布的清单文件（.yaml）。"), filename=upload.filename, status=400)

    def work() -> Published:
        with ctx.engine.begin() as conn:
            return publish_file(conn, data, actor_of(session.operator))

    try:
        done = await run_in_threadpool(work)
    except InputRejected as exc:
        return await run_in_threadpool(_lists_page, request, ctx, session,
                                       problem=problem_text(exc), filename=upload.filename,
                                       status=400)
    except ServerError as exc:
        return await run_in_threadpool(_lists_page, request, ctx, session, problem=exc.message,
                                       filename=upload.filename, status=exc.status)
    log.info("县级页面：已发布服务清单 %s 第 %d 版", done.list_id, done.version)
    session.flash("ok", lists_view.published_text(done))
    return redirect(lists_view.LISTS_URL)
