"""The registry (名册): the potential-duplicate queue across townships, merging, dismissing,
deregistering, restoring and unmerging records, and importing an office's roster, each
through the same function as ``yinling county registry …``, recorded under the operator."""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from assessment.errors import InputRejected, Problem
from server.deps import ContextDep
from server.operators import actor_of
from server.routes.pages.common import (
    AdminWebSessionDep,
    WebSessionDep,
    check_csrf,
    page,
    page_router,
)
from server.web import registry_view
from server.web.posts import read_post, read_upload
from server.web.responses import redirect
from server.web.session import WebSession

log = logging.getLogger("server.pages")
router = page_router()


@router.get("/registry")
def registry_page(request: Request, ctx: ContextDep, session: WebSessionDep) -> Response:
    """The potential-duplicate queue and the roster import form."""
    from assessment.registry.officefiles import MAX_BYTES
    from server.registry import duplicate_queue, off_roll

    with ctx.engine.connect() as conn:
        pairs = duplicate_queue(conn)
        off = off_roll(conn)
    return page(request, session, "registry.html", "名册", "registry",
                **registry_view.registry_page(pairs, MAX_BYTES // (1024 * 1024), off))


async def _registry_decision(request: Request, ctx: ContextDep, session: WebSession, verb: str
                             ) -> Response:
    """Deregister, restore or unmerge through the same functions as ``yinling county registry
    deregister|restore|unmerge``, recorded under the operator's name."""
    from server import registry
    from server.county_device import CountyAuthor
    from server.elder_lookup import resolve_elder

    fields = await read_post(request)
    check_csrf(session, fields)
    actor = actor_of(session.operator)
    failed = {"deregister": "未注销", "restore": "未恢复", "unmerge": "未撤销合并"}[verb]

    def work() -> dict[str, Any]:
        with ctx.engine.begin() as conn:
            author = CountyAuthor.of(ctx)
            elder = resolve_elder(conn, fields.get("elder_id", "").strip())
            if verb == "restore":
                return registry.restore_elder(conn, author, elder, fields.get("why", ""), actor)
            if verb == "unmerge":
                return registry.unmerge_elder(conn, author, elder, fields.get("why", ""), actor)
            try:
                on = date.fromisoformat(fields.get("on", ""))
            except ValueError:
                raise InputRejected([Problem("on", "value", "注销日期应为 YYYY-MM-DD")]) from None
            return registry.deregister_elder(conn, author, elder, fields.get("reason", ""), on,
                                             fields.get("note", ""), actor)

    try:
        done = await run_in_threadpool(work)
    except InputRejected as exc:
        session.flash("error", f"{failed}：" + "；".join(p.message for p in exc.problems))
        return redirect(registry_view.URL)
    log.info("县级页面：名册%s", verb)
    moved = done.get("assessments", 0)
    session.flash("ok", {"deregister": "已注销。", "restore": "已恢复在册。",
                         "unmerge": f"已撤销合并，{moved} 份评估记录改挂回原档案。"}[verb])
    return redirect(registry_view.URL)


@router.post("/registry/deregister")
async def registry_deregister(request: Request, ctx: ContextDep,
                              session: AdminWebSessionDep) -> Response:
    """Deregister an elder exactly like ``yinling county registry deregister``."""
    return await _registry_decision(request, ctx, session, "deregister")


@router.post("/registry/restore")
async def registry_restore(request: Request, ctx: ContextDep,
                           session: AdminWebSessionDep) -> Response:
    """Put a deregistered elder back on the roll like ``yinling county registry restore``."""
    return await _registry_decision(request, ctx, session, "restore")


@router.post("/registry/unmerge")
async def registry_unmerge(request: Request, ctx: ContextDep,
                           session: AdminWebSessionDep) -> Response:
    """Undo a merge exactly like ``yinling county registry unmerge``."""
    return await _registry_decision(request, ctx, session, "unmerge")


@router.post("/registry/merge")
async def registry_merge(request: Request, ctx: ContextDep,
                         session: AdminWebSessionDep) -> Response:
    """Merge one record into another exactly like ``yinling county registry merge``."""
    from server.county_device import CountyAuthor
    from server.registry import merge_elders

    fields = await read_post(request)
    check_csrf(session, fields)
    keep, other = fields.get("keep", ""), fields.get("other", "")

    def work() -> dict[str, Any]:
        with ctx.engine.begin() as conn:
            return merge_elders(conn, CountyAuthor.of(ctx), keep, other,
                                fields.get("note", "").strip(), actor_of(session.operator))

    try:
        done = await run_in_threadpool(work)
    except InputRejected as exc:
        session.flash("error", "未合并：" + "；".join(p.message for p in exc.problems))
        return redirect(registry_view.URL)
    log.info("县级页面：档案已合并（评估 %s 份改挂）", done["assessments"])
    session.flash("ok", f"已合并，{done['assessments']} 份评估记录改挂到保留的档案。")
    return redirect(registry_view.URL)


@router.post("/registry/dismiss")
async def registry_dismiss(request: Request, ctx: ContextDep,
                           session: AdminWebSessionDep) -> Response:
    """Mark a pair "不是同一人" exactly like ``yinling county registry dismiss``."""
    from server.registry import dismiss_pair

    fields = await read_post(request)
    check_csrf(session, fields)

    def work() -> dict[str, Any]:
        with ctx.engine.begin() as conn:
            return dismiss_pair(conn, fields.get("first", ""), fields.get("second", ""),
                                fields.get("note", ""), actor_of(session.operator))

    try:
        await run_in_threadpool(work)
    except InputRejected as exc:
        session.flash("error", "未标记：" + "；".join(p.message for p in exc.problems))
        return redirect(registry_view.URL)
    log.info("县级页面：疑似重复已标记为不是同一人")
    session.flash("ok", "已标记为不是同一人，这一对不再出现在疑似重复队列中。")
    return redirect(registry_view.URL)


@router.post("/registry/import")
async def registry_import(request: Request, ctx: ContextDep,
                          session: AdminWebSessionDep) -> Response:
    """Import (or preview) an office's roster exactly like ``yinling county registry import``."""
    import tempfile
    from pathlib import Path

    from assessment.registry.officefiles import MAX_BYTES
    from server.county_device import CountyAuthor
    from server.registry_import import import_county_office_file

    upload = await read_upload(request, MAX_BYTES)
    check_csrf(session, upload.fields)
    suffix = Path(upload.filename or "").suffix.lower()
    if not upload.data or suffix not in (".csv", ".xlsx"):
        session.flash("error", "请选择 .csv 或 .xlsx 格式的名单文件。")
        return redirect(registry_view.URL)
    data = upload.data
    fields = upload.fields
    try:
        as_of = date.fromisoformat(fields.get("as_of", ""))
    except ValueError:
        session.flash("error", "请填写名单截止日期（YYYY-MM-DD）。")
        return redirect(registry_view.URL)

    def work() -> dict[str, Any]:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"roster{suffix}"
            path.write_bytes(data)
            with ctx.engine.begin() as conn:
                return import_county_office_file(
                    conn, CountyAuthor.of(ctx), path, kind=fields.get("kind", ""),
                    source=fields.get("source", ""), as_of=as_of,
                    dry_run=fields.get("dry_run") == "1", actor=actor_of(session.operator))

    try:
        summary = await run_in_threadpool(work)
    except InputRejected as exc:
        session.flash("error", "名单未导入：" + "；".join(str(p) for p in exc.problems))
        return redirect(registry_view.URL)
    log.info("县级页面：名单%s（%s 行，更新 %s 人）", "预览" if summary["dry_run"] else "导入",
             summary["rows"], summary["updated"])
    return page(request, session, "registry_summary.html", "名单导入", "registry",
                **registry_view.summary_view(summary))
