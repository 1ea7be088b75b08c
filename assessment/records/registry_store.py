"""The elder registry of a workspace (``workspace.registry``): an elder's
lifecycle (deregistration, restoration), roster imports with provenance, duplicate candidates
and the registry export's rows (:mod:`assessment.registry`).

Each write is one transaction that changes the rows, appends the changes (``elder_status``
for the lifecycle, ``elder`` for attributes and their provenance) and the audit entries.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from assessment.errors import InputRejected, Problem
from assessment.records import changelog, rolegrants
from assessment.records.api import ElderProfile
from assessment.records.context import Context
from assessment.records.convert import elder_payload
from assessment.records.elders import elder_row
from assessment.records.profiles import COLUMN_ATTRIBUTES, elder_change_payload
from assessment.records.schema import (
    DeviceState,
    Elder,
    ElderStatusRow,
    RegistryImport,
    Setting,
)
from assessment.records.search import sort_key
from assessment.records.sync_schema import SyncConflict
from assessment.registry import duplicates
from assessment.registry.export import ExportRow
from assessment.registry.plan import ImportPlan, RegistryEntry
from assessment.registry.status import (
    ACTIVE,
    DEREGISTERED,
    RECORD_TYPE,
    ElderStatus,
    check_deregistration,
    check_why,
    parse_payload,
)
from assessment.wire.restoreauthority import make_authority


def status_of(session: Session, elder_id: str) -> ElderStatus:
    """The current lifecycle record of an elder (active, version 0, when never set)."""
    row = session.get(ElderStatusRow, elder_id)
    if row is None:
        return ElderStatus(elder_id)
    return parse_payload(elder_id, row.payload)


def store_status(session: Session, status: ElderStatus, *, hlc: int, device_id: str) -> bool:
    """Make ``status`` the elder's current lifecycle record when it is newer than the one
    held (version, hybrid clock, device id) and update the elder row; True when it was."""
    row = session.get(ElderStatusRow, status.elder_id)
    if row is not None and (row.version, row.hlc, row.device_id) >= \
            (status.version, hlc, device_id):
        return False
    if row is None:
        session.add(ElderStatusRow(elder_id=status.elder_id, version=status.version, hlc=hlc,
                                   device_id=device_id, payload=status.payload()))
    else:
        row.version, row.hlc, row.device_id = status.version, hlc, device_id
        row.payload = status.payload()
    elder = session.scalars(select(Elder).where(Elder.id == status.elder_id)).first()
    if elder is not None:
        elder.status = status.status
        elder.left_on = status.left_on if not status.active else None
        elder.merged_into = status.merged_into
    session.flush()
    return True


class Registry:
    """The elder registry of one open workspace (``workspace.registry``)."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx
        self._store = ctx.store

    # ------------------------------------------------------------------ lifecycle

    def status(self, elder_id: str) -> ElderStatus:
        """The elder's lifecycle record (on the roll, deregistered, merged)."""
        with self._store.reading() as session:
            elder_row(session, elder_id)
            return status_of(session, elder_id)

    def _write_status(self, session: Session, state: DeviceState, status: ElderStatus,
                      action: str, detail: Mapping[str, Any]) -> None:
        change = changelog.append_change(session, state, self._store.clock, record_type=RECORD_TYPE,
                                         record_id=status.elder_id, version=status.version,
                                         payload=status.payload())
        store_status(session, status, hlc=change.hlc, device_id=state.device_id)
        self._store.audit(session, state, action, RECORD_TYPE, status.elder_id, dict(detail))
        self._store.touched(RECORD_TYPE, status.elder_id)
        self._store.touched("elder", status.elder_id)

    def deregister(self, elder_id: str, reason: str, on: date, note: str = "") -> ElderStatus:
        """Deregister an elder (死亡, 迁出本县, 登记错误, 其他) from ``on``: out of the due list,
        service rosters, visit lists and current statistics from that day; no new
        assessment or edit. Nothing is deleted; a supervisor can restore."""
        code = check_deregistration(reason, on, note)
        with self._store.writing() as (session, state):
            elder_row(session, elder_id)
            current = status_of(session, elder_id)
            if not current.active:
                raise InputRejected([Problem("elder_id", current.status,
                                             f"该老人{current.label()}，不能重复注销")])
            status = ElderStatus(elder_id, DEREGISTERED, code, on, note.strip(),
                                 version=current.version + 1,
                                 by=self._ctx.username, at=_now_text())
            self._write_status(session, state, status, "deregister",
                               {"reason": code, "on": on.isoformat()})
            return status

    def restore(self, elder_id: str, why: str) -> ElderStatus:
        """Put a deregistered elder back on the roll (supervisors only, with a reason)."""
        if not self._ctx.is_supervisor:
            raise InputRejected([Problem("role", "forbidden", "只有管理员可以恢复在册")])
        text = check_why(why)
        seed = self._ctx.signing_seed
        if seed is None:
            raise InputRejected([Problem("password", "signing_key",
                                         "恢复在册须由管理员用密码登录后操作")])
        with self._store.writing() as (session, state):
            elder_row(session, elder_id)
            current = status_of(session, elder_id)
            if current.status != DEREGISTERED:
                raise InputRejected([Problem("elder_id", "status",
                                             f"该老人{current.label()}，无需恢复"
                                             if current.active else
                                             "合并的记录只能由县级撤销合并")])
            username = self._ctx.username
            grants = session.get(Setting, rolegrants.COUNTY_GRANTS)
            grant = grants.value.get(username) if grants is not None and \
                isinstance(grants.value, dict) else None
            version = current.version + 1
            authority = make_authority(seed, grant if isinstance(grant, dict)
                                       else None, self._ctx.device_id, elder_id, version,
                                       username, text)
            status = ElderStatus(elder_id, ACTIVE, None, None, text, version=version,
                                 by=username, at=_now_text(), authority=authority)
            self._write_status(session, state, status, "restore", {"why": text})
            return status

    # ------------------------------------------------------------------ roster imports

    def entries(self) -> list[RegistryEntry]:
        """Every elder with an ID number, as a roster import matches them."""
        with self._store.reading() as session:
            rows = session.scalars(select(Elder).where(Elder.id_number.is_not(None))).all()
            return [RegistryEntry(
                elder_id=row.id, id_number=str(row.id_number), name=row.name,
                attributes=dict(row.detail.attributes or {}),
                provenance=dict(row.detail.provenance or {}),
                saved_on=row.updated_at.date() if row.updated_at else None,
                active=row.status == ACTIVE, township=row.township) for row in rows]

    def apply_import(self, plan: ImportPlan, file_name: str) -> None:
        """Apply an import plan in one transaction: each updated elder as a new version with
        the attribute and its provenance, contradictions kept for review, the import
        recorded with its summary."""
        if not plan.applicable:
            raise InputRejected([Problem("file", "empty", "名单中没有可导入的行")])
        with self._store.writing() as (session, state):
            by_elder: dict[str, list[Any]] = {}
            for update in plan.updates:
                by_elder.setdefault(update.elder_id, []).append(update)
            for elder_id, updates in by_elder.items():
                row = elder_row(session, elder_id)
                before = elder_payload(row)
                attributes = dict(row.detail.attributes or {})
                provenance = dict(row.detail.provenance or {})
                for update in updates:
                    attributes[update.attribute] = update.after
                    provenance[update.attribute] = dict(update.provenance)
                row.detail.attributes, row.detail.provenance = attributes, provenance
                for attr in COLUMN_ATTRIBUTES:
                    value = attributes.get(attr)
                    setattr(row, attr, value if isinstance(value, str) else None)
                row.version += 1
                row.updated_at = changelog.utc_now()
                session.flush()
                after = elder_payload(row)
                changelog.append_change(session, state, self._store.clock, record_type="elder",
                                        record_id=row.id, version=row.version,
                                        payload=elder_change_payload(after, before))
                self._store.audit(session, state, "roster_import", "elder", row.id,
                                  {"import_id": plan.import_id, "kind": plan.kind.code,
                                   "changed": sorted({u.attribute for u in updates})})
                self._store.touched("elder", row.id)
            now = changelog.utc_now()
            for c in plan.contradictions:
                session.add(SyncConflict(
                    kind="roster_contradiction", record_type="elder", record_id=c.elder_id,
                    field=f"attributes.{c.attribute}", winner_value=_json(c.registry),
                    winner_device=state.device_id, winner_hlc=0,
                    loser_value=_json({"value": c.roster, "import_id": plan.import_id,
                                       "source": plan.source,
                                       "as_of": plan.as_of.isoformat(), "row": c.row}),
                    loser_device=f"import:{plan.import_id}"[:64], loser_hlc=0,
                    review_required=True, created_at=now))
            session.add(RegistryImport(
                id=plan.import_id, kind=plan.kind.code, source=plan.source[:100],
                as_of=plan.as_of, file_name=file_name[:200],
                actor=self._ctx.username, at=now,
                summary=plan.summary(dry_run=False, applied=True)))
            self._store.audit(session, state, "roster_import", "setting", plan.import_id,
                              {"kind": plan.kind.code, "source": plan.source,
                               "as_of": plan.as_of.isoformat(),
                               "updated": len(plan.updates)})

    # ------------------------------------------------------------------ duplicates and export

    def duplicate_candidates(self, profile: ElderProfile) -> list[duplicates.Candidate]:
        """Registered elders that may be the person ``profile`` describes (shown before a
        new elder is saved): the same name pinyin and birth date in the township, or the
        15/18-digit forms of one ID number."""
        name = profile.name.strip()
        with self._store.reading() as session:
            return duplicates.candidates_for(
                profile.elder_id or None, sort_key(name) if name else "", profile.id_number,
                profile.birth_date, profile.township, _people(session, profile))

    def duplicate_pairs(self) -> list[duplicates.Pair]:
        """Pairs of elders on the roll here that may be one person."""
        with self._store.reading() as session:
            return duplicates.find_pairs(_people(session, None))

    def rows(self) -> Iterator[ExportRow]:
        """Every elder, in township, village and name order, for the registry export."""
        with self._store.reading() as session:
            rows = session.scalars(select(Elder).order_by(
                Elder.township, Elder.village, Elder.name_pinyin)).all()
            statuses = {s.elder_id: s for s in session.scalars(select(ElderStatusRow))}
            result = []
            for row in rows:
                held = statuses.get(row.id)
                reason = held.payload.get("reason") if held is not None else None
                result.append(ExportRow(
                    row.id_number, row.name, row.sex, row.birth_date, row.township,
                    row.village, row.status, reason if isinstance(reason, str) else None,
                    row.left_on, dict(row.detail.attributes or {}),
                    dict(row.detail.provenance or {})))
        return iter(result)


def _people(session: Session, profile: ElderProfile | None) -> list[duplicates.Person]:
    query = select(Elder.id, Elder.name, Elder.name_pinyin, Elder.id_number, Elder.birth_date,
                   Elder.township, Elder.village).where(Elder.status == ACTIVE)
    if profile is not None and profile.birth_date is not None and not profile.id_number:
        query = query.where(Elder.birth_date == profile.birth_date)
    return [duplicates.Person(*row) for row in session.execute(query)]


def _json(value: Any) -> str:
    from assessment.wire.changes import canonical_text

    return canonical_text(value)


def _now_text() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


__all__: Sequence[str] = ("Registry", "status_of", "store_status")
