"""Issuing certificates: one or a batch, the 补打 reprint rule, and the audit entries.

The one pipeline behind the app's print, preview, 保存 PDF and 批量 actions and ``yinling
certificate``. Every issue is written to the audit log once it happened: a paper print as
``print_certificate`` (the original) or ``reprint_certificate`` (补打), a PDF as
``export_certificate_pdf``.

The 补打 rule lives here and only here (:func:`is_reprint`): the first *paper* copy is the
original the family keeps. A saved PDF is not a paper copy, so 另存为PDF before printing leaves
the first print unmarked; once a paper copy exists, every later print and PDF is marked 补打.
Entries ``reprint_certificate`` written before this rule (they may have been PDFs) count as
paper, so nothing that was a reprint becomes an original.

Batches (:func:`issue_certificates`) write one PDF, one PDF per certificate into a folder, or
return the laid-out pages for the caller to paint on a printer (then it calls
:func:`record_printed` for what was painted). An assessment that cannot be issued (not
finalized, missing data) is listed with its reason and the batch goes on.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from assessment.documents.certificate import (
    CertificateLayout,
    CertificateSigner,
    ReprintMark,
    certificate_document,
)
from assessment.documents.layout import Document, Page
from assessment.documents.pdf import write_pages, write_pdf
from assessment.documents.sources import certificate_data, workspace_signer
from assessment.errors import InputRejected
from assessment.usecases.progress import Cancelled, CancelToken, ProgressFn

if TYPE_CHECKING:
    from assessment.records.workspace import Workspace

BatchMode = Literal["one_pdf", "pdf_per_certificate", "print"]
BATCH_MODES: tuple[BatchMode, ...] = ("one_pdf", "pdf_per_certificate", "print")
PRINTED, REPRINTED, EXPORTED = "print_certificate", "reprint_certificate", "export_certificate_pdf"
PAPER_ACTIONS = frozenset({PRINTED, REPRINTED})


def is_reprint(workspace: Workspace, assessment_id: str) -> bool:
    """The 补打 rule (see the module docstring): True once a paper copy was printed."""
    return any(entry.action in PAPER_ACTIONS for entry in workspace.audit.trail(assessment_id))


@dataclass(frozen=True, slots=True)
class PreparedCertificate:
    """A certificate laid out and ready to print or save, and whether it is a 补打 reprint."""

    assessment_id: str
    document: Document
    reprint: bool


def prepare_certificate(workspace: Workspace, assessment_id: str,
                        signer: CertificateSigner | None = None,
                        layout: CertificateLayout | None = None, *,
                        reprint: bool = False) -> PreparedCertificate:
    """Lay out one certificate, marked 补打 when asked or a paper copy was printed before.

    Refused (:class:`~assessment.errors.InputRejected`) when the assessment cannot be issued."""
    data = certificate_data(workspace, assessment_id)
    reprint = reprint or is_reprint(workspace, assessment_id)
    mark = ReprintMark(date.today()) if reprint else None
    document = certificate_document(data, signer or workspace_signer(workspace), layout, mark)
    return PreparedCertificate(assessment_id, document, reprint)


def record_issue(workspace: Workspace, assessment_id: str, *, reprint: bool,
                 exported: bool) -> None:
    """Write one issue of a certificate to the audit log (the only place that does)."""
    action = EXPORTED if exported else REPRINTED if reprint else PRINTED
    workspace.audit.log("assessment", assessment_id, action)


def record_printed(workspace: Workspace, prepared: PreparedCertificate) -> None:
    """The certificate went to the printer: write it to the audit log."""
    record_issue(workspace, prepared.assessment_id, reprint=prepared.reprint, exported=False)


def export_certificate_pdf(workspace: Workspace, assessment_id: str, path: Path, *,
                         reprint: bool = False,
                         prepared: PreparedCertificate | None = None) -> PreparedCertificate:
    """Write one certificate as PDF to ``path`` and record the export; the certificate.

    ``prepared`` (from :func:`prepare_certificate`) saves laying it out again."""
    prepared = prepared or prepare_certificate(workspace, assessment_id, reprint=reprint)
    write_pdf(prepared.document, path)
    record_issue(workspace, assessment_id, reprint=prepared.reprint, exported=True)
    return prepared


@dataclass
class BatchOutcome:
    """What a batch produced: files written (PDF modes), pages (print mode), refusals."""

    files: list[Path] = field(default_factory=list)
    pages: list[Page] = field(default_factory=list)
    printed_ids: list[tuple[str, bool]] = field(default_factory=list)  # (id, reprint)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (id, reason)


def issue_certificates(workspace: Workspace, assessment_ids: Sequence[str], mode: str,
                       target: Path | None, progress: ProgressFn,
                       token: CancelToken) -> BatchOutcome:
    """Issue many certificates. ``mode``: ``"one_pdf"`` (``target`` is the file),
    ``"pdf_per_certificate"`` (``target`` is a folder) or ``"print"`` (the pages are returned;
    the caller paints them and records what was printed)."""
    outcome = BatchOutcome()
    signer = workspace_signer(workspace)
    layout = CertificateLayout()
    total = len(assessment_ids)
    pages: list[Page] = []
    for done, assessment_id in enumerate(assessment_ids, start=1):
        if token.cancelled:
            raise Cancelled
        try:
            prepared = prepare_certificate(workspace, assessment_id, signer, layout)
        except InputRejected as error:
            outcome.refused.append((assessment_id, "；".join(p.message for p in error.problems)))
            continue
        if mode == "pdf_per_certificate" and target is not None:
            path = target / f"{prepared.document.title.replace(' ', '_')}.pdf"
            write_pdf(prepared.document, path)
            outcome.files.append(path)
            record_issue(workspace, assessment_id, reprint=prepared.reprint, exported=True)
        else:
            pages.extend(prepared.document.pages)
        outcome.printed_ids.append((assessment_id, prepared.reprint))
        progress(done, total, f"正在生成评估报告（{done}/{total}）")
    if mode == "one_pdf" and target is not None:
        if token.cancelled:
            raise Cancelled
        progress(total, total, "正在写入 PDF 文件……")
        write_pages(pages, target, title="老年人能力评估报告（批量）")
        outcome.files.append(target)
        for assessment_id, reprint in outcome.printed_ids:
            record_issue(workspace, assessment_id, reprint=reprint, exported=True)
    if mode == "print":
        outcome.pages = pages
    return outcome


def certificates_job(workspace: Workspace, assessment_ids: Sequence[str], mode: str,
                     target: Path | None) -> Callable[[ProgressFn, CancelToken], BatchOutcome]:
    """:func:`issue_certificates` as a job for the app's background helper."""
    ids = list(assessment_ids)

    def job(progress: ProgressFn, token: CancelToken) -> BatchOutcome:
        return issue_certificates(workspace, ids, mode, target, progress, token)

    return job
