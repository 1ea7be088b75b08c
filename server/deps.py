"""FastAPI dependencies: the server context, signed device requests, the admin token."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, Request
from starlette.concurrency import run_in_threadpool

from server.auth import DeviceContext, authenticate, check_admin
from server.context import ServerContext
from server.errors import TooLarge


def get_context(request: Request) -> ServerContext:
    """The context the app was built with."""
    ctx = request.app.state.ctx
    assert isinstance(ctx, ServerContext)
    return ctx


ContextDep = Annotated[ServerContext, Depends(get_context)]


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refusing more than ``limit`` bytes before reading it all."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise TooLarge(f"请求过大（上限 {limit} 字节）")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise TooLarge(f"请求过大（上限 {limit} 字节）")
        chunks.append(chunk)
    return b"".join(chunks)


@dataclass(frozen=True, slots=True)
class SignedRequest:
    """An authenticated device request and its raw body."""

    device: DeviceContext
    body: bytes


async def signed_request(request: Request, ctx: ContextDep) -> SignedRequest:
    """Read the body and check the device signature (every signed endpoint depends on it)."""
    body = await read_body(request, ctx.settings.max_body_bytes)
    path_qs = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    headers = {k.lower(): v for k, v in request.headers.items()}

    def check() -> DeviceContext:
        with ctx.engine.begin() as conn:
            return authenticate(conn, method=request.method, path_qs=path_qs, headers=headers,
                                body=body, skew_ms=ctx.settings.clock_skew_ms)

    return SignedRequest(await run_in_threadpool(check), body)


SignedDep = Annotated[SignedRequest, Depends(signed_request)]


def admin(ctx: ContextDep, authorization: Annotated[str | None, Header()] = None) -> str:
    """Require the admin bearer token; the actor name for the audit log."""
    token = authorization.removeprefix("Bearer ").strip() if authorization else None
    check_admin(token, ctx.keys.admin_token)
    return "admin"


AdminDep = Annotated[str, Depends(admin)]
