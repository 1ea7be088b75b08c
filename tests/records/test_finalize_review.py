"""The review before finalizing: open warnings must be resolved or acknowledged with a reason
(kept in the audit log); a correction states its reason."""

from __future__ import annotations

import pytest

from assessment.errors import InputRejected
from assessment.records.api import AssessmentStatus
from assessment.records.review import warning_key
from assessment.records.workspace import Workspace
from tests.records.conftest import complete_answers, elder

COMA_B_NOT_A = {"B.3.9": 0, "B.3.9.state": "昏迷", "A.5.11": "无"}


def _coma_draft(workspace: Workspace) -> str:
    """The reported case: B.3.9 昏迷 but A.5.11 not."""
    person = workspace.elders.create(elder())
    draft = workspace.assessments.start(person.elder_id, "首次评估")
    workspace.assessments.autosave(draft.assessment_id, complete_answers(draft.answers,
                                                                         COMA_B_NOT_A))
    return draft.assessment_id


def test_review_lists_result_warning_and_missing(workspace: Workspace) -> None:
    person = workspace.elders.create(elder())
    draft = workspace.assessments.start(person.elder_id, "首次评估")
    answers = complete_answers(draft.answers, COMA_B_NOT_A)
    del answers["sign.assessor_2"], answers["A.3.2"]
    workspace.assessments.autosave(draft.assessment_id, answers)
    review = workspace.assessments.review(draft.assessment_id)
    assert review.result is not None
    assert review.result.final_grade == 4
    assert "coma" in review.result.reasons
    assert [warning_key(w) for w in review.warnings] == ["A.5.11/coma_mismatch"]
    assert {p.field for p in review.missing} == {"sign.assessor_2", "A.3.2"}
    assert not review.ready


def test_unacknowledged_warning_blocks_finalize(workspace: Workspace) -> None:
    assessment_id = _coma_draft(workspace)
    with pytest.raises(InputRejected) as rejected:
        workspace.assessments.finalize(assessment_id)
    assert [(p.field, p.code) for p in rejected.value.problems] == [
        ("A.5.11", "unacknowledged")]
    assert workspace.assessments.get(assessment_id).status is AssessmentStatus.DRAFT
    with pytest.raises(InputRejected) as blank:
        workspace.assessments.finalize(assessment_id, {"A.5.11/coma_mismatch": "  "})
    assert blank.value.problems[0].code == "reason"
    assert "核对理由" in blank.value.problems[0].message
    assert workspace.assessments.get(assessment_id).certificate_no is None


def test_acknowledged_warning_is_audited(workspace: Workspace) -> None:
    assessment_id = _coma_draft(workspace)
    reason = "家属说明老人昨日起昏迷，A.5.11 按入院前记录"
    final = workspace.assessments.finalize(assessment_id, {"A.5.11/coma_mismatch": reason,
                                               "B.1.1/stale": "早已改正"})
    assert final.status is AssessmentStatus.FINALIZED
    entry = [e for e in workspace.audit.trail(assessment_id) if e.action == "finalize"][-1]
    assert entry.detail["acknowledged"] == {"A.5.11/coma_mismatch": reason}


def test_resolved_warning_needs_no_reason(workspace: Workspace) -> None:
    assessment_id = _coma_draft(workspace)
    answers = dict(workspace.assessments.get(assessment_id).answers, **{"A.5.11": "有"})
    workspace.assessments.autosave(assessment_id, answers)
    assert workspace.assessments.review(assessment_id).warnings == ()
    final = workspace.assessments.finalize(assessment_id)
    entry = [e for e in workspace.audit.trail(assessment_id) if e.action == "finalize"][-1]
    assert "acknowledged" not in entry.detail
    assert final.final_grade == 4


def test_correction_needs_a_reason(workspace: Workspace) -> None:
    person = workspace.elders.create(elder())
    draft = workspace.assessments.start(person.elder_id, "首次评估")
    workspace.assessments.autosave(draft.assessment_id, complete_answers(draft.answers))
    original = workspace.assessments.finalize(draft.assessment_id)
    for bad in ("", " 。", "x" * 201):
        with pytest.raises(InputRejected) as rejected:
            workspace.assessments.correct(original.assessment_id, bad)
        assert rejected.value.problems[0].field == "correction_reason"
    with pytest.raises(InputRejected):
        workspace.assessments.start(person.elder_id, "首次评估",
                                   supersedes=original.assessment_id)
    assert workspace.assessments.drafts() == []
    correction = workspace.assessments.correct(original.assessment_id, "B.1.1 录入错误，家属复核")
    started = [e for e in workspace.audit.trail(correction.assessment_id)
               if e.action == "start_assessment"]
    assert started[0].detail["correction_reason"] == "B.1.1 录入错误，家属复核"
