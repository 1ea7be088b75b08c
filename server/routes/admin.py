"""County admin endpoints (bearer admin token): townships, accounts, codes, devices,
bundles, lists, review queues, elder transfers and statistics."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from assessment.errors import InputRejected, Problem
from server import county, review
from server.bundles import import_bundle, write_receipt
from server.deps import AdminDep, ContextDep
from server.elder_lookup import looks_like_id_number
from server.list_publishing import publish_checked
from server.stats import county_summary, parse_day
from server.transfers import transfer_item
from server.upload_spool import private_file, spool_body
from server.validation import ItemId, LimitedRoute

router = APIRouter(prefix="/admin", tags=["admin"], route_class=LimitedRoute)


class TownshipIn(BaseModel):
    """A new township."""

    code: str = Field(min_length=2, max_length=32)
    name: str = Field(min_length=1, max_length=100)


class AccountIn(BaseModel):
    """A new assessor account."""

    username: str = Field(min_length=2, max_length=64)
    display_name: str = Field(min_length=1, max_length=100)
    township: str
    role: str = "assessor"


class CodeIn(BaseModel):
    """Request for a one-time enrolment code."""

    username: str
    valid_hours: int = Field(default=72, ge=1, le=24 * 30)


class ListIn(BaseModel):
    """A service-list version to publish."""

    list_id: str
    version: int = Field(ge=1)
    content: str = Field(max_length=4 * 1024 * 1024)


class ResolveIn(BaseModel):
    """A review decision."""

    action: str
    note: str = Field(default="", max_length=500)


@router.get("/townships")
def townships(ctx: ContextDep, actor: AdminDep) -> list[dict[str, Any]]:
    """Every township."""
    del actor
    with ctx.engine.connect() as conn:
        return county.list_townships(conn)


@router.post("/townships", status_code=201)
def add_township(body: TownshipIn, ctx: ContextDep, actor: AdminDep) -> dict[str, str]:
    """Create a township."""
    with ctx.engine.begin() as conn:
        county.add_township(conn, body.code, body.name, actor)
    return {"code": body.code}


@router.post("/accounts", status_code=201)
def add_account(body: AccountIn, ctx: ContextDep, actor: AdminDep) -> dict[str, str]:
    """Create an assessor account in a township."""
    with ctx.engine.begin() as conn:
        county.add_account(conn, body.username, body.display_name, body.township, actor,
                           body.role)
    return {"username": body.username}


@router.post("/accounts/{username}/revoke")
def revoke_account(username: str, ctx: ContextDep, actor: AdminDep) -> dict[str, str]:
    """Revoke an account and with it every device enrolled under it."""
    with ctx.engine.begin() as conn:
        county.revoke_account(conn, username, actor)
    return {"revoked": username}


@router.post("/enrolment-codes", status_code=201)
def new_code(body: CodeIn, ctx: ContextDep, actor: AdminDep) -> dict[str, str]:
    """A one-time enrolment code (shown once)."""
    with ctx.engine.begin() as conn:
        code = county.new_enrolment_code(conn, body.username, actor, body.valid_hours)
    return {"code": code}


@router.get("/devices")
def devices(ctx: ContextDep, actor: AdminDep) -> list[dict[str, Any]]:
    """Every enrolled device."""
    del actor
    with ctx.engine.connect() as conn:
        return county.list_devices(conn)


@router.post("/devices/{device_id}/revoke")
def revoke_device(device_id: str, ctx: ContextDep, actor: AdminDep) -> dict[str, str]:
    """Revoke one laptop."""
    with ctx.engine.begin() as conn:
        county.revoke_device(conn, device_id, actor)
    return {"revoked": device_id}


@router.post("/bundles")
async def upload_bundle(request: Request, ctx: ContextDep, actor: AdminDep) -> dict[str, Any]:
    """Import an uploaded bundle exactly like ``yinling import-bundle``; answer the receipt.
    The body streams to a private file first (:mod:`server.upload_spool`), never whole into
    memory."""
    with private_file(ctx.settings.data_dir) as handle:
        await spool_body(request, ctx.settings.max_bundle_bytes, handle)

        def work() -> dict[str, Any]:
            handle.seek(0)
            outcome = import_bundle(ctx, handle, actor)
            write_receipt(outcome, ctx.settings.receipts_dir())
            receipt: dict[str, Any] = json.loads(outcome.receipt_bytes)
            return receipt

        return await run_in_threadpool(work)


@router.post("/lists", status_code=201)
def publish_list(body: ListIn, ctx: ContextDep, actor: AdminDep) -> dict[str, str]:
    """Publish a service-list version."""
    with ctx.engine.begin() as conn:
        digest = publish_checked(conn, body.list_id, body.version, body.content, actor)
    return {"sha256": digest}


@router.get("/review/{queue}")
def review_list(queue: str, ctx: ContextDep, actor: AdminDep,
                      all_items: Annotated[bool, Query(alias="all")] = False,
                      township: str | None = None) -> list[dict[str, Any]]:
    """Items of a review queue (conflicts, quarantine, mismatches, gaps)."""
    del actor
    with ctx.engine.connect() as conn:
        return review.list_queue(conn, queue, open_only=not all_items, township=township)


@router.post("/review/{queue}/{item_id}")
def review_resolve(queue: str, item_id: int, body: ResolveIn, ctx: ContextDep,
                         actor: AdminDep) -> dict[str, str]:
    """Resolve one review item."""
    review.resolve_item(ctx, queue, item_id, body.action, body.note, actor)
    return {"status": "resolved"}


@router.post("/review/conflicts/{item_id}/reveal")
def review_reveal(item_id: ItemId, ctx: ContextDep, actor: AdminDep) -> dict[str, Any]:
    """The full values of one ID-number conflict (listings mask them); audited."""
    with ctx.engine.begin() as conn:
        return review.reveal(conn, item_id, actor)


class TransferIn(BaseModel):
    """Where an elder moves to (checked, with Chinese messages, by :mod:`server.transfers`)."""

    to: str = ""
    note: str = ""


@router.post("/elders/{elder_id}/transfer")
def transfer(elder_id: str, body: TransferIn, ctx: ContextDep,
             actor: AdminDep) -> dict[str, Any]:
    """Move an elder and its assessments to another township (one transaction). The path
    takes the elder's opaque record id only: an ID number would land in access logs."""
    if looks_like_id_number(elder_id):
        raise InputRejected([Problem("elder_id", "id_number",
                                     "路径中不接受身份证号（会留在访问日志中）；请先查找老人，"
                                     "再用老人编号（档案 ID）迁移")])
    return transfer_item(ctx, elder_id, body.to, body.note, actor)


@router.get("/stats")
def stats(ctx: ContextDep, actor: AdminDep, as_of: str | None = None) -> dict[str, Any]:
    """County statistics per township (see :func:`server.stats.county_summary`; ``as_of``
    YYYY-MM-DD, default today) and open review counts."""
    del actor
    day = parse_day(as_of, "as_of")
    with ctx.engine.connect() as conn:
        return {**county_summary(conn, day), "open": review.counts(conn)}
