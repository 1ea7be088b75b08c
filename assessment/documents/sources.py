"""Certificate data from a workspace: the finalized record, the elder, the assessors, and the
service-list items the elder is eligible for (the 补打 rule and the print log are in
:mod:`assessment.usecases.certificates`).

This is the only module of :mod:`assessment.documents` that knows the store and the
eligibility engine; the certificate itself takes plain :class:`CertificateData`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assessment.devicekeys import load_or_create_device_keys
from assessment.documents.certificate import (
    CertificateData,
    CertificateSigner,
    ServiceLine,
    ServicesBlock,
)
from assessment.documents.certificate_code import load_or_create_id_key
from assessment.errors import InputRejected, Problem
from assessment.forms import Form
from assessment.records.signatures import SIGNATURE_KEYS

if TYPE_CHECKING:
    from assessment.records.workspace import Workspace


def _date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value:
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _text(answers: Mapping[str, Any], key: str) -> str:
    value = answers.get(key)
    return "" if value is None else str(value)


def default_lists(lists_dir: Path | None = None) -> Any:
    """The bundled lists plus the versions installed in ``lists_dir``, loaded once per folder
    state (batches print many; installing a version is seen at once).

    ``lists_dir`` defaults to :func:`~assessment.eligibility.user_lists_dir` — only for the
    command line when no workspace is open; with a workspace use :func:`workspace_lists`.
    """
    from assessment.eligibility.registry import cached_registry

    return cached_registry(lists_dir)


def workspace_lists(workspace: Workspace) -> Any:
    """The lists of an open workspace: bundled plus ``<data dir>/service_lists``.

    The one list folder per workspace: the GUI installs there, sync installs the county's
    versions there, and certificates and statistics read from there.
    """
    from assessment.eligibility.registry import load_workspace_lists

    return load_workspace_lists(workspace.data_dir, workspace.lists.trust())


def services_for(attributes: Mapping[str, Any], as_of: date,
                 lists: Any | None = None) -> ServicesBlock | None:
    """The eligible items of the lists in force on ``as_of`` (None when matching fails)."""
    from assessment.eligibility import match_profile

    registry = lists if lists is not None else default_lists()  # CLI without a workspace
    profile = {k: v for k, v in attributes.items() if v is not None}
    try:
        result = match_profile(profile, as_of, registry)
    except InputRejected:
        return None
    eligible = [item for item in result.items if item.result == "eligible"]
    refs = tuple(dict.fromkeys([result.list, *(item.list for item in eligible)]))
    try:
        title = registry.get(result.list).title
    except KeyError:
        title = result.list
    provisional = any(item.provisional for item in result.items)
    local = False
    for ref in refs:
        try:
            local = local or bool(registry.get(ref).local)
        except KeyError:
            continue
    return ServicesBlock(
        list_name=title, list_version="、".join(r for r in refs if r),
        provisional=provisional, as_of=as_of,
        items=tuple(ServiceLine(item.id, item.name) for item in eligible), local=local)


def services_from_pinned(pinned: Mapping[str, Any]) -> ServicesBlock | None:
    """The service block from the match pinned on a finalized assessment (the list versions
    in force on its A.1.2); ``None`` when the pin is unusable."""
    try:
        as_of = _date(pinned.get("as_of"))
        items = [item for item in pinned["items"] if item.get("result") == "eligible"]
        refs = tuple(dict.fromkeys([str(pinned.get("list") or ""),
                                    *(str(item.get("list") or "") for item in items)]))
        return ServicesBlock(
            list_name=str(pinned.get("title") or pinned.get("list") or ""),
            list_version="、".join(r for r in refs if r),
            provisional=any(bool(item.get("provisional")) for item in pinned["items"]),
            as_of=as_of or date.today(),
            items=tuple(ServiceLine(str(item["id"]), str(item["name"])) for item in items),
            local=bool(set(refs) & set(pinned.get("local_lists") or ())))
    except (KeyError, TypeError, AttributeError):
        return None


def certificate_data(workspace: Workspace, assessment_id: str, *, form: Form | None = None,
                     lists: Any | None = None, printed_on: date | None = None,
                     with_services: bool = True) -> CertificateData:
    """Everything printed on the certificate of a finalized assessment.

    Refused (:class:`InputRejected`) for a draft: only finalized (or superseded) assessments
    have an official result and a certificate number
    (docs/spec/gbt42195.md §11.2). The service block is the
    match pinned at finalize when the record has one (unless ``lists`` is given), else a
    match against the workspace's lists as of A.1.2.
    """
    form = form or workspace.form
    record = workspace.assessments.get(assessment_id)
    if record.status == "draft" or record.final_grade is None or not record.certificate_no:
        raise InputRejected([Problem("assessment", "not_finalized",
                                     "评估尚未完成（未定稿），不能打印评估报告")])
    elder = workspace.elders.get(record.elder_id)
    answers = record.answers
    names = {a.username: a.display_name for a in workspace.accounts.all()}

    def person(key: str, fallback: str | None) -> str:
        value = _text(answers, key) or (fallback or "")
        return str(names.get(value, value))

    subtotals = record.subtotals or {}
    reference = record.reference_date or _date(answers.get("A.1.2")) or date.today()
    services = None
    pinned = getattr(record, "eligibility", None)
    if with_services and pinned and lists is None:
        services = services_from_pinned(pinned)
    if with_services and services is None:
        attributes = dict(elder.attributes)
        attributes.setdefault("birth_date", elder.birth_date.isoformat()
                              if elder.birth_date else None)
        attributes.setdefault("sex", elder.sex)
        attributes["capability_grade"] = record.final_grade
        attributes["capability_assessed_on"] = reference.isoformat()
        services = services_for(attributes, reference,
                                lists if lists is not None else workspace_lists(workspace))
    return CertificateData(
        certificate_no=record.certificate_no,
        assessment_id=record.assessment_id,
        assessment_no=_text(answers, "A.1.1"),
        reference_date=reference,
        reason=record.reason or _text(answers, "A.1.3"),
        name=elder.name,
        sex=elder.sex or _text(answers, "A.2.2"),
        birth_date=elder.birth_date,
        id_number=elder.id_number or _text(answers, "A.2.8"),
        subtotals=tuple(int(subtotals.get(d.key, 0)) for d in form.dimensions),
        total=int(record.total or 0),
        initial_grade=int(record.initial_grade if record.initial_grade is not None else 0),
        reasons=tuple(record.reasons),
        final_grade=int(record.final_grade),
        place=_text(answers, "sign.place"),
        assessors=(person("sign.assessor_1", record.assessor_1),
                   person("sign.assessor_2", record.assessor_2)),
        assessor_date=_date(answers.get("sign.assessor_date")),
        provider_name=_text(answers, "A.3.1"),
        provider_relation=_text(answers, "A.3.2"),
        provider_date=_date(answers.get("sign.provider_date")),
        signatures={key: answers[key] for key in SIGNATURE_KEYS if answers.get(key) is not None},
        services=services,
        printed_on=printed_on or date.today(),
    )


def workspace_signer(workspace: Workspace) -> CertificateSigner:
    """The device's certificate signer (keys made on first use, kept in the settings), with
    the county's public verification address once the laptop is enrolled."""
    from assessment.records.countynotes import PUBLIC_URL

    keys = load_or_create_device_keys(workspace.settings.get, workspace.settings.set)
    id_key = load_or_create_id_key(workspace.settings.get, workspace.settings.set)
    public_url = workspace.settings.get(PUBLIC_URL)
    return CertificateSigner(keys, id_key, public_url if isinstance(public_url, str) else "")

