"""Importing a bundle on the county side: verify, apply exactly like a push, sign a receipt.

The bundle is read as a stream (:mod:`assessment.wire.bundle`), so memory stays bounded
whatever its size. How "applied whole or not at all" holds: the file's shape and the device's
signature over every byte are checked first (:func:`~assessment.wire.bundle.verify_bundle`,
one streamed pass, nothing written); then its frames are decrypted, checked and applied batch
by batch (:func:`server.ingest.ingest`, a few thousand changes at a time; the next batch is
decrypted and parsed by a helper thread while one is applied, :func:`read_ahead`) inside
**one** database transaction, together with the receipt row and the audit entry. A fault
found later in the stream (a frame whose tag fails, a count that does not add up, a file
changed between the passes) raises :class:`BundleRejected` inside that transaction, which
rolls every batch back. A bundle id seen before is a replay and is refused.
"""

from __future__ import annotations

import io
import os
from collections.abc import Generator, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, TypeVar

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import Connection, insert, select

from assessment.ids import new_id
from assessment.wire.bundle import BATCH, BundleRejected, VerifiedBundle, verify_bundle
from assessment.wire.crypto import CryptoError, load_sign_public
from assessment.wire.receipt import Receipt, sign_receipt
from server import audit
from server.auth import device_context
from server.context import ServerContext
from server.db.engine import is_sqlite
from server.db.planstats import FreshStatistics
from server.db.tables import receipts
from server.deferred_state import DeferredState
from server.errors import ServerError
from server.ingest import IngestResult, gc_paused, ingest
from server.rolegrants import device_grants
from server.timeutil import utcnow

_T = TypeVar("_T")


def _following(items: Iterator[_T]) -> tuple[_T] | None:
    """The next item of ``items`` (in a one-tuple), or None at their end."""
    for item in items:
        return (item,)
    return None


def read_ahead(items: Iterator[_T]) -> Generator[_T, None, None]:
    """``items``, each one read by a helper thread while the caller works on the one before.

    A bundle's next batch is decrypted, decompressed, parsed and hash-checked while the
    current one is written: the thread runs while this one waits for the database (psycopg
    releases the interpreter lock then), so the two overlap on a second core. One batch is
    read ahead, no more (memory stays bounded). A fault raised while reading (a frame that
    fails its check) is raised here, in the caller's thread, in order: after the batches
    before it and before any after it. Closing this generator early (the caller failed)
    waits for the batch being read, then stops.
    """
    with ThreadPoolExecutor(1, thread_name_prefix="bundle-read") as reader:
        pending = reader.submit(_following, items)
        while (item := pending.result()) is not None:
            pending = reader.submit(_following, items)
            yield item[0]


@dataclass(frozen=True, slots=True)
class ImportOutcome:
    """The applied bundle: its receipt (parsed and as file bytes) and the ingest result."""

    receipt: Receipt
    receipt_bytes: bytes
    result: IngestResult


@contextmanager
def _opened(source: bytes | BinaryIO | Path) -> Iterator[BinaryIO]:
    if isinstance(source, Path):
        try:
            handle = source.open("rb")
        except OSError as exc:
            raise BundleRejected("read", f"无法读取数据包：{exc.strerror}") from exc
        with handle:
            yield handle
    elif isinstance(source, bytes | bytearray):
        yield io.BytesIO(source)
    else:
        yield source


def import_bundle(ctx: ServerContext, source: bytes | BinaryIO | Path, actor: str, *,
                  batch: int = BATCH) -> ImportOutcome:
    """Verify and apply one bundle (its bytes, a seekable binary file or a path); raise
    :class:`BundleRejected` (nothing written) if bad."""
    township: dict[str, int] = {}

    def device_key(device_id: str) -> Ed25519PublicKey:
        with ctx.engine.connect() as conn:
            try:
                device, public = device_context(conn, device_id)
            except ServerError as exc:
                raise BundleRejected("device", f"数据包来自未登记或已停用的设备：{exc.message}") \
                    from exc
            finally:
                conn.rollback()
        township["id"] = device.township_id
        try:
            return load_sign_public(public)
        except CryptoError as exc:
            raise BundleRejected("device", "设备公钥无效") from exc

    with _opened(source) as handle:
        verified = verify_bundle(handle, device_key=device_key, county_box=ctx.keys.box,
                                 max_bytes=ctx.settings.max_bundle_bytes)
        with ctx.engine.begin() as conn:  # every batch, or none (see the module docstring)
            if not is_sqlite(conn):
                # psycopg prepares a statement run five times; PostgreSQL may then keep one
                # generic plan for it, chosen while this transaction's tables were still small
                # (a sequential scan), and use it for every later batch: the import then
                # slowed down with every row it had written. Plan each batch's lookups anew.
                conn.exec_driver_sql("SET LOCAL plan_cache_mode = force_custom_plan")
            return _apply(conn, ctx, verified, township["id"], actor, batch)


#: The tables a bundle import writes (analyzed as they grow: :mod:`server.db.planstats`).
WRITTEN = ("received_changes", "record_heads", "elder_field_state", "conflicts")


def _apply(conn: Connection, ctx: ServerContext, verified: VerifiedBundle, township_id: int,
           actor: str, batch: int) -> ImportOutcome:
    manifest = verified.manifest
    # Re-check the device inside the transaction (it may have been revoked meanwhile).
    try:
        device_context(conn, manifest.device_id)
    except ServerError as exc:
        raise BundleRejected("device", f"数据包来自未登记或已停用的设备：{exc.message}") from exc
    seen = conn.execute(select(receipts.c.id).where(
        receipts.c.bundle_id == manifest.bundle_id)).first()
    if seen is not None:
        raise BundleRejected("replay", "该数据包已经导入过（重放），已拒绝；如需回执请重新签发")
    result = IngestResult(0, "", 0, 0, 0)
    state = DeferredState(conn)  # each touched elder's current state once, at the end
    planner = FreshStatistics(conn, WRITTEN)  # lookups stay index scans as the tables grow
    for changes in read_ahead(verified.batches(batch)):
        with gc_paused():  # per batch: what one batch allocates is freed before the next
            step = ingest(conn, device_id=manifest.device_id, township_id=township_id,
                          changes=changes, grader=ctx.grader, source="bundle", state=state)
        del changes
        result = IngestResult(step.acked_seq, step.acked_hash, result.applied + step.applied,
                              result.duplicates + step.duplicates,
                              result.quarantined + step.quarantined, step.gaps)
        planner.done(result.applied + result.duplicates + result.quarantined)
    state.finish()
    receipt = Receipt(
        receipt_id=new_id(), device_id=manifest.device_id, bundle_id=manifest.bundle_id,
        bundle_sha256=verified.file_sha256, seq_from=manifest.seq_from, seq_to=manifest.seq_to,
        acked_seq=result.acked_seq, applied=result.applied, duplicates=result.duplicates,
        quarantined=result.quarantined, issued_at=utcnow().isoformat(timespec="seconds"),
        county_key_id=ctx.keys.sign_key_id,
        # Role grants for laptops that only exchange USB sticks (each signed on its own).
        role_grants=tuple(device_grants(conn, manifest.device_id)))
    receipt_bytes = sign_receipt(receipt, ctx.keys.sign)
    conn.execute(insert(receipts).values(
        receipt_id=receipt.receipt_id, bundle_id=manifest.bundle_id,
        bundle_sha256=verified.file_sha256, device_id=manifest.device_id,
        seq_from=manifest.seq_from, seq_to=manifest.seq_to, acked_seq=result.acked_seq,
        body=receipt_bytes.decode("utf-8"), created_at=utcnow()))
    audit.record(conn, actor, "bundle.import", {
        "device_id": manifest.device_id, "bundle_id": manifest.bundle_id,
        "seq": [manifest.seq_from, manifest.seq_to], "applied": result.applied,
        "duplicates": result.duplicates, "quarantined": result.quarantined})
    return ImportOutcome(receipt, receipt_bytes, result)


def write_receipt(outcome: ImportOutcome, folder: Path) -> Path:
    """Write the receipt file next to the others; return its path."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / f"receipt-{outcome.receipt.bundle_id}.json"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(outcome.receipt_bytes)
    return path
