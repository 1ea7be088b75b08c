"""Endpoints without device signatures: health, the county's public keys, enrolment."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from assessment.inputreader import DEFAULT_LIMITS, parse_json
from server.county import county_public
from server.deps import ContextDep, read_body
from server.enrolment import enrol

router = APIRouter(tags=["public"])


@router.get("/health")
async def health() -> dict[str, str]:
    """Liveness probe."""
    return {"status": "ok"}


@router.get("/county")
async def county(ctx: ContextDep) -> dict[str, str]:
    """The county's public keys (laptops also receive them, signed, at enrolment) and the
    form version and scoring-rules hash it grades under."""
    return {**county_public(ctx.keys.box_public, ctx.keys.sign_public),
            "form_version": ctx.grader.form_version, "rules_hash": ctx.grader.rules_hash}


ENROL_BODY_BYTES = 16 * 1024
"""An enrolment request: a one-time code, two public keys and a label."""
ENROL_LIMITS = DEFAULT_LIMITS.with_max_bytes(ENROL_BODY_BYTES)


@router.post("/enrol")
async def enrol_device(request: Request, ctx: ContextDep) -> dict[str, Any]:
    """Enrol a laptop with a one-time code; answer with the county's signed profile."""
    body = await read_body(request, ENROL_BODY_BYTES)
    data = parse_json(body, ENROL_LIMITS, "body")

    def work() -> dict[str, Any]:
        with ctx.engine.begin() as conn:
            return enrol(conn, data, ctx.keys, "enrol", ctx.public_url)

    return await run_in_threadpool(work)
