"""Bundles carried on a USB stick: the upload page, the import (exactly like ``yinling
import-bundle``, through :func:`server.bundles.import_bundle`) and the signed receipts."""

from __future__ import annotations

import logging

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from assessment.wire.bundle import BundleRejected
from server.bundles import ImportOutcome, import_bundle, write_receipt
from server.deps import ContextDep
from server.errors import NotFound
from server.operators import actor_of
from server.routes.pages.common import (
    AdminWebSessionDep,
    WebSessionDep,
    check_csrf,
    page,
    page_router,
)
from server.upload_spool import private_file
from server.web import bundle_view, lookups
from server.web.labels import UI
from server.web.posts import read_upload_into
from server.web.responses import redirect

log = logging.getLogger("server.pages")
router = page_router()


@router.get("/bundles")
def bundles_page(request: Request, ctx: ContextDep, session: WebSessionDep) -> Response:
    """The upload form and the latest receipts."""
    with ctx.engine.connect() as conn:
        recent, names = lookups.recent_receipts(conn), lookups.names(conn)
    return page(request, session, "bundles.html", "导入数据包", "bundles",
                **bundle_view.upload_form(ctx.settings.max_bundle_bytes, recent, names))


@router.post("/bundles")
async def upload_bundle(request: Request, ctx: ContextDep,
                        session: AdminWebSessionDep) -> Response:
    """Import an uploaded bundle exactly like ``yinling import-bundle``; show the result.
    The file streams to a private file in the data folder and is imported from there
    (:mod:`server.upload_spool`): memory stays bounded whatever the bundle's size."""
    with private_file(ctx.settings.data_dir) as handle:
        upload = await read_upload_into(request, ctx.settings.max_bundle_bytes, handle)
        check_csrf(session, upload.fields)
        if not upload.size:
            session.flash("error", "请选择要导入的数据包文件（.ylb）。")
            return redirect(f"{UI}/bundles")

        def work() -> tuple[ImportOutcome, lookups.Names]:
            handle.seek(0)
            outcome = import_bundle(ctx, handle, actor_of(session.operator))
            write_receipt(outcome, ctx.settings.receipts_dir())
            with ctx.engine.connect() as conn:
                return outcome, lookups.names(conn)

        try:
            outcome, names = await run_in_threadpool(work)
        except BundleRejected as exc:
            log.warning("网页导入数据包被拒绝（%s）", exc.code)
            return page(request, session, "bundle_refused.html", "数据包未导入", "bundles",
                        400, reason=exc.reason, filename=upload.filename)
    result = outcome.result
    log.info("网页导入数据包：新增 %d 条，重复 %d 条，隔离 %d 条",
             result.applied, result.duplicates, result.quarantined)
    return page(request, session, "bundle_result.html", "数据包已导入", "bundles",
                **bundle_view.result(outcome, names))


@router.get("/receipts/{bundle_id}")
def receipt_file(bundle_id: str, ctx: ContextDep, session: WebSessionDep) -> Response:
    """The signed receipt of an imported bundle, byte for byte as signed."""
    del session
    with ctx.engine.connect() as conn:
        data = lookups.receipt_bytes(conn, bundle_id)
    if data is None:
        raise NotFound("没有该数据包的回执")
    return Response(data, media_type="application/json", headers={
        "Content-Disposition": f'attachment; filename="receipt-{bundle_id}.json"'})
