"""What every county page route shares: the operator's session as a dependency, the CSRF
check of form posts, and the answer as a page of the base layout."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from server.errors import Forbidden
from server.web.labels import UI
from server.web.responses import CsrfRejected, PageRoute, SignInRequired
from server.web.session import CSRF_FIELD, SESSION_COOKIE, WebSession, store_of
from server.web.templating import render

TOWNSHIP_CODE = re.compile(r"^[0-9A-Za-z_-]{1,32}$")


def page_router() -> APIRouter:
    """A router of county pages under ``/admin/ui`` (kept out of the API schema)."""
    return APIRouter(prefix=UI, route_class=PageRoute, include_in_schema=False)


async def current_web_session(request: Request) -> WebSession:
    """The operator's live session, or off to the sign-in page."""
    session = await run_in_threadpool(store_of(request).get,
                                      request.cookies.get(SESSION_COOKIE))
    if session is None:
        raise SignInRequired
    request.state.session = session
    return session


WebSessionDep = Annotated[WebSession, Depends(current_web_session)]


async def admin_web_session(session: WebSessionDep) -> WebSession:
    """A session of a 管理员: setting the county up is not a 审核员's task."""
    if not session.operator.is_admin:
        raise Forbidden(f"{session.operator.display_name}（审核员）只能处理审核队列，"
                        "此操作需要管理员账号。")
    return session


AdminWebSessionDep = Annotated[WebSession, Depends(admin_web_session)]


def check_csrf(session: WebSession, fields: dict[str, str]) -> None:
    """Refuse a form post that does not carry this session's CSRF token."""
    if not session.csrf_ok(fields.get(CSRF_FIELD)):
        raise CsrfRejected


def page(request: Request, session: WebSession, template: str, title: str, here: str = "",
         status: int = 200, **context: Any) -> Response:
    """A signed-in page: ``template`` with the navigation (``here`` marked), the operator's
    name, the CSRF token for every form and the messages left by the last action."""
    who = f"{session.operator.display_name}（{session.operator.role_label}）"
    return render(request, template, {
        **context, "title": title, "here": here, "csrf": session.csrf, "who": who,
        "messages": session.take_flashes()}, status=status)
