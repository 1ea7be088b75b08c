"""FastAPI dependencies: the server context, signed device requests, the admin token."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from operator import attrgetter
from typing import Annotated

from fastapi import Depends, Header, Request
from starlette.concurrency import run_in_threadpool

from server.auth import DeviceContext, authenticate, check_admin, precheck, read_headers
from server.body import limited_body
from server.config import Settings
from server.context import ServerContext


def get_context(request: Request) -> ServerContext:
    """The context the app was built with."""
    ctx = request.app.state.ctx
    assert isinstance(ctx, ServerContext)
    return ctx


ContextDep = Annotated[ServerContext, Depends(get_context)]


async def read_body(request: Request, limit: int) -> bytes | bytearray:
    """The request body, refusing more than ``limit`` bytes before reading it all (large
    bodies wait for a slot: :mod:`server.body`)."""
    async with limited_body(request, limit) as body:
        return body.data


SMALL_BODY_BYTES = 4 * 1024
"""The body limit of the signed endpoints that carry no data (state, pull, lists)."""


@dataclass(frozen=True, slots=True)
class SignedRequest:
    """An authenticated device request and its raw body."""

    device: DeviceContext
    body: bytes | bytearray


def signed(limit: Callable[[Settings], int]) -> Callable[..., AsyncIterator[SignedRequest]]:
    """A dependency checking a signed request whose body may be up to ``limit(settings)``.

    Order (every refusal before the body is read costs no memory): the headers' form and
    timestamp window; the device known, not revoked, the nonce unused; then the body,
    streamed under the limit; then the signature over it, consuming the nonce. A large body
    keeps its slot (:mod:`server.body`) until the request is answered."""

    async def signed_request(request: Request, ctx: ContextDep
                             ) -> AsyncIterator[SignedRequest]:
        headers = {k.lower(): v for k, v in request.headers.items()}
        skew = ctx.settings.clock_skew_ms
        first = read_headers(headers, skew)

        def check_first() -> None:
            with ctx.engine.connect() as conn:
                precheck(conn, first)

        await run_in_threadpool(check_first)
        path_qs = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        async with limited_body(request, limit(ctx.settings)) as body:
            def check() -> DeviceContext:
                with ctx.engine.begin() as conn:
                    return authenticate(conn, method=request.method, path_qs=path_qs,
                                        headers=headers, body_sha256=body.sha256,
                                        skew_ms=skew)

            yield SignedRequest(await run_in_threadpool(check), body.data)

    return signed_request


SignedDep = Annotated[SignedRequest, Depends(signed(lambda _: SMALL_BODY_BYTES))]
"""A signed request without data (a small body limit)."""
SignedPushDep = Annotated[SignedRequest, Depends(signed(attrgetter("max_body_bytes")))]
"""A signed push: its body up to ``Settings.max_body_bytes``."""


def admin(ctx: ContextDep, authorization: Annotated[str | None, Header()] = None) -> str:
    """Require the admin bearer token; the actor name for the audit log."""
    token = authorization.removeprefix("Bearer ").strip() if authorization else None
    check_admin(token, ctx.keys.admin_token)
    return "admin"


AdminDep = Annotated[str, Depends(admin)]
