"""The FastAPI application of the county server."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from assessment import __version__
from assessment.errors import InputRejected
from assessment.wire.bundle import BundleRejected
from server.config import Settings
from server.context import ServerContext
from server.errors import ServerError
from server.routes import admin, pages, public, sync, verify
from server.validation import BodyRefused, body_refused, invalid_request, rejected_json

log = logging.getLogger("server")


async def _server_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ServerError)
    return JSONResponse({"detail": exc.message, "code": exc.code}, status_code=exc.status)


async def _rejected(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, InputRejected)
    detail = exc.reason if isinstance(exc, BundleRejected) else str(exc)
    return JSONResponse({**rejected_json(exc), "detail": detail}, status_code=400)


def create_app(settings: Settings | None = None, ctx: ServerContext | None = None, *,
               migrate: bool = True) -> FastAPI:
    """Build the app; it opens (and at shutdown closes) its own context unless given one."""
    if settings is None and ctx is None:
        raise ValueError("settings or ctx required")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own = ctx is None
        context = ServerContext.open(settings, migrate=migrate) if ctx is None and settings \
            else ctx
        assert context is not None
        app.state.ctx = context
        log.info("县级服务器已启动，数据库：%s", context.engine.dialect.name)
        try:
            yield
        finally:
            if own:
                context.close()

    app = FastAPI(title="银龄评估 县级服务器", version=__version__, lifespan=lifespan,
                  docs_url=None, redoc_url=None, openapi_url=None)
    app.add_exception_handler(ServerError, _server_error)
    app.add_exception_handler(InputRejected, _rejected)
    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_exception_handler(BodyRefused, body_refused)
    app.include_router(public.router)
    app.include_router(sync.router)
    app.include_router(admin.router)
    app.include_router(pages.router)
    app.include_router(verify.router)
    return app
