"""The public certificate page: ``GET /v/{code}`` (and ``/V/{code}``, the capital form the
QR uses to stay small), without sign-in; see :mod:`server.certificate_check`."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from server.certificate_check import PublicCheck, check_certificate
from server.deps import ContextDep
from server.web import verify_view
from server.web.responses import PageRoute
from server.web.templating import render

router = APIRouter(tags=["verify"], route_class=PageRoute)


@router.get("/v/{code}")
@router.get("/V/{code}", include_in_schema=False)
async def verify_certificate(code: str, request: Request, ctx: ContextDep) -> Response:
    """Whether a certificate is valid, with its number, grade, date and township."""
    def work() -> PublicCheck:
        with ctx.engine.connect() as conn:
            return check_certificate(conn, code)

    check = await run_in_threadpool(work)
    return render(request, "verify.html", verify_view.context(check))
