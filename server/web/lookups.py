"""Read-only look-ups the pages need besides the shared review, county and stats functions:
township and device names, elder names for review rows, and issued receipts."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from server.county import list_devices
from server.db.tables import receipts, record_heads, townships
from server.timeutil import iso

BUNDLE_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@dataclass(frozen=True, slots=True)
class Names:
    """Townships by id and code, devices by id: what the review tables print."""

    townships: dict[int, tuple[str, str]]  # id -> (code, name)
    devices: dict[str, dict[str, Any]]  # device_id -> list_devices() row

    def township(self, township_id: object) -> str:
        """``名称（编码）`` of a township id."""
        found = self.townships.get(township_id) if isinstance(township_id, int) else None
        return f"{found[1]}（{found[0]}）" if found else "—"

    def device(self, device_id: object) -> str:
        """``标签 · 账号`` of a device, or its id when unknown."""
        row = self.devices.get(str(device_id))
        return f"{row['label']} · {row['account']}" if row else str(device_id or "—")

    def device_township(self, device_id: object) -> str | None:
        """The township code of a device."""
        row = self.devices.get(str(device_id))
        return str(row["township"]) if row else None


def names(conn: Connection) -> Names:
    """Every township and device."""
    towns = {int(r.id): (str(r.code), str(r.name)) for r in
             conn.execute(select(townships.c.id, townships.c.code, townships.c.name))}
    return Names(towns, {d["device_id"]: d for d in list_devices(conn)})


def _heads(conn: Connection, record_type: str, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    wanted = sorted({i for i in ids if i})
    out: dict[str, dict[str, Any]] = {}
    h = record_heads.c
    for start in range(0, len(wanted), 500):
        for row in conn.execute(select(h.record_id, h.payload).where(
                h.record_type == record_type, h.record_id.in_(wanted[start:start + 500]))):
            try:
                payload = json.loads(row.payload)
            except ValueError:
                continue
            if isinstance(payload, dict):
                out[str(row.record_id)] = payload
    return out


def elder_names(conn: Connection, elder_ids: Iterable[str]) -> dict[str, str]:
    """The current name of each elder record the county holds."""
    return {rid: str(p["name"]) for rid, p in _heads(conn, "elder", elder_ids).items()
            if p.get("name")}


def assessment_elders(conn: Connection, assessment_ids: Iterable[str]) -> dict[str, str]:
    """The elder record id of each assessment the county holds."""
    return {rid: str(p["elder_id"]) for rid, p in
            _heads(conn, "assessment", assessment_ids).items() if p.get("elder_id")}


def recent_receipts(conn: Connection, limit: int = 20) -> list[dict[str, Any]]:
    """The latest receipts issued for imported bundles, newest first."""
    r = receipts.c
    return [{"bundle_id": row.bundle_id, "device_id": row.device_id,
             "seq_from": row.seq_from, "seq_to": row.seq_to, "acked_seq": row.acked_seq,
             "created_at": iso(row.created_at)}
            for row in conn.execute(select(r.bundle_id, r.device_id, r.seq_from, r.seq_to,
                                           r.acked_seq, r.created_at)
                                    .order_by(r.id.desc()).limit(limit))]


def receipt_bytes(conn: Connection, bundle_id: str) -> bytes | None:
    """The signed receipt file of a bundle, byte for byte as it was signed."""
    if not BUNDLE_ID.fullmatch(bundle_id):
        return None
    body = conn.execute(select(receipts.c.body).where(receipts.c.bundle_id == bundle_id)).scalar()
    return None if body is None else str(body).encode("utf-8")
