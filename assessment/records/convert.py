"""Turning stored rows into the frozen values of the contract (:mod:`assessment.records.api`).

Nothing above the store holds an ORM object or a session; these functions copy what a caller
may see, add the derived attributes, and make stored naive-UTC times aware.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from assessment.records.api import (
    AssessmentRecord,
    AssessmentStatus,
    Assessor,
    ElderProfile,
)
from assessment.records.schema import Account, Assessment, Elder


def aware(moment: datetime | None) -> datetime | None:
    """A stored naive-UTC time as an aware UTC datetime."""
    return None if moment is None else moment.replace(tzinfo=UTC)


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC)


def elder_profile(row: Elder) -> ElderProfile:
    """The profile of an elder row, with derived attributes filled in."""
    attributes: dict[str, Any] = copy.deepcopy(dict(row.detail.attributes or {}))
    attributes["birth_date"] = row.birth_date.isoformat() if row.birth_date else None
    attributes["sex"] = row.sex
    attributes["capability_grade"] = row.current_grade
    attributes["capability_assessed_on"] = (
        row.last_assessed.isoformat() if row.last_assessed else None
    )
    return ElderProfile(
        elder_id=row.id, name=row.name, id_number=row.id_number, sex=row.sex,
        birth_date=row.birth_date, township=row.township, village=row.village,
        address=row.address, phone=row.phone, info=copy.deepcopy(dict(row.detail.info or {})),
        attributes=attributes, version=row.version, updated_at=aware(row.updated_at),
        household_id=row.household_id, transferred_to=row.transferred_to,
        status=row.status or "active", left_on=row.left_on, merged_into=row.merged_into,
        provenance=copy.deepcopy(dict(row.detail.provenance or {})),
    )


def assessment_record(row: Assessment) -> AssessmentRecord:
    """The record of an assessment row (answers deep-copied)."""
    subtotals: Mapping[str, int] | None = (
        {str(k): int(v) for k, v in row.subtotals.items()} if row.subtotals is not None else None
    )
    return AssessmentRecord(
        assessment_id=row.id, elder_id=row.elder_id, status=AssessmentStatus(row.status),
        answers=copy.deepcopy(dict(row.answers or {})), form_version=row.form_version,
        rules_hash=row.rules_hash, reference_date=row.reference_date, reason=row.reason,
        supersedes=row.supersedes, superseded_by=row.superseded_by, subtotals=subtotals,
        total=row.total, initial_grade=row.initial_grade,
        reasons=tuple(str(r) for r in row.reasons or ()), final_grade=row.final_grade,
        certificate_no=row.certificate_no, created_at=_aware(row.created_at),
        updated_at=_aware(row.updated_at), finalized_at=aware(row.finalized_at),
        assessor_1=row.assessor_1, assessor_2=row.assessor_2,
        assessment_no=row.assessment_no, version=row.version,
        eligibility=copy.deepcopy(row.eligibility) if row.eligibility is not None else None,
    )


def assessor(row: Account) -> Assessor:
    """The public view of an account."""
    return Assessor(username=row.username, display_name=row.display_name, role=row.role,
                    active=row.active)


def columns_of(row: Elder | Assessment) -> dict[str, Any]:
    """A row's column values by column name."""
    return {c.key: getattr(row, c.key) for c in row.__table__.columns}


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def elder_payload(row: Elder | Mapping[str, Any]) -> dict[str, Any]:
    """The change-log snapshot of an elder (JSON-ready; no derived roster columns).

    A mapping must hold the columns plus ``info`` and ``attributes``."""
    if isinstance(row, Mapping):
        v = row
    else:
        v = columns_of(row)
        v["info"], v["attributes"] = row.detail.info, row.detail.attributes
        v["provenance"] = row.detail.provenance
    return {
        "id": v["id"], "name": v["name"], "id_number": v["id_number"], "sex": v["sex"],
        "birth_date": _iso(v["birth_date"]), "township": v["township"],
        "village": v["village"], "address": v["address"], "phone": v["phone"],
        "household_id": v["household_id"], "info": dict(v["info"] or {}),
        "attributes": dict(v["attributes"] or {}),
        "provenance": dict(v.get("provenance") or {}), "version": v["version"],
    }


def assessment_payload(row: Assessment | Mapping[str, Any]) -> dict[str, Any]:
    """The change-log snapshot of an assessment (raw answers and pinned results)."""
    v = row if isinstance(row, Mapping) else columns_of(row)
    return {
        "id": v["id"], "elder_id": v["elder_id"], "status": v["status"],
        "assessment_no": v["assessment_no"], "answers": dict(v["answers"] or {}),
        "form_version": v["form_version"], "rules_hash": v["rules_hash"],
        "reference_date": _iso(v["reference_date"]), "reason": v["reason"],
        "supersedes": v["supersedes"], "superseded_by": v["superseded_by"],
        "subtotals": dict(v["subtotals"]) if v["subtotals"] is not None else None,
        "total": v["total"], "initial_grade": v["initial_grade"],
        "reasons": list(v["reasons"] or ()), "final_grade": v["final_grade"],
        "certificate_no": v["certificate_no"], "assessor_1": v["assessor_1"],
        "assessor_2": v["assessor_2"], "created_by": v["created_by"],
        "finalized_at": _iso(v["finalized_at"]), "version": v["version"],
    }


def account_payload(row: Account) -> dict[str, Any]:
    """The change-log snapshot of an account (never a password or key)."""
    return {"username": row.username, "display_name": row.display_name, "role": row.role,
            "active": row.active, "version": row.version}
