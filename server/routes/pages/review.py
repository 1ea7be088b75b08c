"""The review queues: one page per queue (conflicts, quarantined changes, grade mismatches,
sequence gaps), the decision on one item (:func:`server.review.resolve_item`, as the admin
API), and revealing one masked ID number, recorded in the audit log."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from assessment.errors import InputRejected
from server import review
from server.deps import ContextDep
from server.errors import NotFound, ServerError
from server.operators import actor_of
from server.routes.pages.common import TOWNSHIP_CODE, WebSessionDep, check_csrf, page, page_router
from server.validation import ItemId
from server.web import lookups, review_view
from server.web.labels import ACTION_LABELS, queue_title
from server.web.posts import read_post
from server.web.responses import problem_text, redirect

router = page_router()


def _queue(queue: str) -> str:
    if queue not in review.QUEUES:
        raise NotFound("没有这个审核队列")
    return queue


@router.get("/review/{queue}")
def queue_page(queue: str, request: Request, ctx: ContextDep, session: WebSessionDep,
               township: str = "",
               all_items: Annotated[str, Query(alias="all")] = "") -> Response:
    """The items of one review queue, filtered by township, open ones unless asked."""
    queue = _queue(queue)
    township, show_all = township.strip(), all_items == "1"
    with ctx.engine.connect() as conn:
        names = lookups.names(conn)
        if township and township not in {code for code, _ in names.townships.values()}:
            session.flash("error", f"没有编码为 {township} 的乡镇，已显示全部乡镇。")
            township = ""
        items = review.list_queue(conn, queue, open_only=not show_all,
                                  township=township or None)
        elder_ids = [str(i["record_id"]) for i in items
                     if queue == "conflicts" or i.get("record_type") == "elder"]
        of_assessment = (lookups.assessment_elders(conn, [str(i["assessment_id"]) for i in items])
                         if queue == "mismatches" else {})
        elder_names = lookups.elder_names(conn, [*elder_ids, *of_assessment.values()])
    view = review_view.QueueView(queue, items, names, session.csrf, township, show_all,
                                 elder_names=elder_names, assessment_elders=of_assessment)
    return page(request, session, "review_queue.html", queue_title(queue), f"review:{queue}",
                **review_view.context(view))


@router.post("/review/{queue}/{item_id}")
async def resolve(queue: str, item_id: int, request: Request, ctx: ContextDep,
                  session: WebSessionDep) -> Response:
    """Record one decision, then back to the queue with a message."""
    fields = await read_post(request)
    check_csrf(session, fields)
    queue = _queue(queue)
    township = fields.get("township", "")
    back = review_view.queue_url(queue, township if TOWNSHIP_CODE.fullmatch(township) else "",
                                 fields.get("all") == "1")
    action, note = fields.get("action", ""), fields.get("note", "").strip()
    allowed = review.ACTIONS[queue]
    if action not in allowed:
        labels = "、".join(ACTION_LABELS.get(a, a) for a in sorted(allowed))
        session.flash("error", f"第 {item_id} 项未处理：请选择处理方式（{labels}）。")
        return redirect(back)
    if len(note) > review_view.NOTE_MAX:
        session.flash("error", f"第 {item_id} 项未处理：处理说明不能超过 "
                      f"{review_view.NOTE_MAX} 字。")
        return redirect(back)
    try:
        await run_in_threadpool(review.resolve_item, ctx, queue, item_id, action, note,
                                actor_of(session.operator))
    except ServerError as exc:
        session.flash("error", exc.message)
    except InputRejected as exc:
        session.flash("error", f"第 {item_id} 项未处理：{problem_text(exc)}")
    else:
        session.flash("ok", f"已处理{queue_title(queue)}第 {item_id} 项："
                      f"{ACTION_LABELS.get(action, action)}。")
    return redirect(back)


@router.post("/review/conflicts/{item_id}/reveal")
async def reveal_id_number(item_id: ItemId, request: Request, ctx: ContextDep,
                           session: WebSessionDep) -> Response:
    """Show one masked ID number in full, recorded in the audit log under the operator."""
    check_csrf(session, await read_post(request))

    def work() -> dict[str, Any]:
        with ctx.engine.begin() as conn:
            return review.reveal(conn, item_id, actor_of(session.operator))

    item = await run_in_threadpool(work)
    return page(request, session, "review_revealed.html", "完整号码", "review:conflicts",
                **review_view.revealed(item))
