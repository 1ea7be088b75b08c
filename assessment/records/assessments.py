"""The assessments of a workspace (``workspace.assessments``): drafts, finalizing, corrections.

Lifecycle choices (docs/spec/gbt42195.md §11, decision D4):

* ``autosave`` replaces the draft's whole answer dict (the caller sends what the form shows);
  A.1.1 stays the generated number. Identical saves are not written again.
* ``finalize`` pins the results, issues the certificate number ``<device code>-000123``, and
  updates the elder's current grade, last assessment and due date in the same transaction.
* A correction (``correct`` or ``start(…, supersedes=…)``) is a new draft copying the
  answers. The old assessment stays *finalized and current* until the correction is
  finalized; only then does it become ``superseded``. A discarded correction leaves the old one
  untouched, so there is never a moment without a current assessment. One open correction per
  assessment: asking again returns the open draft.
* The current assessment is the finalized, not superseded one with the latest A.1.2 (then the
  latest finalization).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from assessment.eligibility import load_workspace_lists, match_profile
from assessment.errors import FormFileError, InputRejected, Problem
from assessment.ids import new_id
from assessment.records import changelog, incoming, lifecycle
from assessment.records.api import AssessmentRecord, AssessmentStatus, RecordNotFound
from assessment.records.context import Context
from assessment.records.convert import assessment_payload, assessment_record
from assessment.records.elders import elder_row
from assessment.records.listinstall import ServiceLists
from assessment.records.review import (
    FinalizeReview,
    acknowledged_warnings,
    check_reason,
    open_warnings,
    review_answers,
)
from assessment.records.schema import Assessment, Elder
from assessment.records.settings import Settings
from assessment.registry.status import check_writable
from assessment.scoring import Grader


def _is_local(lists: Any, ref: str) -> bool:
    try:
        return bool(lists.get(ref).local)
    except KeyError:
        return False


class Assessments:
    """The assessments of one open workspace (``workspace.assessments``)."""

    def __init__(self, ctx: Context, settings: Settings, lists: ServiceLists) -> None:
        self._ctx = ctx
        self._settings = settings
        self._lists = lists
        self._graders: dict[str, Grader] = {}

    def grader(self) -> Grader:
        """The grader for the grading settings in force (one per grade raise mode)."""
        settings = self._settings.grading()
        grader = self._graders.get(settings.grade_raise_mode.value)
        if grader is None:
            grader = Grader(self._ctx.form, settings)
            self._graders[settings.grade_raise_mode.value] = grader
        return grader

    @staticmethod
    def _assessment(session: Session, assessment_id: str) -> Assessment:
        row = session.get(Assessment, assessment_id)
        if row is None:
            raise RecordNotFound("评估", assessment_id)
        return row

    @staticmethod
    def _require_draft(row: Assessment) -> None:
        if row.status != AssessmentStatus.DRAFT:
            raise InputRejected([Problem("status", "immutable",
                                         "该评估已定稿，不能再修改；如需更正请新建更正评估")])

    def for_elder(self, elder_id: str) -> Sequence[AssessmentRecord]:
        """Every assessment of an elder, newest reference date first."""
        with self._ctx.store.reading() as session:
            elder_row(session, elder_id)
            rows = session.scalars(
                select(Assessment).where(Assessment.elder_id == elder_id)
                .order_by(Assessment.reference_date.desc().nulls_first(),
                          Assessment.created_at.desc())
            )
            return [assessment_record(row) for row in rows]

    def get(self, assessment_id: str) -> AssessmentRecord:
        """One assessment."""
        with self._ctx.store.reading() as session:
            return assessment_record(self._assessment(session, assessment_id))

    def current(self, elder_id: str) -> AssessmentRecord | None:
        """The elder's current assessment (latest finalized, not superseded), if any."""
        with self._ctx.store.reading() as session:
            elder = elder_row(session, elder_id)
            if elder.current_assessment_id is None:
                return None
            return assessment_record(self._assessment(session, elder.current_assessment_id))

    def start(self, elder_id: str, reason: str,
                         supersedes: str | None = None,
                         correction_reason: str | None = None) -> AssessmentRecord:
        """Open a new draft for an elder: A.1.1 generated, A.1.2 today, A.1.3 ``reason``.

        The person's standing A fields are copied from the elder. With ``supersedes`` the
        draft is a correction of that finalized assessment and copies its answers (an open
        correction of it is returned instead of opening a second one). Refused for an elder
        the county transferred to another township (:attr:`ElderProfile.transferred_to`).
        A correction needs ``correction_reason`` (why it is corrected), kept in the audit log.
        """
        lifecycle.check_reason(reason)
        why: str | None = None
        if supersedes is not None:
            why = check_reason("correction_reason", correction_reason, "更正原因")
        with self._ctx.store.writing() as (session, state):
            elder = elder_row(session, elder_id)
            answers: dict[str, Any]
            if supersedes is not None:
                old = self._assessment(session, supersedes)
                open_draft = self._open_correction(session, supersedes)
                if open_draft is not None:
                    return assessment_record(open_draft)
            lifecycle.check_not_transferred(elder.transferred_to)
            check_writable(elder.status)
            if supersedes is not None:
                if old.elder_id != elder_id:
                    raise InputRejected([Problem("supersedes", "elder",
                                                 "被更正的评估不属于这位老人")])
                if old.status != AssessmentStatus.FINALIZED:
                    raise InputRejected([Problem("supersedes", "status",
                                                 "只能更正已定稿且未被取代的评估")])
                answers = lifecycle.without_signatures(old.answers)
                answers["sign.assessor_date"] = answers["sign.provider_date"] = \
                    date.today().isoformat()
            else:
                answers = lifecycle.prefill_from_elder(elder.detail.info)
                answers["A.1.2"] = date.today().isoformat()
                answers.update(lifecycle.signoff_defaults(
                    date.today(), self._ctx.username,
                    self._last_answers(session, Assessment.elder_id == elder_id),
                    self._last_answers(session,
                                       Assessment.created_by == self._ctx.username)))
            state.assessment_counter += 1
            number = f"{state.device_code}-A{state.assessment_counter:06d}"
            answers["A.1.1"] = number
            answers["A.1.3"] = reason
            now = changelog.utc_now()
            row = Assessment(
                id=new_id(), elder_id=elder_id, status=AssessmentStatus.DRAFT.value,
                assessment_no=number, answers={}, form_version=self._ctx.form.version_tag,
                rules_hash=self._ctx.form.rules_hash, supersedes=supersedes, reasons=[],
                created_by=self._ctx.username, created_at=now, updated_at=now,
                version=1,
            )
            self._apply_answers(row, answers)
            session.add(row)
            elder.draft_count += 1
            session.flush()
            self._ctx.store.log(session, state, "assessment", row.id, 1, assessment_payload(row),
                                "start_assessment",
                                {"elder_id": elder_id, "assessment_no": number,
                                 "supersedes": supersedes,
                                 **({"correction_reason": why} if why else {})})
            return assessment_record(row)

    @staticmethod
    def _last_answers(session: Session, condition: Any) -> dict[str, Any] | None:
        """The answers of the newest assessment matching ``condition`` (a past visit)."""
        row = session.scalars(select(Assessment).where(condition)
                              .order_by(Assessment.created_at.desc()).limit(1)).first()
        return dict(row.answers) if row is not None else None

    @staticmethod
    def _open_correction(session: Session, supersedes: str) -> Assessment | None:
        return session.scalars(
            select(Assessment).where(Assessment.supersedes == supersedes,
                                     Assessment.status == AssessmentStatus.DRAFT.value)
        ).first()

    def _apply_answers(self, row: Assessment, answers: Mapping[str, Any]) -> None:
        """Store answers and what is derived from them (columns, preview results)."""
        clean = {k: (list(v) if isinstance(v, tuple) else v) for k, v in answers.items()
                 if v is not None}
        row.answers = clean
        row.reference_date = lifecycle.parse_date(clean.get("A.1.2"))
        row.reason = _text(clean.get("A.1.3"))
        row.assessor_1 = _text(clean.get("sign.assessor_1"))
        row.assessor_2 = _text(clean.get("sign.assessor_2"))
        result = lifecycle.preview(self._ctx.form, self.grader(), clean)
        if result is None:
            row.subtotals, row.total, row.initial_grade = None, None, None
            row.reasons, row.final_grade = [], None
        else:
            row.subtotals = dict(zip(result.dimension_keys, result.subtotals, strict=True))
            row.total, row.initial_grade = result.total, result.initial_grade
            row.reasons, row.final_grade = list(result.reasons), result.final_grade

    def autosave(self, assessment_id: str, answers: Mapping[str, Any]) -> AssessmentRecord:
        """Replace a draft's answers (one durable transaction); finalized ones are refused."""
        problems = lifecycle.answer_problems(self._ctx.form, answers)
        if problems:
            raise InputRejected(problems)
        with self._ctx.store.writing() as (session, state):
            row = self._assessment(session, assessment_id)
            self._require_draft(row)
            check_writable(elder_row(session, row.elder_id).status)
            merged = {k: v for k, v in answers.items() if v is not None}
            merged["A.1.1"] = row.assessment_no
            before = dict(row.answers)
            if merged == before:
                return assessment_record(row)
            self._apply_answers(row, merged)
            row.version += 1
            row.updated_at = changelog.utc_now()
            changed = sorted(k for k in set(before) | set(row.answers)
                             if before.get(k) != row.answers.get(k))
            self._ctx.store.log(session, state, "assessment", row.id, row.version,
                                assessment_payload(row), "autosave", {"changed": changed})
            return assessment_record(row)

    def review(self, assessment_id: str) -> FinalizeReview:
        """The review shown before finalizing a draft: result, open warnings, what is missing
        (:mod:`assessment.records.review`)."""
        with self._ctx.store.reading() as session:
            row = self._assessment(session, assessment_id)
            self._require_draft(row)
            return review_answers(self._ctx.form, self.grader(), row.answers)

    def finalize(self, assessment_id: str,
                 acknowledged: Mapping[str, str] | None = None) -> AssessmentRecord:
        """Finalize a complete draft: pin results, issue the certificate number.

        Every open consistency warning must be acknowledged with a reason in
        ``acknowledged`` (``{warning key: reason}``, see
        :func:`~assessment.records.review.warning_key`); the reasons are kept in the audit
        entry of the finalization.

        The pinned results include the elder's service-list match as of A.1.2 with the new
        grade: the list versions used and every item's result
        (:attr:`AssessmentRecord.eligibility`), so the certificate cites what was in force.

        Refused (:class:`InputRejected`, every missing field named) unless all 26 B items,
        A.1.1–A.1.3, A.3.1, A.3.2 and two distinct assessors are recorded.
        """
        with self._ctx.store.writing() as (session, state):
            row = self._assessment(session, assessment_id)
            self._require_draft(row)
            check_writable(elder_row(session, row.elder_id).status)
            grader = self.grader()
            problems = lifecycle.finalize_problems(self._ctx.form, grader, row.answers)
            acknowledgements: dict[str, str] = {}
            try:
                acknowledgements = acknowledged_warnings(
                    open_warnings(self._ctx.form, row.answers), acknowledged)
            except InputRejected as exc:
                problems.extend(exc.problems)
            old: Assessment | None = None
            if row.supersedes is not None:
                old = self._assessment(session, row.supersedes)
                if old.status != AssessmentStatus.FINALIZED:
                    problems.append(Problem("supersedes", "status",
                                            "被更正的评估已被另一次更正取代"))
            if problems:
                raise InputRejected(problems)
            self._apply_answers(row, row.answers)
            if row.final_grade is None:  # pragma: no cover - finalize_problems guarantees it
                raise InputRejected([Problem("B", "incomplete", "评估未完成，无法评定等级")])
            row.eligibility = self._pinned_match(session, row)
            state.certificate_counter += 1
            now = changelog.utc_now()
            row.certificate_no = f"{state.device_code}-{state.certificate_counter:06d}"
            row.status = AssessmentStatus.FINALIZED.value
            row.finalized_at = now
            row.updated_at = now
            row.version += 1
            session.flush()
            self._ctx.store.log(session, state, "assessment", row.id, row.version,
                                assessment_payload(row),
                                "finalize", {"certificate_no": row.certificate_no,
                                             "final_grade": row.final_grade,
                                             **({"acknowledged": acknowledgements}
                                                if acknowledgements else {})})
            if old is not None:
                old.status = AssessmentStatus.SUPERSEDED.value
                old.superseded_by = row.id
                old.updated_at = now
                old.version += 1
                session.flush()
                self._ctx.store.log(session, state, "assessment", old.id, old.version,
                                    assessment_payload(old), "supersede", {"superseded_by": row.id})
            elder = elder_row(session, row.elder_id)
            elder.draft_count = max(0, elder.draft_count - 1)
            self._refresh_current(session, elder)
            return assessment_record(row)

    def _pinned_match(self, session: Session, row: Assessment) -> dict[str, Any] | None:
        """The elder's service-list match as of A.1.2 with this assessment's grade, to pin on
        the record: the list versions used and every item's result (spec service-lists §2).

        ``None`` when the workspace's lists cannot be loaded or the stored attributes are
        refused by the engine: finalizing never fails because of a list file.
        """
        elder = elder_row(session, row.elder_id)
        as_of = row.reference_date or date.today()
        profile = {k: v for k, v in (elder.detail.attributes or {}).items() if v is not None}
        if elder.birth_date is not None:
            profile["birth_date"] = elder.birth_date.isoformat()
        if elder.sex is not None:
            profile["sex"] = elder.sex
        profile["capability_grade"] = row.final_grade
        profile["capability_assessed_on"] = as_of.isoformat()
        try:
            lists = load_workspace_lists(self._ctx.data_dir, self._lists.trust())
            result = match_profile(profile, as_of, lists)
        except (InputRejected, FormFileError):
            return None
        pinned = result.to_json()
        try:
            pinned["title"] = lists.get(result.list).title
        except KeyError:
            pinned["title"] = result.list
        pinned["capability_grade"] = row.final_grade
        # Lists a supervisor installed here, not issued by the county: the certificate says so.
        pinned["local_lists"] = sorted({ref for ref in [result.list, *(i.list for i in
                                                                      result.items)]
                                        if ref and _is_local(lists, ref)})
        return pinned

    def _refresh_current(self, session: Session, elder: Elder) -> None:
        """Recompute the elder's denormalised current grade, last assessment and due date."""
        incoming.refresh_current(session, elder,
                                 self._settings.interval_months())
        self._ctx.store.touched("elder", elder.id)

    def correct(self, assessment_id: str, reason: str) -> AssessmentRecord:
        """Open a correction of a finalized assessment (see the module docstring); ``reason``
        says why it is corrected and is kept in the audit log."""
        with self._ctx.store.reading() as session:
            old = self._assessment(session, assessment_id)
            elder_id, a13 = old.elder_id, old.reason or "其他"
        return self.start(elder_id, a13, supersedes=assessment_id,
                                     correction_reason=reason)

    def drafts(self) -> Sequence[AssessmentRecord]:
        """Every draft on this laptop, most recently saved first (resume after a crash)."""
        with self._ctx.store.reading() as session:
            rows = session.scalars(
                select(Assessment).where(Assessment.status == AssessmentStatus.DRAFT.value)
                .order_by(Assessment.updated_at.desc())
            )
            return [assessment_record(row) for row in rows]

    def draft_count(self) -> int:
        """How many drafts are open on this laptop (the sign-in notice: no drafts read)."""
        with self._ctx.store.reading() as session:
            return int(session.scalar(
                select(func.count()).select_from(Assessment)
                .where(Assessment.status == AssessmentStatus.DRAFT.value)) or 0)

    def discard(self, assessment_id: str) -> None:
        """Delete a draft (finalized assessments are never deleted)."""
        with self._ctx.store.writing() as (session, state):
            row = self._assessment(session, assessment_id)
            self._require_draft(row)
            elder = elder_row(session, row.elder_id)
            elder.draft_count = max(0, elder.draft_count - 1)
            payload = {"id": row.id, "elder_id": row.elder_id, "status": "discarded",
                       "assessment_no": row.assessment_no, "version": row.version + 1}
            session.delete(row)
            self._ctx.store.log(session, state, "assessment", assessment_id, row.version + 1,
                                payload,
                                "discard_draft", {"assessment_no": row.assessment_no})


def _text(value: Any) -> str | None:
    """A stored answer as stripped text (``None`` when absent, blank or not text)."""
    return _blank_none(value) if isinstance(value, str) else None


def _blank_none(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None

