"""The visit book of an open workspace: record visits, track referrals, read the plan.

Every write is one transaction that also appends to the change log (record types ``visit``
and ``referral``, on the device's one chain, so push and bundles carry them like
assessments) and to the audit log. A visit is never changed once written; a referral moves
from ``open`` to ``closed`` in a new version. The elder's tier at the time of the visit is
kept with it (computed from the plan in force and the elder's attributes then).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

import pandas as pd
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import or_, select

from assessment.eligibility import load_workspace_lists
from assessment.eligibility.listseal import (
    COUNTY,
    ListSeal,
    local_seal,
    read_signed_list,
    seal_for,
    signature_valid,
)
from assessment.eligibility.vocabulary import Vocabulary, load_vocabulary
from assessment.errors import FormFileError, InputRejected, Problem
from assessment.ids import new_id
from assessment.records import changelog
from assessment.records.api import RecordNotFound
from assessment.records.context import Context
from assessment.records.elders import Elders
from assessment.records.listinstall import ServiceLists
from assessment.records.schema import Assessment, Elder
from assessment.records.visit_schema import ReferralRow, VisitRow
from assessment.registry.current import COUNTED_STATUS, current_rows
from assessment.registry.status import active_on, check_writable
from assessment.visits.measure import monthly_measure
from assessment.visits.plan import VisitPlan, parse_plan_bytes, read_plan_bytes
from assessment.visits.plans import (
    PlanRegistry,
    install_plan_bytes,
    load_plans,
    workspace_plans_dir,
)
from assessment.visits.record import CHANGE_REASON, NOTE_LIMIT, parse_visit
from assessment.visits.schedule import month_bounds
from assessment.visits.tiers import TierCalculator
from assessment.wire.outbox import PlanVersion

if TYPE_CHECKING:
    from pathlib import Path



@dataclass(frozen=True, slots=True)
class VisitRecord:
    """A stored visit."""

    visit_id: str
    elder_id: str
    visit_date: dt.date
    method: str
    visitor: str
    risk: str
    emergency: bool
    change_found: bool
    entry: Mapping[str, Any]
    plan_ref: str
    tier: str
    created_by: str


@dataclass(frozen=True, slots=True)
class ReferralRecord:
    """A referral and how far it got."""

    referral_id: str
    visit_id: str
    elder_id: str
    kind: str
    target: str
    note: str
    status: str
    opened_on: dt.date
    closed_on: dt.date | None
    outcome: str | None
    version: int


@cache
def _vocabulary() -> Vocabulary:
    """The attribute vocabulary plan rules are resolved against (read once)."""
    return load_vocabulary()


def _county_sealer(county: str, signature: str, source: str) -> Callable[[bytes], ListSeal]:
    """A sealer that accepts a plan file only with the county's valid signature over it."""
    def seal(content: bytes) -> ListSeal:
        if not signature_valid(county, signature, content):
            raise FormFileError(source, "signature", "探访计划的县级签名无效（不是本机登记的县级"
                                "服务器签发，或文件被改动过），未安装")
        return seal_for(COUNTY, content, "county", county, signature)

    return seal


def _visit(row: VisitRow) -> VisitRecord:
    return VisitRecord(row.id, row.elder_id, row.visit_date, row.method, row.visitor, row.risk,
                       row.emergency, row.change_found, dict(row.entry), row.plan_ref, row.tier,
                       row.created_by)


def _referral(row: ReferralRow) -> ReferralRecord:
    return ReferralRecord(row.id, row.visit_id, row.elder_id, row.kind, row.target, row.note,
                          row.status, row.opened_on, row.closed_on, row.outcome, row.version)


def referral_payload(row: ReferralRow) -> dict[str, Any]:
    """The synced form of a referral version."""
    return {"elder_id": row.elder_id, "visit_id": row.visit_id, "kind": row.kind,
            "target": row.target, "note": row.note, "status": row.status,
            "opened_on": row.opened_on.isoformat(),
            "closed_on": row.closed_on.isoformat() if row.closed_on else None,
            "outcome": row.outcome}


class VisitBook:
    """Visits and referrals of one open workspace (``workspace.visits``)."""

    def __init__(self, ctx: Context, lists: ServiceLists, elders: Elders) -> None:
        self._ctx = ctx
        self._store = ctx.store
        self._lists = lists
        self._elders = elders

    # ------------------------------------------------------------------ plan

    @property
    def plans_dir(self) -> Path:
        """Where this workspace keeps installed plan versions."""
        return workspace_plans_dir(self._ctx.data_dir)

    def plans(self) -> PlanRegistry:
        """The bundled and installed plan versions (each installed one checked against its
        seal, issued by this laptop's county when enrolled)."""
        return load_plans(self.plans_dir, _vocabulary(), trust=self._lists.trust())

    def plan(self, as_of: dt.date) -> VisitPlan:
        """The plan in force on ``as_of``."""
        return self.plans().in_force(as_of)

    def install_plan(self, path: Path) -> VisitPlan:
        """Install a new plan version, signed like a service list (supervisors only):
        county-signed (checked with the key of this laptop's enrolment), or on a laptop with
        no county a plain file sealed with the supervisor's own key; audited."""
        ctx = self._ctx
        if not ctx.is_supervisor:
            raise InputRejected([Problem("role", "forbidden", "只有管理员可以安装探访计划")])
        data = read_plan_bytes(path)
        trust = self._lists.trust()
        source = str(path)
        signed = read_signed_list(data)
        if signed is not None:
            raw, signature = signed
            county = trust.county_public
            if county is None:
                raise FormFileError(source, "signature",
                                    "本机尚未登记到县级服务器，无法核对县级签名")

            plan = install_plan_bytes(raw, source, self.plans_dir, trust=trust,
                                      sealer=_county_sealer(county, signature, source))
        elif trust.county_public is not None:
            raise FormFileError(source, "signature",
                                "本机已登记到县级服务器，只能安装县级签发的探访计划")
        else:
            seed = ctx.signing_seed
            if seed is None:
                raise InputRejected([Problem("password", "signing_key",
                                             "安装本机探访计划需要管理员用密码登录后操作")])
            key = Ed25519PrivateKey.from_private_bytes(seed)
            user = ctx.username
            plan = install_plan_bytes(data, source, self.plans_dir, trust=trust,
                                      sealer=lambda raw: local_seal(key, user, raw))
        with self._store.writing() as (session, state):
            self._store.audit(session, state, "install_visit_plan", "visit_plan", plan.ref,
                            {"sha256": plan.digest})
        return plan

    def install_county_plan(self, announced: PlanVersion, content: str,
                            signature: str) -> VisitPlan:
        """Install a plan version the county announced on a pull, once fetched: refused
        (:class:`FormFileError`) unless the content has the announced SHA-256, the county's
        signature verifies with the key of this laptop's enrolment and the file validates;
        audited. Any signed-in user's sync installs it, like a county list."""
        source = f"county:{announced.ref}"
        raw = content.encode("utf-8")
        if hashlib.sha256(raw).hexdigest() != announced.sha256:
            raise FormFileError(source, "sha256", "探访计划内容与县级公布的哈希不符，未安装")
        trust = self._lists.trust()
        county = trust.county_public
        if county is None:
            raise FormFileError(source, "signature", "本机尚未登记到县级服务器，无法核对县级签名")
        named = parse_plan_bytes(raw, _vocabulary(), source).ref
        if named != announced.ref:
            raise FormFileError(source, "version",
                                f"探访计划文件的版本 {named} 与县级公布的 {announced.ref} 不符")
        plan = install_plan_bytes(raw, source, self.plans_dir, trust=trust,
                                  sealer=_county_sealer(county, signature, source))
        with self._store.writing() as (session, state):
            self._store.audit(session, state, "install_visit_plan", "visit_plan", plan.ref,
                              {"sha256": plan.digest, "origin": COUNTY})
        return plan

    # ------------------------------------------------------------------ writing

    def record(self, elder_id: str, data: Mapping[str, Any],
               today: dt.date | None = None) -> VisitRecord:
        """Validate and append one visit (with its referrals); refused whole when bad."""
        today = today or dt.date.today()
        plan = self.plan(today)
        lists = load_workspace_lists(self._ctx.data_dir)
        item_ids = {i.id for v in lists.in_force(today) for i in v.items}
        entry = parse_visit(data, plan.record, item_ids, today)
        elder = self._elders.get(elder_id)
        check_writable(elder.status)
        if elder.transferred_to:
            raise InputRejected([Problem("elder_id", "transferred",
                                         f"该老人已迁往{elder.transferred_to}，不能在此记录探访")])
        tier = TierCalculator(plan, entry.visit_date).tier_of(dict(elder.attributes)).label
        user = self._ctx.username
        visit_id = new_id()
        now = changelog.utc_now()
        payload = {"elder_id": elder_id, "entry": entry.to_json(), "plan": plan.ref,
                   "tier": tier, "created_by": user}
        with self._store.writing() as (session, state):
            row = VisitRow(id=visit_id, elder_id=elder_id, visit_date=entry.visit_date,
                           method=entry.method, visitor=entry.visitor, risk=entry.risk,
                           emergency=entry.emergency, change_found=entry.change_found,
                           entry=entry.to_json(), plan_ref=plan.ref, tier=tier,
                           device_id=self._ctx.device_id, created_by=user, created_at=now)
            session.add(row)
            self._store.log(session, state, "visit", visit_id, 1, payload,
                            "record_visit", {"elder_id": elder_id})
            for referral in entry.referrals:
                ref = ReferralRow(id=new_id(), visit_id=visit_id, elder_id=elder_id,
                                  kind=referral.kind, target=referral.target,
                                  note=referral.note, status="open",
                                  opened_on=entry.visit_date, closed_on=None, outcome=None,
                                  version=1)
                session.add(ref)
                self._store.log(session, state, "referral", ref.id, 1,
                                referral_payload(ref), "open_referral", {"elder_id": elder_id})
        return _visit(row)

    def close_referral(self, referral_id: str, outcome: str,
                       closed_on: dt.date | None = None) -> ReferralRecord:
        """Close an open referral with what was done (a new version)."""
        closed_on = closed_on or dt.date.today()
        problems = []
        text = outcome.strip() if isinstance(outcome, str) else ""
        if not text:
            problems.append(Problem("outcome", "required", "请写明办理结果"))
        elif len(text) > NOTE_LIMIT:
            problems.append(Problem("outcome", "too_long", f"办理结果不能超过 {NOTE_LIMIT} 字"))
        with self._store.writing() as (session, state):
            row = session.get(ReferralRow, referral_id)
            if row is None:
                raise RecordNotFound("转介", referral_id)
            if row.status == "closed":
                problems.append(Problem("status", "closed", "该转介已办结"))
            if closed_on < row.opened_on or closed_on > dt.date.today():
                problems.append(Problem("closed_on", "date", "办结日期应在转介日期与今天之间"))
            if problems:
                raise InputRejected(problems)
            row.status, row.closed_on, row.outcome = "closed", closed_on, text
            row.version += 1
            self._store.log(session, state, "referral", row.id, row.version,
                            referral_payload(row), "close_referral", {"elder_id": row.elder_id})
            return _referral(row)

    # ------------------------------------------------------------------ reading

    def visits_for(self, elder_id: str) -> Sequence[VisitRecord]:
        """An elder's visits, newest first."""
        with self._store.reading() as session:
            rows = session.scalars(select(VisitRow).where(VisitRow.elder_id == elder_id)
                                   .order_by(VisitRow.visit_date.desc(),
                                             VisitRow.created_at.desc())).all()
            return [_visit(r) for r in rows]

    def referrals(self, *, status: str | None = None,
                  elder_id: str | None = None) -> Sequence[ReferralRecord]:
        """Referrals, oldest first (optionally only ``open`` or ``closed``, or one elder's)."""
        query = select(ReferralRow).order_by(ReferralRow.opened_on, ReferralRow.id)
        if status is not None:
            query = query.where(ReferralRow.status == status)
        if elder_id is not None:
            query = query.where(ReferralRow.elder_id == elder_id)
        with self._store.reading() as session:
            return [_referral(r) for r in session.scalars(query).all()]

    def registry(self, as_of: dt.date) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
        """The elders this township visits on ``as_of`` and their stored attributes: on the
        roll that day (the registry's one predicate), not transferred to another township.

        For a day in the past the grade is the one of the elder's current assessment as of
        that day (:func:`grades_on`); the attributes are the stored ones, whose history is
        not kept (:data:`~assessment.visits.measure.MEASURE_BASIS`)."""
        with self._store.connect() as conn:
            rows = conn.execute(select(
                Elder.id, Elder.name, Elder.township, Elder.village, Elder.sex,
                Elder.birth_date, Elder.current_grade, Elder.attributes,
            ).where(Elder.transferred_to.is_(None), active_on(Elder.left_on, as_of))).all()
        elders = pd.DataFrame([r[:7] for r in rows], columns=[
            "elder_id", "name", "township", "village", "sex", "birth_date", "current_grade"])
        if as_of < dt.date.today() and len(elders):
            then = self.grades_on(as_of)
            elders["current_grade"] = [then.get(str(e)) for e in elders["elder_id"]]
        return elders, [dict(r[7] or {}) for r in rows]

    def grades_on(self, day: dt.date) -> dict[str, int]:
        """Elder id → the final grade of the assessment that was current on ``day``: the
        current-assessment rule (:mod:`assessment.registry.current`) over the finalized
        assessments with a reference date on or before it."""
        with self._store.connect() as conn:
            rows = conn.execute(select(
                Assessment.elder_id, Assessment.status, Assessment.reference_date,
                Assessment.finalized_at, Assessment.id, Assessment.final_grade,
            ).where(Assessment.status == COUNTED_STATUS,
                    or_(Assessment.reference_date.is_(None),
                        Assessment.reference_date <= day))).all()
        frame = pd.DataFrame(rows, columns=["elder_id", "status", "reference_date",
                                            "finalized_at", "assessment_id", "final_grade"])
        current = current_rows(frame)
        return {str(e): int(g) for e, g in zip(current["elder_id"], current["final_grade"],
                                               strict=True) if g is not None and g == g}

    def measure(self, month: str, today: dt.date | None = None) -> pd.DataFrame:
        """The monthly visit rate table of ``month`` (see
        :func:`assessment.visits.measure.monthly_measure`)."""
        today = today or dt.date.today()
        first, last = month_bounds(month)
        on = min(last, today) if first <= today else last
        elders, attributes = self.registry(on)
        return monthly_measure(elders, attributes, self.visit_frame(), self.referral_frame(),
                               self.plan(on), month, today=today)

    def visit_frame(self) -> pd.DataFrame:
        """Every visit: ``visit_id``, ``elder_id``, ``visit_date`` (for the measure)."""
        with self._store.connect() as conn:
            rows = conn.execute(select(VisitRow.id, VisitRow.elder_id,
                                       VisitRow.visit_date)).all()
        return pd.DataFrame(rows, columns=["visit_id", "elder_id", "visit_date"])

    def referral_frame(self) -> pd.DataFrame:
        """Every referral: ``referral_id``, ``elder_id``, ``status``."""
        with self._store.connect() as conn:
            rows = conn.execute(select(ReferralRow.id, ReferralRow.elder_id,
                                       ReferralRow.status)).all()
        return pd.DataFrame(rows, columns=["referral_id", "elder_id", "status"])

    def reassessment_proposals(self) -> dict[str, str]:
        """Elders whose latest visit found a change after their last assessment: elder id →
        the proposal text (即时评估, reason 状况发生变化, with the note and the date)."""
        with self._store.reading() as session:
            rows = session.execute(
                select(VisitRow.elder_id, VisitRow.visit_date, VisitRow.entry,
                       Elder.last_assessed)
                .join(Elder, Elder.id == VisitRow.elder_id)
                .where(VisitRow.change_found.is_(True))
                .order_by(VisitRow.visit_date)).all()
        proposals: dict[str, str] = {}
        for elder_id, day, entry, assessed in rows:
            if assessed is not None and assessed >= day:
                proposals.pop(elder_id, None)
                continue
            note = str(entry.get("change_note", ""))
            proposals[elder_id] = f"{CHANGE_REASON}（{day.isoformat()}：{note}）"
        return proposals
