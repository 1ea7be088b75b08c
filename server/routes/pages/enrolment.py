"""Offline enrolment of a laptop by its request file, exactly like ``yinling county
enrol-device`` (:func:`server.enrolment.enrol`): the signed response file comes back as a
download; a refused file registers nothing."""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from assessment.errors import InputRejected
from assessment.inputreader import DEFAULT_LIMITS, parse_json
from server.deps import ContextDep
from server.enrolment import enrol, response_text
from server.errors import ServerError
from server.operators import actor_of
from server.routes.pages.common import (
    AdminWebSessionDep,
    WebSessionDep,
    check_csrf,
    page,
    page_router,
)
from server.web import enrol_view
from server.web.posts import read_upload
from server.web.responses import problem_text

log = logging.getLogger("server.pages")
router = page_router()
ENROL_REQUEST_LIMIT = 64 * 1024  # as ``POST /enrol``; a request file is under 1 KB
_FILE_TAG = re.compile(r"[^A-Za-z0-9_-]")


@router.get("/enrol")
def enrol_page(request: Request, session: WebSessionDep) -> Response:
    """The form taking a laptop's enrolment request file."""
    return page(request, session, "enrol.html", "离线登记", "townships",
                **enrol_view.form(ENROL_REQUEST_LIMIT))


def _response_download(answer: dict[str, Any]) -> Response:
    tag = _FILE_TAG.sub("", str(answer["device_id"]))[:64]
    name = f"登记回复-{tag}.json"
    return Response(response_text(answer).encode("utf-8"),
                    media_type="application/json; charset=utf-8", headers={
                        "Content-Disposition": (f'attachment; filename="enrolment-{tag}.json"; '
                                                f"filename*=UTF-8''{quote(name)}")})


@router.post("/enrol")
async def enrol_upload(request: Request, ctx: ContextDep,
                       session: AdminWebSessionDep) -> Response:
    """Enrol a laptop from its request file exactly like ``yinling county enrol-device`` and
    answer with the signed response file; a refused file registers nothing."""
    upload = await read_upload(request, ENROL_REQUEST_LIMIT)
    check_csrf(session, upload.fields)

    def refused(reason: str, status: int = 400) -> Response:
        return page(request, session, "enrol.html", "未登记", "townships", status,
                    **enrol_view.form(ENROL_REQUEST_LIMIT, reason, upload.filename))

    if not upload.data:
        return refused("请选择笔记本生成的登记申请文件（.json）。")
    try:
        wanted = parse_json(upload.data, DEFAULT_LIMITS.with_max_bytes(ENROL_REQUEST_LIMIT),
                            "file")
    except InputRejected as exc:
        return refused(f"所选文件不是登记申请文件（不是有效的 JSON 文本：{problem_text(exc)}）。")

    def work() -> dict[str, Any]:
        with ctx.engine.begin() as conn:
            return enrol(conn, wanted, ctx.keys, actor_of(session.operator), ctx.public_url)

    try:
        answer = await run_in_threadpool(work)
    except InputRejected as exc:
        return refused(problem_text(exc))
    except ServerError as exc:
        return refused(exc.message, exc.status)
    log.info("县级页面：已离线登记设备 %s", answer["device_id"])
    return _response_download(answer)
