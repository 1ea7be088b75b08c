"""The pull side: a device's view of its township, read with a cursor.

The feed is every applied change of the township from *other* devices, in ``received_changes``
id order (ingest is serialised per township, so ids are handed out in commit order and a
cursor never skips a late commit). Each answer also carries the published service-list
and visit-plan versions and the revoked devices and accounts of the township.

A change's township is that of the elder it is about, which is not always the sender's: the
county re-assigns elders (:mod:`server.transfers`). The re-assignments themselves travel in
the feeds as the county's own changes (:mod:`server.county_device`): a transfer notice to the
old township, the elder's profile and assessment history to the new one; so does a review
decision that sets a value (:mod:`server.decisions`). Writers of another township's feed take
its lock too, so the commit-order guarantee holds for them.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, select

from server.auth import DeviceContext
from server.db.tables import accounts, devices, list_versions, received_changes
from server.timeutil import iso
from server.visit_plans import announced


def pull(conn: Connection, device: DeviceContext, after: int, limit: int) -> dict[str, Any]:
    """Up to ``limit`` changes after ``after`` plus the county notices."""
    rc = received_changes.c
    rows = conn.execute(
        select(rc.id, rc.device_id, rc.seq, rc.record_type, rc.record_id, rc.version, rc.hlc,
               rc.payload, rc.prev_hash, rc.hash)
        .where(rc.township_id == device.township_id, rc.id > after, rc.status == "applied",
               rc.device_id != device.device_id)
        .order_by(rc.id).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    changes = [{
        "device_id": r.device_id, "seq": r.seq, "record_type": r.record_type,
        "record_id": r.record_id, "version": r.version, "hlc": r.hlc,
        "payload": json.loads(r.payload), "prev_hash": r.prev_hash, "hash": r.hash,
    } for r in rows]
    cursor = rows[-1].id if rows else after
    return {"changes": changes, "cursor": cursor, "more": more, **notices(conn, device)}


def notices(conn: Connection, device: DeviceContext) -> dict[str, Any]:
    """List and visit-plan versions and the township's revoked devices and accounts."""
    versions = [{"list_id": r.list_id, "version": r.version, "sha256": r.sha256,
                 "published_at": iso(r.published_at)}
                for r in conn.execute(select(list_versions.c.list_id, list_versions.c.version,
                                             list_versions.c.sha256,
                                             list_versions.c.published_at)
                                      .order_by(list_versions.c.list_id,
                                                list_versions.c.version))]
    revoked_devices = list(conn.execute(
        select(devices.c.device_id).where(devices.c.township_id == device.township_id,
                                          devices.c.revoked_at.is_not(None))).scalars())
    revoked_accounts = list(conn.execute(
        select(accounts.c.username).where(accounts.c.township_id == device.township_id,
                                          accounts.c.revoked_at.is_not(None))).scalars())
    return {"list_versions": versions, "visit_plans": announced(conn),
            "revoked_devices": revoked_devices, "revoked_accounts": revoked_accounts}


def device_state(conn: Connection, device: DeviceContext) -> dict[str, Any]:
    """What the county holds of this device's chain."""
    row = conn.execute(select(devices.c.acked_seq, devices.c.acked_hash, devices.c.max_seq)
                       .where(devices.c.device_id == device.device_id)).one()
    return {"device_id": device.device_id, "township": device.township_code,
            "account": device.account, "acked_seq": row.acked_seq,
            "acked_hash": row.acked_hash, "max_seq": row.max_seq}
