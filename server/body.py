"""Reading request bodies under limits: a size limit per endpoint, and few large bodies at once.

A body is streamed in, never more than the endpoint's limit (a declared ``Content-Length``
over it is refused before a byte is read). Bodies that may be large (declared above
:data:`LARGE_BYTES`, or of unknown length on an endpoint that allows more) first take one of a
few slots of this process (:class:`BodyGate`); a request that waits too long for one is
refused as busy. Memory for bodies is then bounded by slots × limit whatever the number of
connections. The SHA-256 of the body is computed while it streams in, for the signature check.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from starlette.requests import Request

from server.errors import Busy, ServerError, TooLarge

LARGE_BYTES = 256 * 1024
"""Bodies above this size take a slot of the :class:`BodyGate`."""
LARGE_SLOTS = 2
"""Large bodies read at once in one server process."""
SLOT_WAIT_S = 60.0
"""How long a large body waits for a slot before the request is refused as busy."""
LENGTH_DIGITS = 19


@dataclass(frozen=True, slots=True)
class Body:
    """A request body and its SHA-256 hex digest (the body may be a ``bytearray``: read
    into one buffer, handed on without a copy)."""

    data: bytes | bytearray
    sha256: str


class BodyGate:
    """The slots for large bodies of one server process (made inside its event loop)."""

    def __init__(self, slots: int = LARGE_SLOTS, wait_s: float = SLOT_WAIT_S) -> None:
        self._slots = asyncio.Semaphore(slots)
        self._wait_s = wait_s

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold one slot while a large body is read; refuse as busy after the wait."""
        try:
            await asyncio.wait_for(self._slots.acquire(), self._wait_s)
        except TimeoutError as exc:
            raise Busy("服务器正在接收其他大批数据，请稍后重试") from exc
        try:
            yield
        finally:
            self._slots.release()


def gate_of(request: Request) -> BodyGate:
    """The app's gate (made on first use; the event loop runs one coroutine at a time, so
    no lock is needed)."""
    gate = getattr(request.app.state, "body_gate", None)
    if gate is None:
        gate = BodyGate()
        request.app.state.body_gate = gate
    assert isinstance(gate, BodyGate)
    return gate


def declared_length(request: Request) -> int | None:
    """The ``Content-Length`` of a request, if it has one; refused when malformed."""
    declared = request.headers.get("content-length")
    if declared is None:
        return None
    declared = declared.strip()
    if not (declared.isascii() and declared.isdigit() and len(declared) <= LENGTH_DIGITS):
        raise ServerError("请求头 Content-Length 无效")
    return int(declared)


async def _stream(request: Request, limit: int, declared: int | None) -> Body:
    """Stream the body in: into one buffer of the declared size (never a second copy of a
    large body), else chunk by chunk."""
    digest = hashlib.sha256()
    if declared is not None:
        buffer = bytearray(declared)
        view = memoryview(buffer)
        size = 0
        async for chunk in request.stream():
            if size + len(chunk) > declared:
                raise ServerError("请求内容比 Content-Length 声明的长")
            view[size:size + len(chunk)] = chunk
            digest.update(chunk)
            size += len(chunk)
        view.release()
        if size != declared:
            raise ServerError("请求内容比 Content-Length 声明的短")
        return Body(buffer, digest.hexdigest())
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise TooLarge(f"请求过大（上限 {limit} 字节）")
        digest.update(chunk)
        chunks.append(chunk)
    return Body(b"".join(chunks), digest.hexdigest())


@asynccontextmanager
async def limited_body(request: Request, limit: int) -> AsyncIterator[Body]:
    """The body of ``request``, at most ``limit`` bytes (see the module docstring). A large
    body keeps its slot until the block ends: the caller ends it when it no longer holds the
    body, so the slots bound the bodies alive, not only those being read."""
    declared = declared_length(request)
    if declared is not None and declared > limit:
        raise TooLarge(f"请求过大（上限 {limit} 字节）")
    if (declared if declared is not None else limit) <= LARGE_BYTES:
        yield await _stream(request, limit, declared)
        return
    async with gate_of(request).slot():
        yield await _stream(request, limit, declared)
