"""The dashboard (open review items, statistics and 探访关爱 per township) and the county's
statistics workbook (``yinling county stats --out``)."""

from __future__ import annotations

import logging
from datetime import date
from typing import Annotated
from urllib.parse import quote

from fastapi import Query, Request
from starlette.responses import Response

from assessment.documents.statistics import default_period
from server import review
from server.deps import ContextDep
from server.routes.pages.common import WebSessionDep, page, page_router
from server.stats import check_period, county_summary, county_workbook, parse_day, workbook_bytes
from server.web import dashboard_view

log = logging.getLogger("server.pages")
router = page_router()
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("")
def dashboard(request: Request, ctx: ContextDep, session: WebSessionDep) -> Response:
    """Open review items per queue and the statistics per township."""
    with ctx.engine.connect() as conn:
        counts, stats = review.counts(conn), county_summary(conn)
    return page(request, session, "dashboard.html", "首页", "dashboard",
                **dashboard_view.context(counts, stats))


@router.get("/stats.xlsx")
def stats_workbook(ctx: ContextDep, session: WebSessionDep, as_of: str = "",
                   start: Annotated[str, Query(alias="from")] = "", to: str = "") -> Response:
    """The county's statistics workbook (``yinling county stats --out``): every table per
    township and village; the period defaults to the calendar year, as on the dashboard."""
    del session
    day = parse_day(as_of, "统计日期") or date.today()
    first, last = parse_day(start, "期间起始日"), parse_day(to, "期间截止日")
    if first is None and last is None:
        first, last = default_period(day)
    check_period(first, last)
    with ctx.engine.connect() as conn:
        data = workbook_bytes(county_workbook(conn, as_of=day, start=first, end=last))
    log.info("县级页面：已导出全县统计表")
    name = f"全县统计-{day.isoformat()}.xlsx"
    return Response(data, media_type=XLSX, headers={
        "Content-Disposition": (f'attachment; filename="county-stats-{day.isoformat()}.xlsx"; '
                                f"filename*=UTF-8''{quote(name)}")})
