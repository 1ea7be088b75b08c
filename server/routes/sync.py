"""Device-facing sync endpoints: state, push, pull and list downloads (all signed)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from assessment.errors import InputRejected, Problem
from assessment.sync.changes import Change, change_from_json
from server.db.tables import list_versions, received_changes
from server.deps import ContextDep, SignedDep
from server.errors import NotFound
from server.feed import device_state, pull
from server.ingest import ingest

router = APIRouter(prefix="/sync", tags=["sync"])


Held = Callable[[int, int], dict[int, str]]


def parse_push(body: bytes, device_id: str, max_batch: int,
               held: Held | None = None) -> tuple[list[Change], int]:
    """The changes of a push body, and how many the county already holds.

    A change whose (seq, hash) the county already holds is a no-op and is not verified again
    (its content is ignored either way); every other change is verified in full, and any
    malformed change refuses the whole batch.
    """
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise InputRejected([Problem("body", "json", "请求内容不是有效的 JSON")]) from exc
    if not isinstance(data, dict) or set(data) != {"changes"} or \
            not isinstance(data["changes"], list):
        raise InputRejected([Problem("body", "format", "推送内容应为 {\"changes\": [...]}")])
    items = data["changes"]
    if len(items) > max_batch:
        raise InputRejected([Problem("changes", "size", f"每批最多 {max_batch} 条变更")])
    seqs = [item.get("seq") if isinstance(item, dict) else None for item in items]
    if any(item.get("device_id") != device_id for item in items if isinstance(item, dict)):
        raise InputRejected([Problem("changes", "device", "只能推送本设备的变更")])
    known: dict[int, str] = {}
    numeric = [q for q in seqs if isinstance(q, int) and not isinstance(q, bool)]
    if held is not None and numeric and len(numeric) == len(seqs):
        known = held(min(numeric), max(numeric))
    fresh: list[Change] = []
    duplicates = 0
    for i, (item, seq) in enumerate(zip(items, seqs, strict=True)):
        if isinstance(seq, int) and seq in known and known[seq] == item.get("hash"):
            duplicates += 1
            continue
        fresh.append(change_from_json(item, f"changes[{i}]"))
    if len(set(seqs)) != len(seqs):
        raise InputRejected([Problem("changes", "seq", "同一批中序号重复")])
    return fresh, duplicates


@router.get("/state")
async def state(req: SignedDep, ctx: ContextDep) -> dict[str, Any]:
    """What the county holds of this device's chain."""
    def work() -> dict[str, Any]:
        with ctx.engine.connect() as conn:
            return device_state(conn, req.device)

    return await run_in_threadpool(work)


@router.post("/push")
async def push(req: SignedDep, ctx: ContextDep) -> dict[str, Any]:
    """Apply one batch in one transaction; answer with the acknowledged sequence."""
    device_id = req.device.device_id

    def held(first: int, last: int) -> dict[int, str]:
        rc = received_changes.c
        with ctx.engine.connect() as conn:
            return {int(q): str(h) for q, h in conn.execute(
                select(rc.seq, rc.hash).where(rc.device_id == device_id,
                                              rc.seq.between(first, last)))}

    def work() -> dict[str, Any]:
        changes, duplicates = parse_push(req.body, device_id, ctx.settings.max_batch, held)
        with ctx.engine.begin() as conn:
            result = ingest(conn, device_id=device_id, township_id=req.device.township_id,
                            changes=changes, grader=ctx.grader, source="push",
                            known_duplicates=duplicates)
        return result.to_json()

    return await run_in_threadpool(work)


@router.get("/pull")
async def pull_feed(req: SignedDep, ctx: ContextDep,
                    after: Annotated[int, Query(ge=0)] = 0,
                    limit: Annotated[int, Query(ge=1, le=5000)] = 500) -> dict[str, Any]:
    """The township's changes from other devices after the cursor, with county notices."""
    def work() -> dict[str, Any]:
        with ctx.engine.connect() as conn:
            return pull(conn, req.device, after, min(limit, ctx.settings.pull_limit))

    return await run_in_threadpool(work)


@router.get("/lists/{list_id}/{version}")
async def list_content(list_id: str, version: int, req: SignedDep,
                       ctx: ContextDep) -> dict[str, Any]:
    """One published service-list version."""
    del req

    def work() -> dict[str, Any]:
        with ctx.engine.connect() as conn:
            row = conn.execute(select(list_versions).where(
                list_versions.c.list_id == list_id, list_versions.c.version == version)).first()
        if row is None:
            raise NotFound("没有该清单版本")
        return {"list_id": row.list_id, "version": row.version, "sha256": row.sha256,
                "content": row.content}

    return await run_in_threadpool(work)
