"""The server's hash-chained audit log: who did what, never personal data.

``detail`` holds ids, counts and codes only; each row's hash covers the previous row's hash,
so a removed or edited row shows.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from sqlalchemy import Connection, select, text

from assessment.wire.changes import GENESIS_HASH, canonical_json
from server.db.tables import audit
from server.timeutil import utcnow


def record(conn: Connection, actor: str, action: str, detail: Mapping[str, object]) -> None:
    """Append one audit entry inside the caller's transaction (admin actions, enrolment,
    bundle imports, revocations and review decisions; not every push)."""
    if conn.dialect.name != "sqlite":  # one chain: appenders queue (SQLite: already locked)
        conn.execute(text("SELECT pg_advisory_xact_lock(7316, 0)"))
    prev = conn.execute(select(audit.c.hash).order_by(audit.c.id.desc()).limit(1)).scalar()
    prev_hash = prev or GENESIS_HASH
    at = utcnow()
    detail_text = canonical_json(dict(detail)).decode("utf-8")
    digest = hashlib.sha256(
        canonical_json([prev_hash, at.isoformat(), actor, action, detail_text])).hexdigest()
    conn.execute(audit.insert().values(at=at, actor=actor, action=action, detail=detail_text,
                                       prev_hash=prev_hash, hash=digest))


def verify(conn: Connection) -> list[int]:
    """Ids of audit rows whose chain link does not hold (empty when intact)."""
    broken: list[int] = []
    prev_hash = GENESIS_HASH
    for row in conn.execute(select(audit.c.id, audit.c.prev_hash, audit.c.hash)
                            .order_by(audit.c.id)):
        if row.prev_hash != prev_hash:
            broken.append(row.id)
        prev_hash = row.hash
    return broken
