"""The use-case pipelines on a real demo workspace, and the CLI forms that call them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from assessment.cli import main
from assessment.documents.sources import workspace_lists
from assessment.records import demo
from assessment.records.api import RegisterFilter
from assessment.records.workspace import Workspace
from assessment.usecases.certificates import (
    certificates_job,
    export_certificate_pdf,
    is_reprint,
    prepare_certificate,
    record_printed,
)
from assessment.usecases.progress import Cancelled, CancelToken
from assessment.usecases.rosters import township_rosters
from assessment.usecases.statistics import workspace_statistics


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo") / "data"
    demo.create_demo_workspace(folder, elders=15)
    return folder


@pytest.fixture
def workspace(demo_dir: Path) -> Iterator[Workspace]:
    ws = Workspace.open(demo_dir, demo.DEMO_SUPERVISOR, demo.DEMO_PASSWORD)
    yield ws
    ws.close()


@pytest.fixture
def signed_in(demo_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("YINLING_USER", demo.DEMO_SUPERVISOR)
    monkeypatch.setenv("YINLING_PASSWORD", demo.DEMO_PASSWORD)
    monkeypatch.setenv("YINLING_DATA_DIR", str(demo_dir))
    return demo_dir


def finalized_ids(ws: Workspace) -> list[str]:
    ids = []
    for row in ws.elders.page(RegisterFilter(), 0, 60):
        current = ws.assessments.current(row.elder_id)
        if current is not None:
            ids.append(current.assessment_id)
    assert len(ids) >= 3
    return ids


def issue_actions(ws: Workspace, assessment_id: str) -> list[str]:
    return [e.action for e in ws.audit.trail(assessment_id) if "certificate" in e.action]


def test_the_first_paper_copy_is_the_original(workspace: Workspace, tmp_path: Path) -> None:
    assessment_id = finalized_ids(workspace)[-1]
    first = export_certificate_pdf(workspace, assessment_id, tmp_path / "a.pdf")
    assert not first.reprint
    second = export_certificate_pdf(workspace, assessment_id, tmp_path / "b.pdf")
    assert not second.reprint  # a PDF is not a paper copy
    paper = prepare_certificate(workspace, assessment_id)
    assert not paper.reprint  # after 另存为PDF the first print is still the original
    record_printed(workspace, paper)
    assert prepare_certificate(workspace, assessment_id).reprint  # now every copy is 补打
    assert export_certificate_pdf(workspace, assessment_id, tmp_path / "c.pdf").reprint
    assert issue_actions(workspace, assessment_id) == [
        "export_certificate_pdf", "export_certificate_pdf", "print_certificate",
        "export_certificate_pdf"]
    assert (tmp_path / "a.pdf").read_bytes().startswith(b"%PDF")
    record_printed(workspace, prepare_certificate(workspace, assessment_id))
    assert issue_actions(workspace, assessment_id)[-1] == "reprint_certificate"


def test_old_reprint_entries_still_count_as_paper(workspace: Workspace) -> None:
    assessment_id = finalized_ids(workspace)[0]
    workspace.audit.log("assessment", assessment_id, "reprint_certificate")
    assert is_reprint(workspace, assessment_id)


def test_a_cancelled_batch_writes_and_audits_nothing(workspace: Workspace,
                                                     tmp_path: Path) -> None:
    ids = finalized_ids(workspace)[:3]
    before = [issue_actions(workspace, i) for i in ids]
    token = CancelToken()
    seen: list[int] = []

    def progress(done: int, total: int, text: str = "") -> None:
        seen.append(done)
        token.cancel()

    with pytest.raises(Cancelled):
        certificates_job(workspace, ids, "one_pdf", tmp_path / "batch.pdf")(progress, token)
    assert seen == [1]
    assert not (tmp_path / "batch.pdf").exists()
    assert [issue_actions(workspace, i) for i in ids] == before


def test_cli_certificate_uses_the_same_reprint_rule(signed_in: Path, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    ws = Workspace.open(signed_in, demo.DEMO_SUPERVISOR, demo.DEMO_PASSWORD)
    try:
        assessment_id = finalized_ids(ws)[1]
        export_certificate_pdf(ws, assessment_id, tmp_path / "gui.pdf")  # as the app saves
    finally:
        ws.close()
    assert main(["certificate", assessment_id, "--out", str(tmp_path / "cli.pdf")]) == 0
    assert "（补打）" not in capsys.readouterr().out  # no paper copy yet
    ws = Workspace.open(signed_in, demo.DEMO_SUPERVISOR, demo.DEMO_PASSWORD)
    try:
        record_printed(ws, prepare_certificate(ws, assessment_id))  # as the app prints
    finally:
        ws.close()
    assert main(["certificate", assessment_id, "--out", str(tmp_path / "cli2.pdf")]) == 0
    assert "（补打）" in capsys.readouterr().out
    ws = Workspace.open(signed_in, demo.DEMO_SUPERVISOR, demo.DEMO_PASSWORD)
    try:
        assert issue_actions(ws, assessment_id)[-2:] == ["print_certificate",
                                                         "export_certificate_pdf"]
    finally:
        ws.close()


def test_township_rosters_headless_match_the_cli(signed_in: Path, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    as_of = date(2026, 11, 22)
    ws = Workspace.open(signed_in, demo.DEMO_SUPERVISOR, demo.DEMO_PASSWORD)
    try:
        rosters = township_rosters(ws, workspace_lists(ws), as_of)
        elders = ws.elders.count(RegisterFilter())
    finally:
        ws.close()
    assert len(rosters.frame) + len(rosters.skipped) == elders
    assert rosters.counts
    assert any(c.eligible for c in rosters.counts)
    out = tmp_path / "rosters.csv"
    assert main(["roster", "--as-of", as_of.isoformat(), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    written = pd.read_csv(out, encoding="utf-8-sig", dtype=str)
    for count in rosters.counts:
        assert f"{count.item_id}：符合 {count.eligible} 人，待核实 {count.undetermined} 人" \
            in printed
    assert len(written) == sum(c.eligible + c.undetermined for c in rosters.counts)


def test_township_roster_cli_refuses_an_unknown_item_and_writes_nothing(
        signed_in: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "rosters.xlsx"
    assert main(["roster", "--out", str(out), "--item", "ZZ99"]) == 1
    assert "清单中没有条目 ZZ99" in capsys.readouterr().err
    assert not out.exists()
    assert main(["roster", "--out", str(tmp_path / "r.txt")]) == 1
    assert "--out" in capsys.readouterr().err


def test_statistics_pipeline_counts_every_elder(workspace: Workspace) -> None:
    stats = workspace_statistics(workspace, as_of=date(2026, 11, 22), with_eligibility=False)
    assert int(stats.grades.iloc[-1]["合计"]) == 15
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        workspace_statistics(workspace, as_of=date(2026, 11, 22), token=token)
