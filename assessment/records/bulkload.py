"""Loading many elders and assessments in one transaction (demo township, roster imports).

The same rules as the one-at-a-time writes, at bulk speed: every profile is validated (the
whole load is refused if any is wrong), finalized assessments are graded by the real
:class:`~assessment.scoring.Grader` and must pass the finalize checks, numbers come from the
device counters, superseded links are resolved, the elders' current grade and due dates are
computed, and every record gets its change in the outbox. The load itself is one audit entry
(what was loaded, how many), not one per row.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select
from sqlalchemy.orm import Session

from assessment.errors import InputRejected, Problem
from assessment.forms import Form
from assessment.ids import new_id
from assessment.records import changelog, lifecycle
from assessment.records.api import AssessmentStatus, ElderProfile
from assessment.records.auditlog import append_audit
from assessment.records.convert import assessment_payload, elder_payload
from assessment.records.profiles import (
    COLUMN_ATTRIBUTES,
    check_profile,
    clean_attributes,
    stored_info,
)
from assessment.records.schema import (
    Assessment,
    DeviceState,
    Elder,
    ElderDetail,
    Village,
)
from assessment.records.search import elder_terms, sort_key, village_keys
from assessment.registry.current import current_key
from assessment.scoring import Grader
from assessment.wire.hlc import HybridClock

_CHUNK = 5000
_LOOKUP_CHUNK = 500  # ID numbers per look-up (below SQLite's bound-parameter limit)
# Page cache of the loading connection while a large load runs (KiB, as PRAGMA cache_size
# takes it when negative): the search index grows by ~30 rows per elder in random order.
_LOAD_CACHE_KIB = 262_144
_LARGE_LOAD = 20_000


@dataclass(frozen=True, slots=True)
class LoadAssessment:
    """An assessment to load: its answers and whether it was finalized.

    ``supersedes`` names an earlier assessment of the same load; when this one is finalized
    the earlier one becomes superseded.
    """

    assessment_id: str
    elder_id: str
    answers: dict[str, Any]
    finalized: bool
    created_by: str
    created_at: datetime
    finalized_at: datetime | None = None
    supersedes: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class LoadContext:
    """What a load needs from the open workspace."""

    form: Form
    grader: Grader
    clock: HybridClock
    username: str
    interval_months: int


def _elder_rows(profiles: Sequence[ElderProfile], form: Form,
                now: datetime) -> list[dict[str, Any]]:
    problems: list[Problem] = []
    rows: list[dict[str, Any]] = []
    seen_ids: set[str] = set()
    for index, profile in enumerate(profiles):
        resident, found = check_profile(profile, form)
        id_number = resident.number if resident is not None else None
        if id_number is not None:
            if id_number in seen_ids:
                found.append(Problem("A.2.8", "duplicate", "公民身份号码重复"))
            seen_ids.add(id_number)
        problems.extend(Problem(f"[{index}].{p.field}", p.code, p.message) for p in found)
        if found:
            if len(problems) > 50:
                break
            continue
        attributes, _ = clean_attributes(profile.attributes)
        sex = resident.sex if resident is not None else profile.sex
        birth = resident.birth_date if resident is not None else profile.birth_date
        name = profile.name.strip()
        row: dict[str, Any] = {
            "id": profile.elder_id or new_id(), "name": name, "name_pinyin": sort_key(name),
            "id_number": id_number, "sex": sex, "birth_date": birth,
            "township": profile.township, "village": profile.village,
            "address": profile.address, "phone": profile.phone,
            "household_id": profile.household_id,
            "info": stored_info(profile, id_number, sex, birth), "attributes": attributes,
            "current_assessment_id": None, "current_grade": None, "last_assessed": None,
            "due_on": None, "draft_count": 0, "version": 1, "created_at": now,
            "updated_at": now, "status": "active", "provenance": {},
        }
        for attr in COLUMN_ATTRIBUTES:
            row[attr] = attributes.get(attr)
        rows.append(row)
    if problems:
        raise InputRejected(problems)
    return rows


def _assessment_rows(items: Sequence[LoadAssessment], ctx: LoadContext,
                     state: DeviceState, elder_ids: set[str]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    by_id: dict[str, dict[str, Any]] = {}
    problems: list[Problem] = []
    for item in items:
        if item.elder_id not in elder_ids:
            problems.append(Problem(item.assessment_id, "elder", "评估所属的老人不在本次导入中"))
            continue
        state.assessment_counter += 1
        number = f"{state.device_code}-A{state.assessment_counter:06d}"
        answers = {k: v for k, v in item.answers.items() if v is not None}
        answers["A.1.1"] = number
        if item.finalized:
            found, result = lifecycle.finalize_check(ctx.form, ctx.grader, answers)
        else:
            found = lifecycle.answer_problems(ctx.form, answers)
            result = lifecycle.preview(ctx.form, ctx.grader, answers) if not found else None
        if found:
            problems.extend(Problem(f"{item.assessment_id}.{p.field}", p.code, p.message)
                            for p in found)
            if len(problems) > 50:
                break
            continue
        row: dict[str, Any] = {
            "id": item.assessment_id, "elder_id": item.elder_id,
            "status": (AssessmentStatus.FINALIZED if item.finalized
                       else AssessmentStatus.DRAFT).value,
            "assessment_no": number, "answers": answers, "form_version": ctx.form.version_tag,
            "rules_hash": ctx.form.rules_hash,
            "reference_date": lifecycle.parse_date(answers.get("A.1.2")),
            "reason": answers.get("A.1.3"), "supersedes": item.supersedes,
            "superseded_by": None,
            "subtotals": (dict(zip(result.dimension_keys, result.subtotals, strict=True))
                          if result else None),
            "total": result.total if result else None,
            "initial_grade": result.initial_grade if result else None,
            "reasons": list(result.reasons) if result else [],
            "final_grade": result.final_grade if result else None, "certificate_no": None,
            "assessor_1": answers.get("sign.assessor_1"),
            "assessor_2": answers.get("sign.assessor_2"), "created_by": item.created_by,
            "created_at": item.created_at, "updated_at": item.created_at,
            "finalized_at": None, "version": 1,
        }
        if item.finalized:
            state.certificate_counter += 1
            row["certificate_no"] = f"{state.device_code}-{state.certificate_counter:06d}"
            row["finalized_at"] = row["updated_at"] = item.finalized_at or item.created_at
            row["version"] = 2
        rows.append(row)
        by_id[row["id"]] = row
    for row in rows:
        if row["supersedes"] is None:
            continue
        old = by_id.get(row["supersedes"])
        if old is None or old["elder_id"] != row["elder_id"]:
            problems.append(Problem(row["id"], "supersedes", "被更正的评估不在本次导入中"))
        elif row["status"] == AssessmentStatus.FINALIZED.value:
            old["status"] = AssessmentStatus.SUPERSEDED.value
            old["superseded_by"] = row["id"]
            old["version"] += 1
    if problems:
        raise InputRejected(problems)
    return rows


def _denormalise(elders: Sequence[dict[str, Any]], assessments: Sequence[dict[str, Any]],
                 interval_months: int) -> None:
    by_elder: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in assessments:
        by_elder[row["elder_id"]].append(row)
    for elder in elders:
        mine = by_elder.get(elder["id"], [])
        elder["draft_count"] = sum(1 for a in mine
                                   if a["status"] == AssessmentStatus.DRAFT.value)
        finals = [a for a in mine if a["status"] == AssessmentStatus.FINALIZED.value]
        if not finals:
            continue
        current = max(finals, key=lambda a: current_key(a["reference_date"], a["finalized_at"],
                                                     a["id"]))
        elder["current_assessment_id"] = current["id"]
        elder["current_grade"] = current["final_grade"]
        elder["last_assessed"] = current["reference_date"]
        if current["reference_date"] is not None:
            elder["due_on"] = lifecycle.due_date(current["reference_date"], interval_months)


def _insert_terms(connection: Connection, elders: Sequence[Mapping[str, Any]]) -> None:
    """The search terms and prefix keys of new elders, in index order (fewer page splits)."""
    rows = sorted((term, elder["num"]) for elder in elders
                  for term in elder_terms(elder["name"], elder["id_number"]))
    connection.exec_driver_sql(
        "INSERT INTO search_terms (term, elder_num) VALUES (?, ?)", rows)


def _registered(session: Session, numbers: Sequence[str]) -> list[str]:
    """Those of ``numbers`` already registered: looked up in the unique index a chunk at a
    time, so a load reads what it brings, not every number in the store (a
    1,000,000-elder township is loaded in batches; each would read all the earlier ones)."""
    found: list[str] = []
    for start in range(0, len(numbers), _LOOKUP_CHUNK):
        chunk = numbers[start:start + _LOOKUP_CHUNK]
        found.extend(session.scalars(select(Elder.id_number).where(Elder.id_number.in_(chunk))))
    return found


def bulk_load(session: Session, state: DeviceState, ctx: LoadContext,
              profiles: Sequence[ElderProfile], assessments: Sequence[LoadAssessment], *,
              action: str = "bulk_load",
              progress: Callable[[int, int], None] | None = None) -> dict[str, int]:
    """Validate and insert everything inside the caller's transaction; return the counts."""
    now = changelog.utc_now()
    elders = _elder_rows(profiles, ctx.form, now)
    clash = _registered(session, [e["id_number"] for e in elders if e["id_number"]])
    if clash:
        raise InputRejected([Problem("A.2.8", "duplicate", f"公民身份号码已登记：{len(clash)} 人")])
    rows = _assessment_rows(assessments, ctx, state, {e["id"] for e in elders})
    first = int(session.scalar(select(func.coalesce(func.max(Elder.num), 0))) or 0) + 1
    for num, elder in enumerate(elders, start=first):
        elder["num"] = elder["elder_num"] = num
    _denormalise(elders, rows, ctx.interval_months)
    connection = session.connection()
    cache = None
    if len(elders) + len(rows) > _LARGE_LOAD:
        cache = connection.exec_driver_sql("PRAGMA cache_size").scalar()
        connection.exec_driver_sql(f"PRAGMA cache_size = -{_LOAD_CACHE_KIB}")
    try:
        counts = _load(session, state, ctx, elders, rows, action, progress)
    finally:
        if cache is not None:
            connection.exec_driver_sql(f"PRAGMA cache_size = {int(cache)}")
    return counts


def _load(session: Session, state: DeviceState, ctx: LoadContext,
          elders: list[dict[str, Any]], rows: list[dict[str, Any]], action: str,
          progress: Callable[[int, int], None] | None) -> dict[str, int]:
    connection = session.connection()
    total = len(elders) + len(rows)
    done = 0
    for start in range(0, len(elders), _CHUNK):
        chunk = elders[start:start + _CHUNK]
        changelog.insert_rows(connection, Elder.__table__, chunk)
        changelog.insert_rows(connection, ElderDetail.__table__, chunk)
        _insert_terms(connection, chunk)
        done += len(chunk)
        if progress is not None:
            progress(done, total)
    known = set(session.scalars(select(Village.name)))
    for elder in elders:
        village = elder["village"]
        if village and village not in known:
            keys = village_keys(village)
            changelog.insert_rows(connection, Village.__table__, [{
                "name": village, "township": elder["township"], "pinyin": keys.pinyin,
                "initials": keys.initials}])
            known.add(village)
    # Originals before corrections, so that every ``supersedes`` reference already exists.
    rows.sort(key=lambda a: (a["supersedes"] is not None, a["created_at"]))
    for start in range(0, len(rows), _CHUNK):
        chunk = rows[start:start + _CHUNK]
        changelog.insert_rows(connection, Assessment.__table__, chunk)
        done += len(chunk)
        if progress is not None:
            progress(done, total)
    changelog.append_many(session, state, ctx.clock, (
        ("elder", e["id"], e["version"], elder_payload(e)) for e in elders))
    changelog.append_many(session, state, ctx.clock, (
        ("assessment", a["id"], a["version"], assessment_payload(a)) for a in rows))
    counts = {
        "elders": len(elders), "assessments": len(rows),
        "finalized": sum(1 for a in rows if a["status"] == AssessmentStatus.FINALIZED.value),
        "superseded": sum(1 for a in rows if a["status"] == AssessmentStatus.SUPERSEDED.value),
        "drafts": sum(1 for a in rows if a["status"] == AssessmentStatus.DRAFT.value),
    }
    append_audit(session, state, ctx.clock, username=ctx.username, action=action,
                 record_type="elder", record_id=state.device_id, detail=counts)
    return counts
