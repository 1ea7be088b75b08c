"""The sign-off of a new assessment is filled as far as it can be known; handwritten
signatures are stored with the assessment, covered by its change hash and chain and by the
certificate's signed code, and never carried into a correction."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from assessment.documents.certificate_code import parse_code
from assessment.documents.sources import certificate_data, workspace_signer
from assessment.errors import InputRejected
from assessment.records.signatures import SIGNATURE_KEYS, signatures_digest
from assessment.records.workspace import Workspace
from tests.records.conftest import PASSWORD, complete_answers, elder

SIGNATURE = {"w": 600, "h": 200, "strokes": [[10, 150, 60, 40, 120, 160], [200, 100]]}


def test_new_draft_signoff_defaults(workspace: Workspace) -> None:
    workspace.accounts.add("pinggu2", PASSWORD, "李评估")
    person = workspace.elders.create(elder())
    first = workspace.assessments.start(person.elder_id, "首次评估")
    today = date.today().isoformat()
    assert first.answers["sign.assessor_1"] == "admin"  # the signed-in assessor
    assert first.answers["sign.assessor_date"] == first.answers["sign.provider_date"] == today
    assert "sign.place" not in first.answers  # nothing to carry over yet
    assert "sign.assessor_2" not in first.answers
    workspace.assessments.autosave(first.assessment_id, complete_answers(
        first.answers, {"sign.place": "老人家中", "sign.assessor_2": "pinggu2",
                        "sign.assessor_1_signature": SIGNATURE}))
    workspace.assessments.finalize(first.assessment_id)

    other = workspace.elders.create(elder("李四", sequence=456, village="东关村"))
    visit = workspace.assessments.start(other.elder_id, "首次评估")
    assert visit.answers["sign.assessor_2"] == "pinggu2"  # the partner of the last visit
    assert "sign.place" not in visit.answers  # the place belongs to the elder
    again = workspace.assessments.start(person.elder_id, "即时评估")
    assert again.answers["sign.place"] == "老人家中"
    assert again.answers["sign.assessor_2"] == "pinggu2"
    assert not any(key in again.answers for key in SIGNATURE_KEYS)  # signed anew


@pytest.mark.parametrize("bad", [
    "签名", {"w": 600, "h": 200}, {"w": 600, "h": 200, "strokes": []},
    {"w": 600, "h": 200, "strokes": [[1, 2, 3]]}, {"w": 600, "h": 200, "strokes": [[1, 900]]},
    {"w": 0, "h": 200, "strokes": [[1, 2]]}, {"w": 600, "h": 200, "strokes": [[1.5, 2]]},
    {"w": 600, "h": 200, "strokes": [[1, 2]] * 201},
    {"w": 600, "h": 200, "strokes": [[5, 5] * 6001]},
    {"w": 600, "h": 200, "strokes": [[True, 2]]},
])
def test_bad_signatures_are_refused_whole(workspace: Workspace, bad: Any) -> None:
    person = workspace.elders.create(elder())
    draft = workspace.assessments.start(person.elder_id, "首次评估")
    with pytest.raises(InputRejected) as rejected:
        workspace.assessments.autosave(draft.assessment_id, dict(
            draft.answers, **{"B.1.1": 4, "sign.provider_signature": bad}))
    assert [p.field for p in rejected.value.problems] == ["sign.provider_signature"]
    assert "手写签名" in rejected.value.problems[0].message
    assert "B.1.1" not in workspace.assessments.get(draft.assessment_id).answers


def test_signatures_are_hashed_chained_and_signed(workspace: Workspace) -> None:
    person = workspace.elders.create(elder())
    draft = workspace.assessments.start(person.elder_id, "首次评估")
    answers = complete_answers(draft.answers, dict.fromkeys(SIGNATURE_KEYS, SIGNATURE))
    workspace.assessments.autosave(draft.assessment_id, answers)
    final = workspace.assessments.finalize(draft.assessment_id)
    last = [c for c in workspace.outbox.changes_after(0) if c.record_id == final.assessment_id][-1]
    assert last.payload["answers"]["sign.provider_signature"] == SIGNATURE
    assert workspace.outbox.verify() == []  # the chain holds the signed payload

    data = certificate_data(workspace, final.assessment_id)
    assert data.signatures["sign.assessor_2_signature"] == SIGNATURE
    claims = parse_code(workspace_signer(workspace).code_for(data)).claims
    assert claims.signatures_digest == signatures_digest(final.answers)
    assert claims.signatures_digest is not None
    # A changed stroke gives another digest: the printed signature is covered.
    moved = {**SIGNATURE, "strokes": [[11, 150, 60, 40, 120, 160], [200, 100]]}
    assert signatures_digest({**final.answers, "sign.provider_signature": moved}) != \
        claims.signatures_digest

    correction = workspace.assessments.correct(final.assessment_id, "复核后更正 B.1.1")
    assert not any(key in correction.answers for key in SIGNATURE_KEYS)
    assert correction.answers["sign.assessor_date"] == date.today().isoformat()


def test_paper_signed_certificates_keep_the_short_code(workspace: Workspace) -> None:
    person = workspace.elders.create(elder())
    draft = workspace.assessments.start(person.elder_id, "首次评估")
    workspace.assessments.autosave(draft.assessment_id, complete_answers(draft.answers))
    final = workspace.assessments.finalize(draft.assessment_id)
    data = certificate_data(workspace, final.assessment_id)
    code = workspace_signer(workspace).code_for(data)
    assert parse_code(code).claims.signatures_digest is None  # payload version 1
