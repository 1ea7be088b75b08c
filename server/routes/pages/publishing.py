"""Publishing an uploaded file from a county page (service lists, 探访关爱 plans): one path for
reading the upload, checking the CSRF field, publishing in one transaction, and showing the
page again with the reason when the file is refused (nothing is published then)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Connection
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from assessment.errors import InputRejected
from server.context import ServerContext
from server.errors import ServerError
from server.operators import actor_of
from server.routes.pages.common import check_csrf
from server.web.posts import read_upload
from server.web.responses import problem_text
from server.web.session import WebSession

T = TypeVar("T")


async def publish_upload(request: Request, ctx: ServerContext, session: WebSession, *,
                         limit: int, missing: str, show: Callable[..., Response],
                         publish: Callable[[Connection, bytes, str], T]) -> T | Response:
    """Publish the uploaded file with ``publish``; on a refusal return ``show``'s page (400 or
    the error's status) naming the problem, with ``missing`` when no file was chosen."""
    upload = await read_upload(request, limit)
    check_csrf(session, upload.fields)
    data = upload.data
    if not data:
        return await run_in_threadpool(show, request, ctx, session, problem=missing,
                                       filename=upload.filename, status=400)

    def work() -> T:
        with ctx.engine.begin() as conn:
            return publish(conn, data, actor_of(session.operator))

    try:
        return await run_in_threadpool(work)
    except InputRejected as exc:
        problem, status = problem_text(exc), 400
    except ServerError as exc:
        problem, status = exc.message, exc.status
    return await run_in_threadpool(show, request, ctx, session, problem=problem,
                                   filename=upload.filename, status=status)
