"""The county's visit plans: the shipped versions plus those the county published.

A county replaces the shipped 探访关爱 plan by publishing a new version (``yinling county
visits publish FILE``). The file is checked first the way a laptop checks it (YAML within the
input limits, the plan schema, rules in the list rule language against the vocabulary, and no
second content for a ``<plan>@<version>`` already held), so nothing unusable is published.
Pulls announce every published version (:func:`announced`); a laptop fetches the content with
the county's signature (``GET /sync/visit-plans/{ref}``, signed like a service list, see
:mod:`assessment.eligibility.listseal`) and installs it after checking hash and signature. A
laptop without network gets the same signed file on a USB stick (``--signed-out``).

The county's own figures (:mod:`server.visit_stats`) use the same set of versions.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, insert, select
from sqlalchemy.exc import IntegrityError

from assessment.errors import FormFileError, InputRejected, Problem
from assessment.visits.plan import VisitPlan, parse_plan_bytes
from assessment.visits.plans import PlanRegistry, load_plans
from server import audit
from server.db.tables import visit_plan_versions
from server.errors import Conflict
from server.timeutil import iso, utcnow

log = logging.getLogger("server.visit_plans")
SOURCE = "探访计划文件"  # the "file" a refusal names


@dataclass(frozen=True, slots=True)
class PublishedPlan:
    """A plan version just published."""

    ref: str
    title: str
    sha256: str
    effective_from: str


def _refuse(message: str, field: str = "file") -> InputRejected:
    return InputRejected([Problem(field, "invalid", message)])


def county_plans(conn: Connection) -> PlanRegistry:
    """The shipped plan versions plus every valid published one (a version that no longer
    validates, or claims a ref already held with other content, is left out and logged)."""
    shipped = load_plans()
    found = {plan.ref: plan for plan in shipped.versions}
    v = visit_plan_versions.c
    for row in conn.execute(select(v.plan_ref, v.content).order_by(v.published_at, v.id)):
        where = f"county:{row.plan_ref}"
        try:
            plan = parse_plan_bytes(str(row.content).encode("utf-8"), shipped.vocabulary, where)
        except FormFileError as exc:
            log.warning("已发布的探访计划 %s 无效，不使用：%s", where, exc.reason)
            continue
        held = found.get(plan.ref)
        if held is not None:
            if held.digest != plan.digest:
                log.warning("已发布的探访计划 %s 与已有版本内容不同，不使用", where)
            continue
        found[plan.ref] = plan
    return PlanRegistry(shipped.vocabulary, tuple(found.values()))


def check_plan_file(conn: Connection, data: bytes, field: str = "file"
                    ) -> tuple[str, VisitPlan]:
    """The file's text and the plan it holds, or :class:`InputRejected` saying why a laptop
    would refuse it (or why publishing it again is pointless)."""
    try:
        content = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _refuse("探访计划文件应为 UTF-8 编码的 YAML 文本", field) from exc
    held = county_plans(conn)
    try:
        plan = parse_plan_bytes(data, held.vocabulary, SOURCE)
    except FormFileError as exc:
        where = f"{exc.key}：" if exc.key else ""
        raise _refuse(f"探访计划文件无效：{where}{exc.reason}", field) from exc
    except (AttributeError, TypeError, ValueError, RecursionError) as exc:
        raise _refuse("探访计划文件的结构无效", field) from exc
    for version in held.versions:
        if version.ref != plan.ref:
            continue
        if version.digest == plan.digest:
            raise _refuse(f"探访计划 {plan.ref} 已有完全相同的内容，无需再次发布", field)
        raise _refuse(f"探访计划 {plan.ref} 已有内容不同的同一版本，"
                      "请在文件中改用新的版本号（version）后再发布", field)
    return content, plan


def publish_plan(conn: Connection, data: bytes, actor: str) -> PublishedPlan:
    """Check a plan file and publish it for laptops to pull (audited)."""
    content, plan = check_plan_file(conn, data)
    digest = hashlib.sha256(data).hexdigest()
    try:
        with conn.begin_nested():
            conn.execute(insert(visit_plan_versions).values(
                plan_ref=plan.ref, sha256=digest, content=content, published_at=utcnow()))
    except IntegrityError as exc:
        raise Conflict(f"探访计划 {plan.ref} 已发布") from exc
    audit.record(conn, actor, "visit_plan.publish", {"plan": plan.ref, "sha256": digest})
    start = plan.period.start.isoformat() if plan.period.start else ""
    return PublishedPlan(plan.ref, plan.title, digest, start)


def announced(conn: Connection) -> list[dict[str, Any]]:
    """Every published plan version as a pull announces it, in publication order."""
    v = visit_plan_versions.c
    return [{"ref": r.plan_ref, "sha256": r.sha256, "published_at": iso(r.published_at)}
            for r in conn.execute(select(v.plan_ref, v.sha256, v.published_at)
                                  .order_by(v.published_at, v.id))]


def published_content(conn: Connection, ref: str) -> tuple[str, str] | None:
    """(content, sha256) of a published version, or None."""
    v = visit_plan_versions.c
    row = conn.execute(select(v.content, v.sha256).where(v.plan_ref == ref)).first()
    return None if row is None else (str(row.content), str(row.sha256))
