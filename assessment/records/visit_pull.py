"""Storing other laptops' visits and referrals that a pull brings from the county.

Kept apart from :mod:`assessment.records.visits` (the workspace's visit book) so that applying
pulled changes (:mod:`assessment.records.incoming`) does not depend on the facade that itself
applies them.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from assessment.records.visit_schema import ReferralRow, VisitRow
from assessment.visits.synced import visit_day, visit_payload_problem
from assessment.wire.changes import Change


def apply_remote(session: Session, change: Change, now: dt.datetime) -> str | None:
    """Store another laptop's visit or referral version (pulled from the county) in this
    store; return a Chinese reason when the payload is malformed (nothing is stored then).

    A visit is stored once (visits never change); a referral version replaces an older one.
    """
    payload = change.payload
    problem = visit_payload_problem(change.record_type, payload)
    if problem is not None:
        return problem
    if change.record_type == "visit":
        if session.get(VisitRow, change.record_id) is not None:
            return None
        entry = dict(payload["entry"])
        day = visit_day(payload)
        assert day is not None
        session.add(VisitRow(
            id=change.record_id, elder_id=str(payload["elder_id"]), visit_date=day,
            method=str(entry.get("method")), visitor=str(entry.get("visitor")),
            risk=str(entry.get("risk", ""))[:16], emergency=entry.get("emergency") is True,
            change_found=entry.get("change_found") is True, entry=entry,
            plan_ref=str(payload.get("plan")), tier=str(payload.get("tier", ""))[:32],
            device_id=change.device_id, created_by=str(payload.get("created_by", ""))[:64],
            created_at=now))
        return None
    row = session.get(ReferralRow, change.record_id)
    if row is not None and row.version >= change.version:
        return None
    values = {
        "visit_id": str(payload["visit_id"]), "elder_id": str(payload["elder_id"]),
        "kind": str(payload["kind"]), "target": str(payload["target"]),
        "note": str(payload.get("note") or ""), "status": str(payload["status"]),
        "opened_on": dt.date.fromisoformat(str(payload["opened_on"])),
        "closed_on": (dt.date.fromisoformat(str(payload["closed_on"]))
                      if payload.get("closed_on") else None),
        "outcome": payload.get("outcome"), "version": change.version,
    }
    if row is None:
        session.add(ReferralRow(id=change.record_id, **values))
    else:
        for name, value in values.items():
            setattr(row, name, value)
    return None
