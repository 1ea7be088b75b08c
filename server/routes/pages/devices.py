"""Enrolled devices, and revoking one after a confirmation step (the same
:func:`server.county.revoke_device` as the admin API and ``yinling county revoke``)."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from server import county
from server.deps import ContextDep
from server.errors import NotFound, ServerError
from server.operators import actor_of
from server.routes.pages.common import (
    AdminWebSessionDep,
    WebSessionDep,
    check_csrf,
    page,
    page_router,
)
from server.web import device_view
from server.web.labels import UI
from server.web.posts import read_post
from server.web.responses import redirect

router = page_router()


@router.get("/devices")
def devices_page(request: Request, ctx: ContextDep, session: WebSessionDep) -> Response:
    """Every enrolled device."""
    with ctx.engine.connect() as conn:
        devices = county.list_devices(conn)
        townships = {t["code"]: t["name"] for t in county.list_townships(conn)}
    return page(request, session, "devices.html", "设备", "devices",
                **device_view.listing(devices, townships))


@router.get("/devices/{device_id}/revoke")
def revoke_confirm(device_id: str, request: Request, ctx: ContextDep,
                   session: WebSessionDep) -> Response:
    """The confirmation step before a device is revoked."""
    with ctx.engine.connect() as conn:
        device = next((d for d in county.list_devices(conn) if d["device_id"] == device_id),
                      None)
    if device is None:
        raise NotFound("没有这台设备")
    if device["revoked"]:
        session.flash("error", f"设备“{device['label']}”已经停用。")
        return redirect(f"{UI}/devices")
    return page(request, session, "device_revoke.html", "停用设备", "devices",
                **device_view.confirm(device))


@router.post("/devices/{device_id}/revoke")
async def revoke(device_id: str, request: Request, ctx: ContextDep,
                 session: AdminWebSessionDep) -> Response:
    """Revoke one device (after the confirmation step)."""
    fields = await read_post(request)
    check_csrf(session, fields)
    if fields.get("confirm") != "yes":
        session.flash("error", "请在确认页面上确认停用。")
        return redirect(device_view.revoke_url(device_id))

    def work() -> None:
        with ctx.engine.begin() as conn:
            county.revoke_device(conn, device_id, actor_of(session.operator))

    try:
        await run_in_threadpool(work)
    except ServerError as exc:
        session.flash("error", exc.message)
    else:
        session.flash("ok", "设备已停用：此后该设备的请求和数据包一律拒绝。")
    return redirect(f"{UI}/devices")
