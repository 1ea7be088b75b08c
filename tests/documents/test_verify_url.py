"""The certificate QR as a link to the county's verification page, read back offline."""

from __future__ import annotations

import pytest

from assessment.documents.certificate import CertificateSigner
from assessment.documents.certificate_code import MalformedCode
from assessment.documents.qr import qr_runs
from assessment.documents.verification import VerificationStatus, verify_certificate_text
from assessment.documents.verify_url import code_from_text, verification_url
from assessment.errors import InputRejected
from assessment.wire.public_url import check_public_url
from tests.documents.conftest import ID_KEY, sample_data


@pytest.mark.parametrize("bad", [
    "ftp://county.example", "county.example", "https://", "https://user:pw@county.example",
    "https://county.example/?q=1", "https://county.example/#x", "https://county.example:99999",
    "https://县.example", "https://county.example/" + "a" * 200, 42,
])
def test_public_url_refusals_name_the_field(bad: object) -> None:
    with pytest.raises(InputRejected) as rejected:
        check_public_url(bad, "--public-url")
    assert rejected.value.problems[0].field == "--public-url"
    assert "地址" in rejected.value.problems[0].message


def test_public_url_is_cleaned() -> None:
    assert check_public_url(" HTTPS://YL.Example.gov.cn:8443/ ") == \
        "https://yl.example.gov.cn:8443"
    assert check_public_url("https://yl.example.gov.cn/yinling/") == \
        "https://yl.example.gov.cn/yinling"


def test_link_stays_as_small_as_the_bare_code(signer: CertificateSigner) -> None:
    code = signer.code_for(sample_data())
    link = verification_url("https://yl.example.gov.cn", code)
    assert link == f"HTTPS://YL.EXAMPLE.GOV.CN/V/{code}"
    assert qr_runs(link).modules == qr_runs(code).modules  # alphanumeric mode throughout
    # A base path in lower case must keep its case (paths are case-sensitive).
    lower = verification_url("https://example.gov.cn/yinling", code)
    assert lower == f"https://example.gov.cn/yinling/v/{code}"


def test_link_and_bare_code_verify_offline(signer: CertificateSigner) -> None:
    data = sample_data()
    code = signer.code_for(data)
    linked = CertificateSigner(signer.keys, ID_KEY, "https://yl.example.gov.cn")
    text = linked.qr_text(data)
    assert text.endswith(code)
    for scanned in (text, text.lower().replace(code.lower(), code), code,
                    f"https://other.example/v/{code}?utm=1"):
        result = verify_certificate_text(scanned, [signer.keys.public])
        assert result.status is VerificationStatus.VALID, scanned
        assert result.claims is not None
        assert result.claims.certificate_no == data.certificate_no


def test_links_that_are_not_certificates_are_malformed(signer: CertificateSigner) -> None:
    code = signer.code_for(sample_data())
    for text in ("https://yl.example.gov.cn/", "https://yl.example.gov.cn/x/" + code,
                 "javascript:alert(1)//v/" + code, "https://yl.example.gov.cn/v/YL2.AAA.BBB",
                 "x" * 3000):
        with pytest.raises(MalformedCode):
            code_from_text(text)
        result = verify_certificate_text(text, [signer.keys.public])
        assert result.status is VerificationStatus.MALFORMED


def test_an_altered_link_fails(signer: CertificateSigner) -> None:
    text = verification_url("https://yl.example.gov.cn", signer.code_for(sample_data()))
    index = text.index("YL1.") + 10
    altered = text[:index] + ("A" if text[index] != "A" else "B") + text[index + 1:]
    assert not verify_certificate_text(altered, [signer.keys.public]).valid
