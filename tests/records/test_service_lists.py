"""The store and the service lists: attributes validated from the vocabulary data, one list
folder per workspace (certificates, statistics), the match pinned at finalize, and the one
registry-frame reader."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from assessment.eligibility import load_vocabulary
from assessment.eligibility.registry import bundled_lists_dir, user_lists_dir
from assessment.errors import InputRejected
from assessment.records.profiles import attribute_checks, clean_attributes
from assessment.records.workspace import Workspace
from tests.records.conftest import complete_answers, elder

NEW_VERSION = "shanxi-provisional@2099.1"


@pytest.fixture(autouse=True)
def separate_cli_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The command line's default folder is not the workspace's."""
    monkeypatch.setenv("YINLING_DATA_DIR", str(tmp_path / "cli"))


def new_list_file(tmp_path: Path) -> Path:
    """A new version of the provincial list, in force since 2024, with one extra item."""
    data: dict[str, Any] = yaml.safe_load(
        (bundled_lists_dir() / "shanxi-provisional.yaml").read_text(encoding="utf-8"))
    data.update(version="2099.1", effective_from="2024-01-01", provisional=False)
    extra = dict(data["items"][0], id="T99", name="测试新增项目", rule="age >= 60")
    data["items"].append(extra)
    path = tmp_path / "shanxi-2099.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def finalize_one(workspace: Workspace, **attributes: Any) -> str:
    person = workspace.elders.create(elder(attributes=attributes) if attributes else elder())
    draft = workspace.assessments.start(person.elder_id, "首次评估")
    workspace.assessments.autosave(draft.assessment_id, complete_answers(draft.answers,
                                                                         score="min"))
    return workspace.assessments.finalize(draft.assessment_id).assessment_id


# ---- 1. attributes validated from the vocabulary data ---------------------------------------


def test_store_checks_follow_the_vocabulary() -> None:
    vocabulary = load_vocabulary()
    checks = attribute_checks()
    assert "disability_cert" in checks
    assert "person_id" not in checks  # identity attributes have real columns
    assert "capability_grade" not in checks  # derived
    for code in vocabulary.attributes["assistance_status"].codes:
        assert clean_attributes({"assistance_status": code}) == ({"assistance_status": code}, [])
    stored, problems = clean_attributes({"assistance_status": "rich"})
    assert stored == {}
    assert problems[0].field == "attributes.assistance_status"
    assert "dibao" in problems[0].message


@pytest.mark.parametrize("value", ["none", {"category": "肢体", "grade": 2}, None])
def test_disability_cert_accepts_none_object_and_unknown(value: Any) -> None:
    stored, problems = clean_attributes({"disability_cert": value})
    assert problems == []
    assert stored == ({} if value is None else {"disability_cert": value})


@pytest.mark.parametrize("value", ["无", {"category": "肢体"}, {"category": "肢体", "grade": 5},
                                   {"category": "翅膀", "grade": 1}, 3])
def test_disability_cert_refuses_others(value: Any) -> None:
    _, problems = clean_attributes({"disability_cert": value})
    assert [p.field for p in problems] == ["attributes.disability_cert"]
    assert "none" in problems[0].message


def test_workspace_stores_no_certificate(workspace: Workspace) -> None:
    person = workspace.elders.create(elder(attributes={"disability_cert": "none"}))
    assert workspace.elders.get(person.elder_id).attributes["disability_cert"] == "none"
    with pytest.raises(InputRejected):
        workspace.elders.create(elder(sequence=124, attributes={"disability_cert": "无证"}))


# ---- 2. one list folder per workspace -------------------------------------------------------


def test_workspace_folder_lists_reach_certificate_and_statistics(
        workspace: Workspace, tmp_path: Path) -> None:
    from assessment.documents.frames import statistics_input
    from assessment.documents.sources import certificate_data

    installed = workspace.lists.install(new_list_file(tmp_path))
    assert installed.ref == NEW_VERSION
    assert installed.local  # a laptop with no county: the supervisor's own seal
    assert not user_lists_dir().exists()  # nothing went to the command line's folder
    assessment_id = finalize_one(workspace)
    data = certificate_data(workspace, assessment_id)
    assert data.services is not None
    assert NEW_VERSION in data.services.list_version
    assert data.services.local
    assert "T99" in [line.item_id for line in data.services.items]
    source = statistics_input(workspace, date.today())
    assert source.eligibility is not None
    assert "T99" in source.eligibility.columns
    assert source.item_names["T99"] == "测试新增项目"


# ---- 3. the match pinned at finalize --------------------------------------------------------


def test_finalize_pins_list_versions_and_results(workspace: Workspace, tmp_path: Path) -> None:
    from assessment.documents.sources import certificate_data

    assessment_id = finalize_one(workspace)
    record = workspace.assessments.get(assessment_id)
    pinned = record.eligibility
    assert pinned is not None
    assert pinned["as_of"] == date.today().isoformat()
    assert pinned["lists"]
    assert pinned["lists"][0].startswith("shanxi-provisional@")
    assert pinned["list"] == "shanxi-provisional@2026.12"
    assert pinned["capability_grade"] == record.final_grade == 4
    results = {item["id"]: item for item in pinned["items"]}
    assert results["N04"]["result"] == "eligible"  # 低保 and 失能 with the new grade
    assert any("✓" in line for line in results["N04"]["reasons"])
    assert results["N14"]["result"] == "undetermined"
    assert results["N14"]["missing"]
    # A version installed later does not change what the certificate cites.
    workspace.lists.install(new_list_file(tmp_path))
    data = certificate_data(workspace, assessment_id)
    assert data.services is not None
    assert data.services.list_version.startswith("shanxi-provisional@2026.12")
    assert NEW_VERSION not in data.services.list_version
    assert "T99" not in [line.item_id for line in data.services.items]
    assert "N04" in [line.item_id for line in data.services.items]
    # Drafts have no pin.
    draft = workspace.assessments.correct(assessment_id, "核对后更正")
    assert draft.eligibility is None


# ---- 4. the one registry-frame reader -------------------------------------------------------


def test_eligibility_input_is_the_statistics_reader(workspace: Workspace) -> None:
    from assessment.documents.frames import eligibility_frame, eligibility_input

    finalize_one(workspace)
    workspace.elders.create(elder("李四", sequence=125, attributes={"disability_cert": "none"}))
    frame = eligibility_input(workspace)
    assert len(frame) == 2
    assert set(frame["name"]) == {"张三", "李四"}
    assert frame.attrs["skipped"] == ()
    assert sorted(frame["capability_grade"].dropna().astype(int)) == [4]
    from assessment.documents.frames import elder_and_assessment_frames
    from assessment.documents.sources import workspace_lists

    elders, _, attributes = elder_and_assessment_frames(workspace)
    results, _ = eligibility_frame(elders, attributes, date.today(), workspace_lists(workspace))
    assert results is not None
    assert set(results.index) == set(frame["person_id"])
