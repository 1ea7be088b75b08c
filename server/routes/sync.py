"""Device-facing sync endpoints: state, push, pull and list downloads (all signed)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query
from sqlalchemy import Connection
from starlette.concurrency import run_in_threadpool

from assessment.eligibility.listseal import sign_list
from assessment.errors import InputRejected, Problem
from assessment.inputreader import DEFAULT_LIMITS, parse_json
from assessment.wire.changes import CHANGE_LINES, Change, change_from_json, split_change_lines
from server.db.engine import is_sqlite
from server.deps import ContextDep, SignedDep, SignedPushDep
from server.errors import NotFound
from server.feed import device_state, pull
from server.ingest import gc_paused, held_changes, ingest
from server.list_publishing import signed_version
from server.visit_plans import published_content

router = APIRouter(prefix="/sync", tags=["sync"])


PUSH_LIMITS = DEFAULT_LIMITS
"""Push bodies are read with the input limits (the size was bounded as the body streamed in)."""

Held = Callable[[Sequence[tuple[int, str]]], set[int]]
"""Given (seq, hash) pairs, the seqs the county already holds with that very hash."""


def parse_push(body: bytes | bytearray, device_id: str, max_batch: int,
               held: Held | None = None) -> tuple[list[Change], int]:
    """The changes of a push body, and how many the county already holds.

    A change whose (seq, hash) the county already holds is a no-op and is not verified again
    (its content is ignored either way); every other change is verified in full, and any
    malformed change refuses the whole batch.
    """
    data = parse_json(body, PUSH_LIMITS.with_max_bytes(len(body)), "body")
    if not isinstance(data, dict) or set(data) != {"changes"} or \
            not isinstance(data["changes"], list):
        raise InputRejected([Problem("body", "format", "推送内容应为 {\"changes\": [...]}")])
    items = data["changes"]
    if len(items) > max_batch:
        raise InputRejected([Problem("changes", "size", f"每批最多 {max_batch} 条变更")])
    seqs = [item.get("seq") if isinstance(item, dict) else None for item in items]
    if any(item.get("device_id") != device_id for item in items if isinstance(item, dict)):
        raise InputRejected([Problem("changes", "device", "只能推送本设备的变更")])
    known: set[int] = set()
    pairs = [(seq, item["hash"]) for item, seq in zip(items, seqs, strict=True)
             if type(seq) is int and isinstance(item, dict) and isinstance(item.get("hash"), str)]
    if held is not None and pairs and len(pairs) == len(seqs):
        known = held(pairs)
    fresh: list[Change] = []
    duplicates = 0
    for i, (item, seq) in enumerate(zip(items, seqs, strict=True)):
        if seq in known:
            duplicates += 1
            continue
        fresh.append(change_from_json(item, f"changes[{i}]", from_reader=True))
    if len(set(seqs)) != len(seqs):
        raise InputRejected([Problem("changes", "seq", "同一批中序号重复")])
    return fresh, duplicates


def parse_push_lines(body: bytes | bytearray, device_id: str, max_batch: int,
                     held: Held | None = None) -> tuple[list[Change], int]:
    """:func:`parse_push` for a :data:`~assessment.wire.changes.CHANGE_LINES` body.

    Every line's (seq, hash) is looked up at once; a line the county already holds with that
    hash is counted without parsing its JSON (its content is ignored either way). Every other
    line is parsed and verified in full and must carry its own seq and hash; anything
    malformed refuses the whole batch.
    """
    lines = split_change_lines(body)
    if len(lines) > max_batch:
        raise InputRejected([Problem("changes", "size", f"每批最多 {max_batch} 条变更")])
    seqs = [seq for seq, _, _ in lines]
    if len(set(seqs)) != len(seqs):
        raise InputRejected([Problem("changes", "seq", "同一批中序号重复")])
    known = held([(seq, digest) for seq, digest, _ in lines]) \
        if held is not None and lines else set()
    fresh: list[Change] = []
    duplicates = 0
    for i, (seq, digest, text) in enumerate(lines):
        if seq in known:
            duplicates += 1
            continue
        item = parse_json(text, PUSH_LIMITS.with_max_bytes(len(text)), f"changes[{i}]")
        if isinstance(item, dict) and item.get("device_id") != device_id:
            raise InputRejected([Problem("changes", "device", "只能推送本设备的变更")])
        change = change_from_json(item, f"changes[{i}]", from_reader=True)
        if change.seq != seq or change.hash != digest:
            raise InputRejected([Problem(f"changes[{i}]", "line",
                                         "推送行的序号或哈希与变更内容不符")])
        fresh.append(change)
    return fresh, duplicates


@router.get("/state")
async def state(req: SignedDep, ctx: ContextDep) -> dict[str, Any]:
    """What the county holds of this device's chain."""
    def work() -> dict[str, Any]:
        with ctx.engine.connect() as conn:
            return device_state(conn, req.device)

    return await run_in_threadpool(work)


@router.post("/push")
async def push(req: SignedPushDep, ctx: ContextDep,
               content_type: Annotated[str | None, Header()] = None) -> dict[str, Any]:
    """Apply one batch in one transaction; answer with the acknowledged sequence.

    The body is ``{"changes": [...]}`` (JSON) or change lines (``CHANGE_LINES``)."""
    device_id = req.device.device_id
    lines = (content_type or "").split(";")[0].strip().lower() == CHANGE_LINES
    parse = parse_push_lines if lines else parse_push
    max_batch = ctx.settings.max_batch

    def apply(conn: Connection, changes: list[Change], duplicates: int) -> dict[str, Any]:
        return ingest(conn, device_id=device_id, township_id=req.device.township_id,
                      changes=changes, grader=ctx.grader, source="push",
                      known_duplicates=duplicates).to_json()

    def held_apart(pairs: Sequence[tuple[int, str]]) -> set[int]:
        with ctx.engine.connect() as conn:
            return held_changes(conn, device_id, pairs)

    def work() -> dict[str, Any]:
        with gc_paused():
            if is_sqlite(ctx.engine):
                # SQLite takes its one writer lock at BEGIN: the held changes are looked up
                # in a short read of their own, and the rest parsed, before it is taken.
                changes, duplicates = parse(req.body, device_id, max_batch, held_apart)
                with ctx.engine.begin() as conn:
                    return apply(conn, changes, duplicates)
            # PostgreSQL: one transaction for the lookup, the parse and the ingest (which
            # takes the township lock only then).
            with ctx.engine.begin() as conn:
                changes, duplicates = parse(req.body, device_id, max_batch,
                                            partial(held_changes, conn, device_id))
                return apply(conn, changes, duplicates)

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
        with ctx.engine.begin() as conn:
            # Signed with the county key (once, then kept): laptops install only lists
            # their county signed.
            found = signed_version(conn, ctx.keys.sign, list_id, version)
        if found is None:
            raise NotFound("没有该清单版本")
        return found

    return await run_in_threadpool(work)


@router.get("/visit-plans/{ref}")
async def visit_plan_content(ref: Annotated[str, Path(max_length=140,
                                                      pattern=r"^[A-Za-z0-9_.@-]+$")],
                             req: SignedDep, ctx: ContextDep) -> dict[str, Any]:
    """One published visit-plan version, signed with the county key like a service list."""
    del req

    def work() -> dict[str, Any]:
        with ctx.engine.connect() as conn:
            found = published_content(conn, ref)
        if found is None:
            raise NotFound("没有该探访计划版本")
        content, digest = found
        return {"ref": ref, "sha256": digest, "content": content,
                "signature": sign_list(ctx.keys.sign, content.encode("utf-8"))}

    return await run_in_threadpool(work)
