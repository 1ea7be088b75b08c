"""The county pages' Jinja2 templates (``server/web/templates``, shipped as package data).

Every value reaches a page through a template with autoescaping on, so text from the database
or a form can only ever appear as text; undefined names fail loudly instead of rendering as
empty. The base layout (``base.html``) holds the head, the navigation with the sign-out form,
the messages and the footer; ``_macros.html`` holds the table, form and list pieces the pages
share. Pages carry no scripts and no inline styles (see the Content-Security-Policy in
:mod:`server.web.responses`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.templating import Jinja2Templates

from server.review import QUEUES
from server.web.labels import UI, queue_title, when
from server.web.session import CSRF_FIELD

BRAND = "银龄评估 · 县级审核"
NAV: tuple[tuple[str, str, str], ...] = (
    ("dashboard", UI, "首页"),
    *((f"review:{q}", f"{UI}/review/{q}", queue_title(q)) for q in QUEUES),
    ("elders", f"{UI}/elders", "查找老人"), ("registry", f"{UI}/registry", "名册"),
    ("bundles", f"{UI}/bundles", "导入数据包"), ("devices", f"{UI}/devices", "设备"),
    ("townships", f"{UI}/townships", "乡镇与账号"), ("lists", f"{UI}/lists", "服务清单"),
    ("visit_plans", f"{UI}/visit-plans", "探访计划"),
)


def _blank_none(value: object) -> object:
    """``None`` prints as nothing (an absent value), not as the word "None"."""
    return "" if value is None else value


def _environment() -> Environment:
    env = Environment(loader=PackageLoader("server.web", "templates"),
                      autoescape=select_autoescape(["html"], default=True),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                      finalize=_blank_none)
    env.globals.update(UI=UI, BRAND=BRAND, NAV=NAV, CSRF_FIELD=CSRF_FIELD,
                       queue_title=queue_title)
    env.filters["when"] = when
    return env


ENVIRONMENT = _environment()
templates = Jinja2Templates(env=ENVIRONMENT)


def render(request: Request, name: str, context: Mapping[str, Any], *, status: int = 200
           ) -> HTMLResponse:
    """The page ``name`` filled with ``context`` (the page chrome's names default to a
    signed-out page: no navigation, no messages)."""
    full: dict[str, Any] = {"csrf": None, "who": "", "here": "", "messages": (),
                            **context}
    return templates.TemplateResponse(request, name, full, status_code=status)


def render_text(name: str, context: Mapping[str, Any]) -> str:
    """The page ``name`` as text (for answers that are not a template response)."""
    full: dict[str, Any] = {"csrf": None, "who": "", "here": "", "messages": (), **context}
    return ENVIRONMENT.get_template(name).render(full)
