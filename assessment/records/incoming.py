"""Applying other laptops' changes to this store: the pull side of the Outbox protocol.

:func:`apply_changes` runs inside the caller's write transaction, which also stores the new
pull cursor, so a batch and its cursor are committed together or not at all. It never appends
to this device's change log or audit log: what other devices did stays theirs, and a repeated
pull (or the same change in two batches) is recognised by (device, sequence) and skipped.

* **Elders** merge field by field with :func:`assessment.wire.merge.merge_elder`, the rule the
  county applies: per field the write with the greater (hybrid clock, device id) wins. Before
  an incoming change is merged, this laptop's own writes of that elder (from its change log)
  are folded into the field states, so both sides of a concurrent edit are seen. The losing
  value of a concurrent edit is kept as a :class:`~assessment.records.sync_schema.SyncConflict`
  (grade, score and service-list attribute fields marked for review). The elder row, its
  details, its search terms and its village are rewritten from the merged profile.
* **Assessments** are append-only: the highest version wins (ties by hybrid clock, then device
  id). Finalized and superseded ones become rows of this store, so the roster shows the
  elder's grade, last assessment and due date; other laptops' drafts are only remembered (a
  draft belongs to the laptop that keeps editing it). An assessment whose elder (or whose
  superseded assessment) has not arrived yet waits and is applied when it does.
* **Audit entries** of other laptops are kept in ``remote_audit``; accounts, settings and
  other record types are remembered as heads only (another laptop's accounts cannot sign in
  here, its settings are its own).
* **The county's own changes** (its pseudo-device, :mod:`assessment.wire.countydevice`, known
  from the enrolment key) merge like any elder change, and their mark says what else to do: a
  conflict the county resolved (with the other value, or keeping the current one: a change
  of no field) closes this laptop's copies of conflicts of that field (both writes older
  than the county's); a *transfer notice* changes no field
  and records where the elder went: ``Elder.transferred_to`` holds the new township's name
  when that is not this laptop's township (no new assessment is started for it here), and is
  cleared when the elder comes back. An elder transferred *into* this township arrives as
  the county's copies of its profile and assessments, applied like any others.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from assessment.errors import InputRejected
from assessment.records import lifecycle, rolegrants
from assessment.records.api import AssessmentStatus
from assessment.records.changelog import utc_now
from assessment.records.profiles import COLUMN_ATTRIBUTES
from assessment.records.registry_store import store_status
from assessment.records.schema import (
    Assessment,
    ChangeEntry,
    DeviceState,
    Elder,
    ElderDetail,
    Setting,
)
from assessment.records.search import sort_key
from assessment.records.sync_schema import (
    RemoteAudit,
    SyncConflict,
    SyncElderField,
    SyncElderFold,
    SyncHead,
    SyncIncoming,
    SyncStateRow,
)
from assessment.records.visit_pull import apply_remote as apply_remote_visit
from assessment.registry.current import COUNTED_STATUS, newest_first
from assessment.registry.status import MERGED
from assessment.registry.status import RECORD_TYPE as STATUS_RECORD
from assessment.registry.status import parse_payload as parse_status
from assessment.wire.changes import Change, canonical_json
from assessment.wire.countydevice import KEEP, PREFER_OTHER, TRANSFER, county_action
from assessment.wire.countygrant import GRANT_ACTION
from assessment.wire.hlc import HybridClock
from assessment.wire.merge import (
    FieldConflict,
    FieldState,
    changed_fields,
    merge_elder,
    snapshot,
)

# Assessment statuses that other laptops' records are shown with in this store.
SHOWN = frozenset({AssessmentStatus.FINALIZED.value, AssessmentStatus.SUPERSEDED.value})
_ASSESSMENT_COPY = ("status", "assessment_no", "answers", "form_version", "rules_hash",
                    "reason", "supersedes", "superseded_by", "subtotals", "total",
                    "initial_grade", "reasons", "final_grade", "certificate_no", "assessor_1",
                    "assessor_2", "created_by")

# (session, row, the name and ID number its terms were made from or None for a new row)
IndexElder = Callable[[Session, Elder, tuple[str, str | None] | None], None]


@dataclass(frozen=True, slots=True)
class IncomingReport:
    """What one :func:`apply_changes` call did."""

    applied: int
    duplicates: int
    own: int
    conflicts: int
    cursor: int


@dataclass(frozen=True, slots=True)
class CountyIdentity:
    """How this laptop knows the county's own changes and which township it serves (both
    None before enrolment)."""

    device_id: str | None = None
    township_code: str | None = None


@dataclass(slots=True)
class _Context:
    session: Session
    state: DeviceState
    interval_months: int
    index_elder: IndexElder
    now: datetime
    county: CountyIdentity
    refresh: set[str] = field(default_factory=set)
    conflicts: int = 0


def sync_state_row(session: Session) -> SyncStateRow:
    """The pull bookkeeping row (created on first use)."""
    row = session.get(SyncStateRow, 1)
    if row is None:
        row = SyncStateRow(id=1, pull_cursor=0, updated_at=utc_now())
        session.add(row)
        session.flush()
    return row


def pull_cursor(session: Session) -> int:
    """The county feed position already applied (0 before the first pull)."""
    row = session.get(SyncStateRow, 1)
    return 0 if row is None else row.pull_cursor


def apply_changes(session: Session, state: DeviceState, clock: HybridClock,
                  changes: Sequence[Change], cursor: int, *, interval_months: int,
                  index_elder: IndexElder,
                  county: CountyIdentity = CountyIdentity()) -> IncomingReport:
    """Apply other devices' changes and store ``cursor``, inside the caller's transaction.

    ``state`` is the locked device-state row (its hybrid clock moves past every change seen);
    ``index_elder`` rewrites an elder's search terms (the Workspace's own indexer); ``county``
    tells the county's own changes apart.
    """
    ctx = _Context(session, state, interval_months, index_elder, utc_now(), county)
    clock.last = max(clock.last, state.hlc)
    applied = duplicates = own = 0
    for change in changes:
        if change.device_id == state.device_id:
            own += 1  # this laptop's own change coming back (a bundle, a restored county)
            continue
        if session.get(SyncIncoming, (change.device_id, change.seq)) is not None:
            duplicates += 1
            continue
        clock.observe(change.hlc)
        _apply_one(ctx, change)
        session.add(SyncIncoming(device_id=change.device_id, seq=change.seq, hash=change.hash,
                                 record_type=change.record_type, record_id=change.record_id,
                                 applied_at=ctx.now))
        session.flush()
        applied += 1
    _apply_waiting(ctx)
    _drop_moved_away(ctx)
    for elder_id in sorted(ctx.refresh):
        elder = _find_elder(session, elder_id)
        if elder is not None:
            refresh_current(session, elder, interval_months)
    state.hlc = max(state.hlc, clock.last)
    row = sync_state_row(session)
    if cursor > row.pull_cursor:
        row.pull_cursor = cursor
        row.updated_at = ctx.now
    session.flush()
    return IncomingReport(applied, duplicates, own, ctx.conflicts, row.pull_cursor)


def _apply_one(ctx: _Context, change: Change) -> None:
    if change.record_type == "elder":
        action = _county_action(ctx, change)
        if action == TRANSFER:
            _apply_transfer(ctx, change)
            return
        _apply_elder(ctx, change)
        if action in (PREFER_OTHER, KEEP):
            _settle_conflicts(ctx, change)
    elif change.record_type == "assessment":
        _apply_assessment(ctx, change)
    elif change.record_type == "audit":
        _apply_audit(ctx, change)
    elif change.record_type == STATUS_RECORD:
        _apply_status(ctx, change)
    elif change.record_type in ("visit", "referral"):
        problem = apply_remote_visit(ctx.session, change, ctx.now)
        if problem is not None:
            _note_problem(ctx, change, "payload", problem)
        else:
            _newer_head(ctx, change)
    elif change.record_type == "assessor" and \
            _county_action(ctx, change) == GRANT_ACTION:
        _apply_role_grant(ctx, change)
        _newer_head(ctx, change)
    else:
        _newer_head(ctx, change)


# ---------------------------------------------------------------------------------- elders


def _find_elder(session: Session, elder_id: str) -> Elder | None:
    return session.scalars(select(Elder).where(Elder.id == elder_id)).first()


def _json_text(value: Any) -> str:
    return canonical_json(value).decode("utf-8")


def _field_states(ctx: _Context, elder_id: str) -> tuple[dict[str, FieldState],
                                                         dict[str, FieldState]]:
    """(stored field states, the same with this laptop's unfolded own writes merged in)."""
    session = ctx.session
    stored = {row.field: FieldState(json.loads(row.value), row.hlc, row.device_id, row.version)
              for row in session.scalars(select(SyncElderField)
                                         .where(SyncElderField.record_id == elder_id))}
    fields = dict(stored)
    fold = session.get(SyncElderFold, elder_id)
    after = 0 if fold is None else fold.own_seq
    base: dict[str, Any] | None = None
    if after:
        previous = session.get(ChangeEntry, after)
        base = json.loads(previous.payload) if previous is not None else None
    entries = session.scalars(
        select(ChangeEntry).where(ChangeEntry.record_type == "elder",
                                  ChangeEntry.record_id == elder_id, ChangeEntry.seq > after)
        .order_by(ChangeEntry.seq)).all()
    for entry in entries:
        payload = json.loads(entry.payload)
        result = merge_elder(fields, payload, changed_fields(payload, base), hlc=entry.hlc,
                             device_id=entry.device_id, version=entry.version)
        _keep_conflicts(ctx, elder_id, result.conflicts)
        fields, base = result.fields, payload
    if entries:
        if fold is None:
            session.add(SyncElderFold(record_id=elder_id, own_seq=entries[-1].seq))
        else:
            fold.own_seq = entries[-1].seq
    return stored, fields


def _keep_conflicts(ctx: _Context, elder_id: str, conflicts: Iterable[FieldConflict]) -> None:
    for conflict in conflicts:
        ctx.session.add(SyncConflict(
            kind="field", record_type="elder", record_id=elder_id, field=conflict.field,
            winner_value=_json_text(conflict.winner.value),
            winner_device=conflict.winner.device_id, winner_hlc=conflict.winner.hlc,
            loser_value=_json_text(conflict.loser.value), loser_device=conflict.loser.device_id,
            loser_hlc=conflict.loser.hlc, review_required=conflict.review_required,
            created_at=ctx.now))
        ctx.conflicts += 1


def _apply_elder(ctx: _Context, change: Change) -> None:
    payload = change.payload
    if not all(isinstance(payload.get(k, {}), Mapping) for k in ("info", "attributes")) or \
            not isinstance(payload.get("changed", []), list):
        _note_problem(ctx, change, "invalid_payload", "老年人档案格式不符，未应用")
        return
    stored, fields = _field_states(ctx, change.record_id)
    base = snapshot(fields) if change.version > 1 and fields and \
        not isinstance(payload.get("changed"), list) else None
    result = merge_elder(fields, payload, changed_fields(payload, base), hlc=change.hlc,
                         device_id=change.device_id, version=change.version)
    _keep_conflicts(ctx, change.record_id, result.conflicts)
    for path, state in result.fields.items():
        if stored.get(path) != state:
            _store_field(ctx.session, change.record_id, path, state)
    row = _find_elder(ctx.session, change.record_id)
    if row is None or result.updated:
        _write_elder(ctx, change.record_id, result.fields, row, change.version)
    elif row.version < change.version:
        row.version = change.version


def _store_field(session: Session, elder_id: str, path: str, state: FieldState) -> None:
    row = session.get(SyncElderField, (elder_id, path))
    if row is None:
        session.add(SyncElderField(record_id=elder_id, field=path, value=_json_text(state.value),
                                   hlc=state.hlc, device_id=state.device_id,
                                   version=state.version))
    else:
        row.value, row.hlc = _json_text(state.value), state.hlc
        row.device_id, row.version = state.device_id, state.version


def _text(value: Any, limit: int) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text[:limit] or None


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _moment(value: Any) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
    return None if moment is None else moment.replace(tzinfo=None)


def _write_elder(ctx: _Context, elder_id: str, fields: Mapping[str, FieldState],
                 row: Elder | None, version: int) -> None:
    """(Re)write the elder row and its details from the merged profile."""
    session = ctx.session
    merged = snapshot(fields)
    info = {k: v for k, v in merged["info"].items() if v is not None}
    attributes = {k: v for k, v in merged["attributes"].items() if v is not None}
    provenance = {k: v for k, v in merged.get("provenance", {}).items() if v is not None}
    name = _text(merged.get("name"), 64) or "（未知）"
    id_number = _text(merged.get("id_number"), 18)
    if id_number is not None:
        other = session.scalars(select(Elder.id).where(Elder.id_number == id_number,
                                                       Elder.id != elder_id)).first()
        if other is not None:
            _note_duplicate(ctx, elder_id, other, fields.get("id_number"))
            id_number = None
    columns: dict[str, Any] = {
        "name": name, "name_pinyin": sort_key(name), "id_number": id_number,
        "sex": _text(merged.get("sex"), 2), "birth_date": _day(merged.get("birth_date")),
        "township": _text(merged.get("township"), 64),
        "village": _text(merged.get("village"), 64),
        "address": _text(merged.get("address"), 200), "phone": _text(merged.get("phone"), 20),
        "household_id": _text(merged.get("household_id"), 36),
    }
    for attr in COLUMN_ATTRIBUTES:
        value = attributes.get(attr)
        columns[attr] = value if isinstance(value, str) else None
    terms_from = None if row is None else (row.name, row.id_number)
    if row is None:
        row = Elder(id=elder_id, version=version, created_at=ctx.now, updated_at=ctx.now,
                    draft_count=0, detail=ElderDetail(info=info, attributes=attributes,
                                                      provenance=provenance),
                    **columns)
        session.add(row)
    else:
        for key, value in columns.items():
            setattr(row, key, value)
        row.detail.info, row.detail.attributes = info, attributes
        row.detail.provenance = provenance
        row.version = max(row.version, version)
        row.updated_at = ctx.now
    session.flush()
    ctx.index_elder(session, row, terms_from)
    ctx.refresh.add(elder_id)


def _note_duplicate(ctx: _Context, elder_id: str, other_id: str,
                    state: FieldState | None) -> None:
    """Two elders with one ID number: keep both, flag it once for review."""
    exists = ctx.session.scalars(select(SyncConflict.id).where(
        SyncConflict.kind == "duplicate_id_number", SyncConflict.record_id == elder_id)).first()
    if exists is not None:
        return
    ctx.session.add(SyncConflict(
        kind="duplicate_id_number", record_type="elder", record_id=elder_id, field="id_number",
        winner_value=_json_text(other_id), winner_device=ctx.state.device_id, winner_hlc=0,
        loser_value=_json_text(None if state is None else state.value),
        loser_device="" if state is None else state.device_id,
        loser_hlc=0 if state is None else state.hlc, review_required=True, created_at=ctx.now))
    ctx.conflicts += 1


def _note_problem(ctx: _Context, change: Change, kind: str, reason: str) -> None:
    ctx.session.add(SyncConflict(
        kind=kind, record_type=change.record_type, record_id=change.record_id, field="",
        winner_value=_json_text(reason), winner_device=ctx.state.device_id, winner_hlc=0,
        loser_value=_json_text({"seq": change.seq, "hash": change.hash}),
        loser_device=change.device_id, loser_hlc=change.hlc, review_required=True,
        created_at=ctx.now))
    ctx.conflicts += 1


# ---------------------------------------------------------------------------------- county


def _county_action(ctx: _Context, change: Change) -> str | None:
    """The action of a change the county wrote, None for any other device's change."""
    if ctx.county.device_id is None or change.device_id != ctx.county.device_id:
        return None
    found = county_action(change.payload)
    return None if found is None else found[0]


def _apply_role_grant(ctx: _Context, change: Change) -> None:
    """Keep a role grant the county signed for this laptop (others' grants: heads only)."""
    grant = change.payload.get("grant")
    if not isinstance(grant, Mapping) or grant.get("device_id") != ctx.state.device_id:
        return
    county = ctx.session.get(Setting, rolegrants.COUNTY_SIGN_PUBLIC)
    if county is None or not isinstance(county.value, str) or \
            not rolegrants.keep_county_grant(ctx.session, grant, county.value,
                                             ctx.state.device_id):
        _note_problem(ctx, change, "invalid_payload", "县级角色授权签名无效，未应用")


def _apply_transfer(ctx: _Context, change: Change) -> None:
    """Record where the county moved an elder (see the module docstring)."""
    found = county_action(change.payload)
    mark = {} if found is None else found[1]
    to, to_name = mark.get("to"), mark.get("to_name")
    if not isinstance(to, str) or not isinstance(to_name, str):
        _note_problem(ctx, change, "invalid_payload", "迁移通知格式不符，未应用")
        return
    row = _find_elder(ctx.session, change.record_id)
    if row is None:
        return  # never held here: nothing to mark
    row.transferred_to = None if to == ctx.county.township_code else (to_name or to)[:100]
    row.version = max(row.version, change.version)


def _settle_conflicts(ctx: _Context, change: Change) -> None:
    """Close this laptop's conflicts of the fields the county decided (both writes older)."""
    found = county_action(change.payload)
    if found is not None and found[0] == KEEP:  # the decided field is named by the mark
        kept = found[1].get("field")
        fields = [kept] if isinstance(kept, str) else []
    else:
        changed = change.payload.get("changed")
        fields = [f for f in changed if isinstance(f, str)] if isinstance(changed, list) else []
    if not fields:
        return
    ctx.session.execute(update(SyncConflict).where(
        SyncConflict.kind == "field", SyncConflict.record_type == "elder",
        SyncConflict.record_id == change.record_id, SyncConflict.field.in_(fields),
        SyncConflict.resolved_at.is_(None), SyncConflict.winner_hlc <= change.hlc,
        SyncConflict.loser_hlc <= change.hlc).values(resolved_at=ctx.now,
                                                    resolved_by=change.device_id))


# ---------------------------------------------------------------------------------- lifecycle


def _apply_status(ctx: _Context, change: Change) -> None:
    """An elder deregistered, restored or merged elsewhere (the newest record holds). A
    merge re-points nothing here by itself: the county re-sends the moved assessments with
    the kept elder's id (see :func:`_show_assessment`)."""
    try:
        status = parse_status(change.record_id, change.payload)
    except InputRejected:
        _note_problem(ctx, change, "invalid_payload", "老人状态记录格式不符，未应用")
        return
    stored = store_status(ctx.session, status, hlc=change.hlc, device_id=change.device_id)
    if stored and (status.status == MERGED or status.active):
        ctx.refresh.add(change.record_id)


# ---------------------------------------------------------------------------------- heads


def _newer_head(ctx: _Context, change: Change) -> SyncHead | None:
    """Remember ``change`` as the record's head when it is newer; the head, or None."""
    head = ctx.session.get(SyncHead, (change.record_type, change.record_id))
    key = (change.version, change.hlc, change.device_id)
    if head is not None and (head.version, head.hlc, head.device_id) >= key:
        return None
    elder_id = change.payload.get("elder_id")
    values = {"version": change.version, "device_id": change.device_id, "hlc": change.hlc,
              "payload": _json_text(dict(change.payload)),
              "elder_id": elder_id if isinstance(elder_id, str) else None, "waiting": False}
    if head is None:
        head = SyncHead(record_type=change.record_type, record_id=change.record_id, **values)
        ctx.session.add(head)
    else:
        for name, value in values.items():
            setattr(head, name, value)
    return head


# ---------------------------------------------------------------------------------- assessments


def _apply_assessment(ctx: _Context, change: Change) -> None:
    head = _newer_head(ctx, change)
    if head is None or change.payload.get("status") not in SHOWN:
        return
    head.waiting = not _show_assessment(ctx, head)


def _own_key(session: Session, assessment_id: str, version: int) -> tuple[int, str] | None:
    """(hybrid clock, device) of this laptop's own write of that version, if it made one."""
    entry = session.scalars(select(ChangeEntry).where(
        ChangeEntry.record_type == "assessment", ChangeEntry.record_id == assessment_id,
        ChangeEntry.version == version)).first()
    return None if entry is None else (entry.hlc, entry.device_id)


def _show_assessment(ctx: _Context, head: SyncHead) -> bool:
    """Write a finalized or superseded assessment of another laptop into the store.

    False when it must wait (its elder or the assessment it supersedes is not here yet).
    """
    session = ctx.session
    payload: dict[str, Any] = json.loads(head.payload)
    elder = _find_elder(session, str(payload.get("elder_id")))
    supersedes = payload.get("supersedes")
    if elder is None or (supersedes is not None and
                         session.get(Assessment, str(supersedes)) is None):
        return False
    row = session.get(Assessment, head.record_id)
    if row is not None and row.version >= head.version:
        own = _own_key(session, head.record_id, row.version)
        if row.version > head.version or (own is not None and own >= (head.hlc,
                                                                         head.device_id)):
            return True
    values: dict[str, Any] = {name: payload.get(name) for name in _ASSESSMENT_COPY}
    values["answers"] = dict(values["answers"] or {})
    values["reasons"] = list(values["reasons"] or [])
    values["reference_date"] = _day(payload.get("reference_date"))
    values["finalized_at"] = _moment(payload.get("finalized_at"))
    values["version"] = head.version
    values["updated_at"] = ctx.now
    try:
        with session.begin_nested():
            if row is None:
                row = Assessment(id=head.record_id, elder_id=elder.id,
                                 created_at=values["finalized_at"] or ctx.now, **values)
                session.add(row)
            else:
                if row.status == AssessmentStatus.DRAFT.value:
                    elder.draft_count = max(0, elder.draft_count - 1)
                if row.elder_id != elder.id:  # re-pointed by a merge (or its undoing)
                    ctx.refresh.add(row.elder_id)
                    row.elder_id = elder.id
                for name, value in values.items():
                    setattr(row, name, value)
            session.flush()
    except IntegrityError:
        session.expire_all()
        _note_problem_head(ctx, head, "unapplicable", "评估记录与本机记录冲突（编号重复），未应用")
        return True
    ctx.refresh.add(elder.id)
    return True


def _note_problem_head(ctx: _Context, head: SyncHead, kind: str, reason: str) -> None:
    ctx.session.add(SyncConflict(
        kind=kind, record_type=head.record_type, record_id=head.record_id, field="",
        winner_value=_json_text(reason), winner_device=ctx.state.device_id, winner_hlc=0,
        loser_value=_json_text({"version": head.version}), loser_device=head.device_id,
        loser_hlc=head.hlc, review_required=True, created_at=ctx.now))
    ctx.conflicts += 1


def _apply_waiting(ctx: _Context) -> None:
    """Show waiting assessments whose elder (or superseded assessment) has now arrived."""
    while True:
        waiting = ctx.session.scalars(select(SyncHead).where(
            SyncHead.record_type == "assessment", SyncHead.waiting.is_(True))).all()
        progressed = False
        for head in waiting:
            if _show_assessment(ctx, head):
                head.waiting = False
                progressed = True
        ctx.session.flush()
        if not progressed:
            return


def _drop_moved_away(ctx: _Context) -> None:
    """Take off this store the assessments the county re-pointed to an elder it does not hold
    (undoing a merge across townships sends the kept record's township copies naming the
    other record again): they leave the elder they were shown under. Their head keeps the
    county's payload, waiting, so they are shown again should that elder ever arrive here. A
    row another row here still supersedes stays until that one goes."""
    session = ctx.session
    gone: dict[str, Assessment] = {}
    for head in session.scalars(select(SyncHead).where(
            SyncHead.record_type == "assessment", SyncHead.waiting.is_(True))).all():
        if head.elder_id is None or _find_elder(session, head.elder_id) is not None:
            continue
        row = session.get(Assessment, head.record_id)
        if row is not None and row.elder_id != head.elder_id and row.version < head.version:
            gone[row.id] = row
    while gone:
        held = set(session.scalars(select(Assessment.supersedes).where(
            Assessment.supersedes.in_(sorted(gone)))).all())
        free = [row for assessment_id, row in sorted(gone.items()) if assessment_id not in held]
        if not free:
            return
        for row in free:
            ctx.refresh.add(row.elder_id)
            session.delete(row)
            del gone[row.id]
        session.flush()


def refresh_current(session: Session, elder: Elder, interval_months: int) -> None:
    """Recompute an elder's denormalised current grade, last assessment and due date
    (:mod:`assessment.registry.current`: the one rule, also for a finalize on this laptop)."""
    session.flush()
    current = session.scalars(
        select(Assessment)
        .where(Assessment.elder_id == elder.id, Assessment.status == COUNTED_STATUS)
        .order_by(*newest_first(Assessment.reference_date, Assessment.finalized_at,
                                Assessment.id))
        .limit(1)).first()
    if current is None:
        elder.current_assessment_id = elder.current_grade = None
        elder.last_assessed = elder.due_on = None
        return
    elder.current_assessment_id = current.id
    elder.current_grade = current.final_grade
    elder.last_assessed = current.reference_date
    elder.due_on = (lifecycle.due_date(current.reference_date, interval_months)
                    if current.reference_date else None)


# ---------------------------------------------------------------------------------- audit


def _apply_audit(ctx: _Context, change: Change) -> None:
    payload = change.payload
    entry_id = str(payload.get("id") or change.record_id)
    if ctx.session.get(RemoteAudit, entry_id) is not None:
        return
    seq = payload.get("seq")
    ctx.session.add(RemoteAudit(
        entry_id=entry_id, device_id=change.device_id,
        seq=seq if isinstance(seq, int) else 0,
        username=str(payload.get("username", ""))[:64], action=str(payload.get("action", ""))[:32],
        record_type=str(payload.get("record_type", ""))[:16],
        record_id=str(payload.get("record_id", ""))[:64], body=_json_text(dict(payload)),
        hash=str(payload.get("hash", ""))[:64]))


# ---------------------------------------------------------------------------------- reading


@dataclass(frozen=True, slots=True)
class LocalConflict:
    """A conflict (or other sync problem) kept on this laptop, as read back."""

    conflict_id: int
    kind: str
    record_type: str
    record_id: str
    field: str
    winner_value: Any
    winner_device: str
    loser_value: Any
    loser_device: str
    review_required: bool
    created_at: datetime
    resolved_at: datetime | None = None  # when the county's decision on it arrived


def read_conflicts(session: Session, record_id: str | None = None, *,
                   include_resolved: bool = False) -> list[LocalConflict]:
    """Kept conflicts the county has not settled (all with ``include_resolved``), oldest
    first (of one record when ``record_id`` is given)."""
    query = select(SyncConflict).order_by(SyncConflict.id)
    if record_id is not None:
        query = query.where(SyncConflict.record_id == record_id)
    if not include_resolved:
        query = query.where(SyncConflict.resolved_at.is_(None))
    return [LocalConflict(row.id, row.kind, row.record_type, row.record_id, row.field,
                          json.loads(row.winner_value), row.winner_device,
                          json.loads(row.loser_value), row.loser_device, row.review_required,
                          row.created_at, row.resolved_at)
            for row in session.scalars(query)]
