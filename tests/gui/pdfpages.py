"""Reading printed certificates back: the text of each PDF page (poppler's ``pdftotext``),
and what each certificate must show of its assessment."""

from __future__ import annotations

import subprocess
from pathlib import Path

from assessment.records.workspace import Workspace


def page_texts(pdf: Path) -> list[str]:
    """The text of each page, blanks removed (a CJK name may be set letter by letter)."""
    text = subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True,
                          text=True).stdout
    return ["".join(page.split()) for page in text.split("\f")[:-1]]


def certificate_marks(workspace: Workspace, assessment_id: str) -> tuple[str, str]:
    """The elder's name and the assessment number (A.1.1), both printed on the certificate."""
    record = workspace.assessments.get(assessment_id)
    name = workspace.elders.get(record.elder_id).name
    return name, str(record.answers["A.1.1"])


def assert_certificates(pdf: Path, workspace: Workspace, assessment_ids: list[str]) -> None:
    """``pdf`` holds one page per assessment, in order, each naming its elder and number."""
    pages = page_texts(pdf)
    assert len(pages) == len(assessment_ids)
    for page, assessment_id in zip(pages, assessment_ids, strict=True):
        name, number = certificate_marks(workspace, assessment_id)
        assert name in page
        assert number in page
        assert "GB/T42195-2022" in page
