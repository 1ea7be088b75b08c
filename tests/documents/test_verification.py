"""Signed QR texts: valid, altered, unknown device, malformed; the ID-number hash."""

from __future__ import annotations

import pytest

from assessment.devicekeys import DeviceSigningKey
from assessment.documents.certificate import CertificateSigner
from assessment.documents.certificate_code import PREFIX, parse_code
from assessment.documents.verification import VerificationStatus, verify_certificate_text
from tests.documents.conftest import ID_KEY, sample_data


def test_valid_code_round_trips(signer: CertificateSigner) -> None:
    data = sample_data()
    text = signer.code_for(data)
    result = verify_certificate_text(text, [signer.keys.public])
    assert result.status is VerificationStatus.VALID
    assert result.claims is not None
    assert result.claims.assessment_id == data.assessment_id
    assert result.claims.final_grade == 2
    assert result.claims.reference_date == data.reference_date
    assert result.claims.key_code == signer.keys.key_code
    assert "核验通过" in result.message
    assert any("能力中度受损（中度失能）" in line for line in result.describe())


def test_every_one_character_change_of_the_payload_fails(signer: CertificateSigner) -> None:
    text = signer.code_for(sample_data())
    start = len(PREFIX) + 1
    end = text.rindex(".")
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    for index in range(start, end):
        replacement = alphabet[(alphabet.index(text[index]) + 1) % len(alphabet)]
        altered = text[:index] + replacement + text[index + 1:]
        result = verify_certificate_text(altered, [signer.keys.public])
        assert not result.valid, index
        assert result.status in (VerificationStatus.ALTERED, VerificationStatus.UNKNOWN_DEVICE,
                                 VerificationStatus.MALFORMED)


def test_changed_grade_is_reported_altered(signer: CertificateSigner) -> None:
    keys = signer.keys
    forger = CertificateSigner(DeviceSigningKey.generate(), ID_KEY)
    # A forger re-signs a better grade under the genuine device's code: signature mismatch.
    genuine = parse_code(signer.code_for(sample_data()))
    from assessment.documents.certificate_code import b32encode, encode_payload

    changed = genuine.claims.__class__(**{**{f: getattr(genuine.claims, f) for f in (
        "certificate_no", "assessment_id", "reference_date", "id_hash", "key_code")},
        "final_grade": 0})
    signed = f"{PREFIX}.{b32encode(encode_payload(changed))}"
    forged = f"{signed}.{b32encode(forger.keys.sign(signed.encode('ascii')))}"
    result = verify_certificate_text(forged, {"device-1": keys.public})
    assert result.status is VerificationStatus.ALTERED
    assert "伪造" in result.message


def test_unknown_device(signer: CertificateSigner) -> None:
    other = DeviceSigningKey.generate()
    result = verify_certificate_text(signer.code_for(sample_data()), [other.public])
    assert result.status is VerificationStatus.UNKNOWN_DEVICE
    assert "K7Q2M4" in result.message  # the code printed in the certificate number


@pytest.mark.parametrize("text", ["", "hello", "YL1.AAAA.BBBB", "YL2.ABC.DEF", "YL1..", "YL1.1.2"])
def test_malformed(text: str, signer: CertificateSigner) -> None:
    result = verify_certificate_text(text, [signer.keys.public])
    assert result.status is VerificationStatus.MALFORMED
    assert not result.valid


def test_id_number_checked_with_the_key(signer: CertificateSigner) -> None:
    data = sample_data()
    text = signer.code_for(data)
    good = verify_certificate_text(text, [signer.keys.public], id_number=data.id_number,
                                   id_key=ID_KEY)
    assert good.valid
    assert good.id_number_matches is True
    bad = verify_certificate_text(text, [signer.keys.public], id_number="110101194001010011",
                                  id_key=ID_KEY)
    assert bad.id_number_matches is False
    assert data.id_number not in text
