"""An uploaded bundle goes to a private file in the county data folder, never whole into
memory: the import then reads it as a stream, exactly like ``yinling import-bundle FILE``.

The request body is copied chunk by chunk (the endpoint's size limit enforced while it comes
in, a declared ``Content-Length`` over it refused before a byte is read) into a fresh file in
``<data folder>/uploads`` (folder 0700, file 0600: only the server's user can read it; the
system's temporary folder may be a RAM disk, the data folder is not). The file is removed when
the request ends, imported or refused, so a refused upload leaves nothing behind; one left by
a server stopped in the middle of an upload is removed when the server starts again
(:func:`sweep`).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from server.body import LARGE_BYTES, declared_length, gate_of
from server.datafolder import FOLDER_MODE
from server.errors import ServerError, TooLarge

UPLOADS = "uploads"
STALE_S = 3600.0
"""An upload file this much older than the last write is a leftover (the file is written
while the body comes in, then imported within minutes)."""
WRITE_BYTES = 1024 * 1024
"""Chunks of the body gathered before each write to the file (in a worker thread)."""


def uploads_dir(data_dir: Path) -> Path:
    """Where uploads wait while they are imported (created 0700)."""
    folder = data_dir / UPLOADS
    if not folder.exists():
        folder.mkdir(parents=True, mode=FOLDER_MODE)
        if sys.platform != "win32":
            os.chmod(folder, FOLDER_MODE)  # mkdir's mode is masked by the umask
    return folder


def sweep(data_dir: Path, older_than_s: float = STALE_S) -> int:
    """Remove uploads left behind by a server stopped in the middle of one (a crash, a
    kill), older than ``older_than_s`` (another worker's upload in progress is younger);
    how many were removed."""
    folder = data_dir / UPLOADS
    if not folder.is_dir():
        return 0
    removed = 0
    limit = time.time() - older_than_s
    for entry in folder.glob("upload-*.part"):
        try:
            if entry.stat().st_mtime < limit:
                entry.unlink()
                removed += 1
        except OSError:  # gone meanwhile, or still open on Windows
            continue
    return removed


@contextmanager
def private_file(data_dir: Path) -> Iterator[BinaryIO]:
    """A new empty file (0600) in the uploads folder, open for writing and reading; removed
    when the block ends, whatever happened."""
    fd, name = tempfile.mkstemp(prefix="upload-", suffix=".part", dir=uploads_dir(data_dir))
    try:
        with os.fdopen(fd, "w+b") as handle:
            yield handle
    finally:
        Path(name).unlink(missing_ok=True)


class ChunkWriter:
    """Gathers chunks and writes them to a file about :data:`WRITE_BYTES` at a time, in a
    worker thread (the event loop never waits on the disk)."""

    def __init__(self, handle: BinaryIO) -> None:
        self.handle = handle
        self.pending: list[bytes] = []
        self.pending_bytes = 0
        self.size = 0

    async def add(self, chunk: bytes) -> None:
        """Take one chunk (written when enough has gathered)."""
        self.pending.append(chunk)
        self.pending_bytes += len(chunk)
        self.size += len(chunk)
        if self.pending_bytes >= WRITE_BYTES:
            await self.flush()

    async def flush(self) -> None:
        """Write what has gathered."""
        if self.pending:
            data = b"".join(self.pending)
            self.pending, self.pending_bytes = [], 0
            await run_in_threadpool(self.handle.write, data)


async def _copy(request: Request, limit: int, declared: int | None,
                handle: BinaryIO) -> int:
    writer = ChunkWriter(handle)
    async for chunk in request.stream():
        if declared is not None and writer.size + len(chunk) > declared:
            raise ServerError("请求内容比 Content-Length 声明的长")
        if writer.size + len(chunk) > limit:
            raise TooLarge(f"请求过大（上限 {limit} 字节）")
        await writer.add(chunk)
    await writer.flush()
    if declared is not None and writer.size != declared:
        raise ServerError("请求内容比 Content-Length 声明的短")
    await run_in_threadpool(handle.flush)
    return writer.size


async def spool_body(request: Request, limit: int, handle: BinaryIO) -> int:
    """Copy the request body (at most ``limit`` bytes) into ``handle``; its size. Large
    bodies take one of the process's few body slots while they come in
    (:class:`server.body.BodyGate`), so uploads at once are few whatever the connections."""
    declared = declared_length(request)
    if declared is not None and declared > limit:
        raise TooLarge(f"请求过大（上限 {limit} 字节）")
    if (declared if declared is not None else limit) <= LARGE_BYTES:
        return await _copy(request, limit, declared, handle)
    async with gate_of(request).slot():
        return await _copy(request, limit, declared, handle)

