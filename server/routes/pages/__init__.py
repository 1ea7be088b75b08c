"""The county operator's web pages under ``/admin/ui``, one module per page group: sign-in
(:mod:`.signin`), the dashboard and statistics workbook (:mod:`.dashboard`), the review
queues (:mod:`.review`), bundles (:mod:`.bundles`), devices (:mod:`.devices`), townships and
accounts (:mod:`.accounts`), offline enrolment (:mod:`.enrolment`), finding and moving
elders (:mod:`.elders`), the registry (:mod:`.registry`), the service lists (:mod:`.lists`)
and the 探访关爱 plans (:mod:`.visit_plans`).

Every page needs a session (see :mod:`server.web.session`); every form post carries the
session's CSRF token (:mod:`.common`). The pages are Jinja2 templates
(:mod:`server.web.templating`). The work itself goes through the same functions as the admin
API and the county command.
"""

from __future__ import annotations

from fastapi import APIRouter

from server.routes.pages import (
    accounts,
    bundles,
    dashboard,
    devices,
    elders,
    enrolment,
    lists,
    registry,
    review,
    signin,
    visit_plans,
)

router = APIRouter()
for _group in (signin, dashboard, review, bundles, devices, elders, accounts, enrolment,
               lists, visit_plans, registry):
    router.include_router(_group.router)
