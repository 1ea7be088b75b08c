"""Importing a bundle on the county side: verify, apply exactly like a push, sign a receipt.

Everything is checked before anything is written (:func:`assessment.wire.bundle.open_bundle`),
then the changes, the receipt row and the audit entry go into the database in one
transaction: a bundle is applied whole or not at all. A bundle id seen before is a replay and
is refused.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import Connection, insert, select

from assessment.ids import new_id
from assessment.wire.bundle import BundleRejected, OpenedBundle, open_bundle
from assessment.wire.crypto import CryptoError, load_sign_public
from assessment.wire.receipt import Receipt, sign_receipt
from server import audit
from server.auth import device_context
from server.context import ServerContext
from server.db.tables import receipts
from server.errors import ServerError
from server.ingest import IngestResult, gc_paused, ingest
from server.timeutil import utcnow


@dataclass(frozen=True, slots=True)
class ImportOutcome:
    """The applied bundle: its receipt (parsed and as file bytes) and the ingest result."""

    receipt: Receipt
    receipt_bytes: bytes
    result: IngestResult


def import_bundle(ctx: ServerContext, data: bytes, actor: str) -> ImportOutcome:
    """Verify and apply one bundle; raise :class:`BundleRejected` (nothing written) if bad."""
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

    with gc_paused():
        opened = open_bundle(data, device_key=device_key, county_box=ctx.keys.box,
                             max_bytes=ctx.settings.max_bundle_bytes)
        with ctx.engine.begin() as conn:
            return _apply(conn, ctx, opened, township["id"], actor)


def _apply(conn: Connection, ctx: ServerContext, opened: OpenedBundle, township_id: int,
           actor: str) -> ImportOutcome:
    manifest = opened.manifest
    # Re-check the device inside the transaction (it may have been revoked meanwhile).
    try:
        device_context(conn, manifest.device_id)
    except ServerError as exc:
        raise BundleRejected("device", f"数据包来自未登记或已停用的设备：{exc.message}") from exc
    seen = conn.execute(select(receipts.c.id).where(
        receipts.c.bundle_id == manifest.bundle_id)).first()
    if seen is not None:
        raise BundleRejected("replay", "该数据包已经导入过（重放），已拒绝；如需回执请重新签发")
    result = ingest(conn, device_id=manifest.device_id, township_id=township_id,
                    changes=opened.changes, grader=ctx.grader, source="bundle")
    receipt = Receipt(
        receipt_id=new_id(), device_id=manifest.device_id, bundle_id=manifest.bundle_id,
        bundle_sha256=opened.file_sha256, seq_from=manifest.seq_from, seq_to=manifest.seq_to,
        acked_seq=result.acked_seq, applied=result.applied, duplicates=result.duplicates,
        quarantined=result.quarantined, issued_at=utcnow().isoformat(timespec="seconds"),
        county_key_id=ctx.keys.sign_key_id)
    receipt_bytes = sign_receipt(receipt, ctx.keys.sign)
    conn.execute(insert(receipts).values(
        receipt_id=receipt.receipt_id, bundle_id=manifest.bundle_id,
        bundle_sha256=opened.file_sha256, device_id=manifest.device_id,
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
