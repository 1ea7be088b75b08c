"""The service lists: the versions the county published, and publishing a new one from a
YAML file (``yinling county list`` with the checks a laptop makes before installing)."""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import Response

from server.deps import ContextDep
from server.list_publishing import MAX_LIST_BYTES, publish_file, published_versions
from server.routes.pages.common import (
    AdminWebSessionDep,
    WebSessionDep,
    page,
    page_router,
)
from server.routes.pages.publishing import publish_upload
from server.web import lists_view
from server.web.responses import redirect
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
    done = await publish_upload(request, ctx, session, limit=MAX_LIST_BYTES,
                                missing="请选择要发布的清单文件（.yaml）。", show=_lists_page,
                                publish=publish_file)
    if isinstance(done, Response):
        return done
    log.info("县级页面：已发布服务清单 %s 第 %d 版", done.list_id, done.version)
    session.flash("ok", lists_view.published_text(done))
    return redirect(lists_view.LISTS_URL)
