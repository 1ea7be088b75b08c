"""Assessment lifecycle: draft → finalized → superseded, refusals, corrections, due dates."""

from __future__ import annotations

from datetime import date

import pytest

from assessment.errors import InputRejected
from assessment.records.api import AssessmentStatus, RecordNotFound, RegisterFilter
from assessment.records.lifecycle import add_months
from assessment.records.workspace import Workspace
from tests.records.conftest import complete_answers, elder


def test_start_prefills_and_numbers(workspace: Workspace) -> None:
    person = workspace.elders.create(elder())
    draft = workspace.assessments.start(person.elder_id, "首次评估")
    assert draft.status is AssessmentStatus.DRAFT
    assert draft.answers["A.1.1"] == "TEST01-A000001" == draft.assessment_no
    assert draft.answers["A.1.2"] == date.today().isoformat()
    assert draft.answers["A.1.3"] == "首次评估"
    assert draft.answers["A.2.1"] == "张三"
    assert draft.answers["A.2.8"] == person.id_number
    assert draft.answers["A.3.3"] == "张小三"  # contact copied
    assert "A.3.1" not in draft.answers  # today's information provider is asked again
    second = workspace.assessments.start(person.elder_id, "即时评估")
    assert second.assessment_no == "TEST01-A000002"
    assert workspace.elders.page(RegisterFilter(), 0, 10)[0].has_draft


def test_start_refuses_unknown_reason_and_elder(workspace: Workspace) -> None:
    person = workspace.elders.create(elder())
    with pytest.raises(InputRejected) as rejected:
        workspace.assessments.start(person.elder_id, "随便")
    assert rejected.value.problems[0].field == "A.1.3"
    with pytest.raises(RecordNotFound):
        workspace.assessments.start("no-such-elder", "首次评估")


def test_autosave_preview_finalize(workspace: Workspace) -> None:
    person = workspace.elders.create(elder())
    draft = workspace.assessments.start(person.elder_id, "首次评估")
    partial = dict(draft.answers, **{"B.1.1": 4})
    saved = workspace.assessments.autosave(draft.assessment_id, partial)
    assert saved.answers["B.1.1"] == 4
    assert saved.total is None
    full = complete_answers(saved.answers, {"B.1.1": 2, "A.4.1": ["痴呆F00～F03"]})
    previewed = workspace.assessments.autosave(draft.assessment_id, full)
    assert previewed.total == 88
    assert previewed.initial_grade == 1
    assert previewed.reasons == ("diagnosis",)
    assert previewed.final_grade == 2
    assert previewed.certificate_no is None
    final = workspace.assessments.finalize(draft.assessment_id)
    assert final.status is AssessmentStatus.FINALIZED
    assert final.certificate_no == "TEST01-000001"
    assert final.final_grade == 2
    assert final.subtotals == {"B.1": 30, "B.2": 15, "B.3": 28,
                                                           "B.4": 15}
    assert final.rules_hash == workspace.form.rules_hash
    assert final.form_version == "gbt42195-2022@1"
    assert (final.assessor_1, final.assessor_2) == ("admin", "pinggu2")
    row = workspace.elders.page(RegisterFilter(), 0, 1)[0]
    assert (row.grade, row.last_assessed, row.has_draft) == (2, date.today(), False)
    assert row.due_on == add_months(date.today(), 12)
    current = workspace.assessments.current(person.elder_id)
    assert current is not None
    assert current.assessment_id == final.assessment_id


def test_autosave_refuses_bad_values_whole(workspace: Workspace) -> None:
    person = workspace.elders.create(elder())
    draft = workspace.assessments.start(person.elder_id, "首次评估")
    bad = dict(draft.answers, **{"B.1.1": 9, "A.2.2": "未知", "X.1": 1, "B.1.2": 3})
    with pytest.raises(InputRejected) as rejected:
        workspace.assessments.autosave(draft.assessment_id, bad)
    assert {p.field for p in rejected.value.problems} == {"B.1.1", "A.2.2", "X.1"}
    assert "B.1.2" not in workspace.assessments.get(draft.assessment_id).answers


def test_finalize_refusals_name_fields(workspace: Workspace) -> None:
    person = workspace.elders.create(elder())
    draft = workspace.assessments.start(person.elder_id, "首次评估")
    answers = dict(draft.answers, **{"B.1.1": 4, "sign.assessor_1": "admin",
                                     "sign.assessor_2": "ADMIN"})
    workspace.assessments.autosave(draft.assessment_id, answers)
    with pytest.raises(InputRejected) as rejected:
        workspace.assessments.finalize(draft.assessment_id)
    fields = {p.field for p in rejected.value.problems}
    assert {"B.1.2", "B.4.5", "A.3.1", "A.3.2", "sign.assessor_2"} <= fields
    assert "B.1.1" not in fields
    assert all(p.message for p in rejected.value.problems)
    same = next(p for p in rejected.value.problems if p.code == "same_assessor")
    assert "不同" in same.message
    # Nothing was finalized or numbered.
    assert workspace.assessments.get(draft.assessment_id).status is AssessmentStatus.DRAFT
    no_assessors = complete_answers(draft.answers, {"sign.assessor_2": ""})
    workspace.assessments.autosave(draft.assessment_id, no_assessors)
    with pytest.raises(InputRejected) as rejected:
        workspace.assessments.finalize(draft.assessment_id)
    assert [p.field for p in rejected.value.problems] == ["sign.assessor_2"]
    coma_without_state = complete_answers(draft.answers, score="min")
    del coma_without_state["B.3.9.state"]
    workspace.assessments.autosave(draft.assessment_id, coma_without_state)
    with pytest.raises(InputRejected) as rejected:
        workspace.assessments.finalize(draft.assessment_id)
    assert [p.field for p in rejected.value.problems] == ["B.3.9.state"]


def test_finalized_is_immutable(workspace: Workspace) -> None:
    person = workspace.elders.create(elder())
    draft = workspace.assessments.start(person.elder_id, "首次评估")
    workspace.assessments.autosave(draft.assessment_id, complete_answers(draft.answers))
    final = workspace.assessments.finalize(draft.assessment_id)
    for attempt in (
        lambda: workspace.assessments.autosave(final.assessment_id,
                                               complete_answers(final.answers)),
        lambda: workspace.assessments.finalize(final.assessment_id),
        lambda: workspace.assessments.discard(final.assessment_id),
    ):
        with pytest.raises(InputRejected) as rejected:
            attempt()
        assert rejected.value.problems[0].code == "immutable"
    assert workspace.assessments.get(final.assessment_id) == final


def test_correction_supersedes_only_when_finalized(workspace: Workspace) -> None:
    person = workspace.elders.create(elder())
    draft = workspace.assessments.start(person.elder_id, "首次评估")
    workspace.assessments.autosave(draft.assessment_id, complete_answers(draft.answers))
    original = workspace.assessments.finalize(draft.assessment_id)
    correction = workspace.assessments.correct(original.assessment_id, "核对后更正")
    assert correction.supersedes == original.assessment_id
    assert correction.status is AssessmentStatus.DRAFT
    assert correction.answers["A.1.1"] != original.answers["A.1.1"]
    assert correction.answers["B.1.1"] == 4
    assert correction.reason == "首次评估"
    again = workspace.assessments.correct(original.assessment_id, "核对后更正")
    assert again == correction  # one open correction
    # Until the correction is finalized the original is still current.
    assert workspace.assessments.get(original.assessment_id).status is AssessmentStatus.FINALIZED
    workspace.assessments.autosave(correction.assessment_id, dict(correction.answers,
                                                                  **{"B.1.1": 0}))
    fixed = workspace.assessments.finalize(correction.assessment_id)
    old = workspace.assessments.get(original.assessment_id)
    assert old.status is AssessmentStatus.SUPERSEDED
    assert old.superseded_by == fixed.assessment_id
    assert old.certificate_no == original.certificate_no  # still viewable and reprintable
    current = workspace.assessments.current(person.elder_id)
    assert current is not None
    assert current.assessment_id == fixed.assessment_id
    assert workspace.elders.page(RegisterFilter(), 0, 1)[0].grade == fixed.final_grade == 1
    with pytest.raises(InputRejected):
        # a superseded one cannot be corrected
        workspace.assessments.correct(original.assessment_id, "核对后更正")
    history = workspace.assessments.for_elder(person.elder_id)
    assert {a.status for a in history} == {AssessmentStatus.FINALIZED,
                                           AssessmentStatus.SUPERSEDED}


def test_discarded_correction_leaves_original(workspace: Workspace) -> None:
    person = workspace.elders.create(elder())
    draft = workspace.assessments.start(person.elder_id, "首次评估")
    workspace.assessments.autosave(draft.assessment_id, complete_answers(draft.answers))
    original = workspace.assessments.finalize(draft.assessment_id)
    correction = workspace.assessments.correct(original.assessment_id, "核对后更正")
    workspace.assessments.discard(correction.assessment_id)
    with pytest.raises(RecordNotFound):
        workspace.assessments.get(correction.assessment_id)
    assert workspace.assessments.get(original.assessment_id).status is AssessmentStatus.FINALIZED
    assert workspace.assessments.drafts() == []
    assert not workspace.elders.page(RegisterFilter(), 0, 1)[0].has_draft


def test_open_drafts_for_resume(workspace: Workspace) -> None:
    first = workspace.elders.create(elder("张三", sequence=1))
    second = workspace.elders.create(elder("李四", sequence=3))
    a = workspace.assessments.start(first.elder_id, "首次评估")
    b = workspace.assessments.start(second.elder_id, "首次评估")
    workspace.assessments.autosave(a.assessment_id, dict(a.answers, **{"B.1.1": 3}))
    drafts = workspace.assessments.drafts()
    assert [d.assessment_id for d in drafts] == [a.assessment_id, b.assessment_id]
    assert drafts[0].answers["B.1.1"] == 3
    assert workspace.assessments.draft_count() == 2
    workspace.assessments.discard(b.assessment_id)
    assert workspace.assessments.draft_count() == 1


def test_due_dates_follow_the_setting(workspace: Workspace) -> None:
    person = workspace.elders.create(elder())
    draft = workspace.assessments.start(person.elder_id, "首次评估")
    reference = date(2024, 2, 29)
    workspace.assessments.autosave(draft.assessment_id,
                       complete_answers(draft.answers, {"A.1.2": reference.isoformat()}))
    workspace.assessments.finalize(draft.assessment_id)
    row = workspace.elders.page(RegisterFilter(), 0, 1)[0]
    assert row.due_on == date(2025, 2, 28)
    due = RegisterFilter(due_only=True, as_of=date(2025, 3, 1))
    assert workspace.elders.count(due) == 1
    assert workspace.elders.count(RegisterFilter(due_only=True, as_of=date(2025, 2, 27))) == 0
    workspace.settings.set("routine_interval_months", 6)
    assert workspace.elders.page(RegisterFilter(), 0, 1)[0].due_on == date(2024, 8, 29)
    with pytest.raises(InputRejected):
        workspace.settings.set("routine_interval_months", 0)


def test_current_is_latest_reference_date(workspace: Workspace) -> None:
    person = workspace.elders.create(elder())
    recent = workspace.assessments.start(person.elder_id, "常规评估")
    workspace.assessments.autosave(recent.assessment_id,
                       complete_answers(recent.answers, {"A.1.2": "2025-06-01"}))
    workspace.assessments.finalize(recent.assessment_id)
    back_dated = workspace.assessments.start(person.elder_id, "首次评估")
    workspace.assessments.autosave(back_dated.assessment_id, complete_answers(
        back_dated.answers, {"A.1.2": "2024-06-01"}, score="min"))
    workspace.assessments.finalize(back_dated.assessment_id)
    row = workspace.elders.page(RegisterFilter(), 0, 1)[0]
    assert (row.grade, row.last_assessed) == (0, date(2025, 6, 1))


def test_grade_raise_mode_setting(workspace: Workspace) -> None:
    person = workspace.elders.create(elder())
    draft = workspace.assessments.start(person.elder_id, "即时评估")
    answers = complete_answers(draft.answers, {
        "A.4.1": ["痴呆F00～F03"], "A.2.14.1": "发生过2次", "B.1.1": 2})
    assert workspace.assessments.autosave(draft.assessment_id, answers).final_grade == 2
    workspace.settings.set("grade_raise_mode", "cumulative")
    assert workspace.settings.get("grade_raise_mode") == "cumulative"
    answers["B.1.2"] = 3
    assert workspace.assessments.autosave(draft.assessment_id, answers).final_grade == 3
    with pytest.raises(InputRejected):
        workspace.settings.set("grade_raise_mode", "twice")


def test_finalize_refuses_future_reference_date(workspace: Workspace) -> None:
    person = workspace.elders.create(elder())
    draft = workspace.assessments.start(person.elder_id, "首次评估")
    with pytest.raises(InputRejected) as rejected:
        workspace.assessments.autosave(draft.assessment_id,
                           complete_answers(draft.answers, {"A.1.2": "2999-01-01"}))
    assert rejected.value.problems[0].field == "A.1.2"
