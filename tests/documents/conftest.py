"""Shared fixtures of the document tests: a sample certificate, a signer, its PDF."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from assessment.devicekeys import DeviceSigningKey
from assessment.documents.certificate import (
    CertificateData,
    CertificateSigner,
    ReprintMark,
    ServiceLine,
    ServicesBlock,
    certificate_document,
)
from assessment.documents.pdf import write_pdf
from assessment.identity import make_resident_id

ID_KEY = bytes(range(32))


def needs_tool(name: str) -> pytest.MarkDecorator:
    """Skip when a poppler tool is not installed (``tools/run.py test`` installs them)."""
    return pytest.mark.skipif(shutil.which(name) is None, reason=f"{name} 未安装")


@pytest.fixture(scope="session")
def keys() -> DeviceSigningKey:
    return DeviceSigningKey.generate()


@pytest.fixture(scope="session")
def signer(keys: DeviceSigningKey) -> CertificateSigner:
    return CertificateSigner(keys, ID_KEY)


def sample_data(device_code: str = "K7Q2M4") -> CertificateData:
    """The spec's E23 example (27/11/26/9, total 73, boxes 2 and 3, final grade 2)."""
    birth = date(1941, 3, 5)
    return CertificateData(
        certificate_no=f"{device_code}-000123",
        assessment_id="0193a4b2-7c1d-7e2f-8a3b-4c5d6e7f8091",
        assessment_no="140421-2026-0057",
        reference_date=date(2026, 11, 22),
        reason="常规评估",
        name="张桂兰",
        sex="女",
        birth_date=birth,
        id_number=make_resident_id("140421", birth, 2, male=False),
        subtotals=(27, 11, 26, 9),
        total=73,
        initial_grade=1,
        reasons=("diagnosis", "risk_events"),
        final_grade=2,
        place="长治市潞州区老顶山镇西长井村",
        assessors=("王建国", "李秀英"),
        assessor_date=date(2026, 11, 22),
        provider_name="张志强",
        provider_relation="子女",
        services=ServicesBlock("山西省基本养老服务清单", "shanxi-provisional@2026.1", True,
                               date(2026, 11, 22),
                               (ServiceLine("N01", "老年人能力综合评估"),
                                ServiceLine("N02", "高龄津贴"),
                                ServiceLine("N11", "探访关爱"))),
        printed_on=date(2026, 11, 22),
    )


@pytest.fixture(scope="session")
def certificate_pdf(tmp_path_factory: pytest.TempPathFactory,
                    signer: CertificateSigner) -> Path:
    path = tmp_path_factory.mktemp("cert") / "certificate.pdf"
    write_pdf(certificate_document(sample_data(), signer), path)
    return path


@pytest.fixture(scope="session")
def reprint_pdf(tmp_path_factory: pytest.TempPathFactory, signer: CertificateSigner) -> Path:
    path = tmp_path_factory.mktemp("cert") / "reprint.pdf"
    write_pdf(certificate_document(sample_data(), signer,
                                   reprint=ReprintMark(date(2026, 12, 1))), path)
    return path
