"""How every page answers: HTML with security headers, redirects, error pages."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from assessment.errors import InputRejected
from assessment.wire.bundle import BundleRejected
from server.errors import ServerError
from server.web.labels import UI
from server.web.session import SESSION_COOKIE, origin_ok, store_of
from server.web.templating import render

SECURITY_HEADERS = {
    "Content-Security-Policy": ("default-src 'self'; style-src 'self'; script-src 'none'; "
                                "object-src 'none'; base-uri 'none'; form-action 'self'; "
                                "frame-ancestors 'none'"),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
}


class SignInRequired(Exception):
    """No (live) session: the browser goes to the sign-in page."""


class CsrfRejected(Exception):
    """A form post without this session's CSRF token."""


def redirect(url: str) -> RedirectResponse:
    """After a POST, or to the sign-in page: 303 See Other."""
    return RedirectResponse(url, status_code=303)


def problem_text(exc: InputRejected) -> str:
    """The Chinese text of a refusal."""
    if isinstance(exc, BundleRejected):
        return exc.reason
    messages = [p.message for p in exc.problems]
    return "；".join(messages) if messages else str(exc)


def error_page(request: Request, status: int, message: str, *, back: str = UI,
               csrf: str | None = None) -> HTMLResponse:
    """A page that says what went wrong, in Chinese, and where to go."""
    return render(request, "error.html", {"title": "无法完成操作", "message": message,
                                          "back": back, "csrf": csrf}, status=status)


def _secure(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers[name] = value
    response.headers.setdefault("Cache-Control", "no-store")
    return response


class PageRoute(APIRoute):
    """A page route: signed-out visitors are sent to sign in, refusals become Chinese error
    pages instead of JSON, and every answer carries the security headers."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """Wrap FastAPI's handler (the dependencies run inside it, so their refusals too)."""
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            if request.method == "POST" and not origin_ok(request):
                return _secure(error_page(request, 403, "表单来源无法确认（请求不是从本服务器的页面"
                                          "提交的），未做任何更改。"))
            try:
                response = await original(request)
            except SignInRequired:
                response = redirect(f"{UI}/login")
            except CsrfRejected:
                response = await _error(
                    request, 403, "页面已过期或表单来源无法确认（安全校验未通过），"
                    "未做任何更改。请返回页面刷新后重试。")
            except ServerError as exc:
                response = await _error(request, exc.status, exc.message)
            except InputRejected as exc:
                response = await _error(request, 400, problem_text(exc))
            except RequestValidationError:
                response = await _error(request, 400, "请求参数无效，请从页面上的链接或表单进入。")
            session = getattr(request.state, "session", None)
            if session is not None:  # messages for the next page, kept in the database
                await run_in_threadpool(session.save)
            return _secure(response)

        return handler


async def _error(request: Request, status: int, message: str) -> HTMLResponse:
    """An error page, with the navigation when the operator is signed in."""
    session = await run_in_threadpool(store_of(request).get,
                                      request.cookies.get(SESSION_COOKIE))
    return error_page(request, status, message, csrf=session.csrf if session else None)
