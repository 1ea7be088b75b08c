"""Verify a certificate's QR text offline against known device public keys.

Three outcomes matter to the person holding the paper: the code is **valid** (issued by an
enrolled device and unchanged), it was **forged or altered** (the signature does not match),
or it names a **device this verifier does not know** (not enrolled here, so authenticity
cannot be decided). Text that is not a Yinling certificate code at all is reported as
malformed. Each result carries a Chinese message for the screen and the command line.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from assessment.devicekeys import DevicePublicKey
from assessment.documents.certificate_code import (
    CertificateClaims,
    MalformedCode,
    id_number_hash,
    issuer_code,
    parse_code,
)
from assessment.documents.verify_url import code_from_text
from assessment.forms import Form, default_form


class VerificationStatus(StrEnum):
    """The outcome of verifying one certificate code."""

    VALID = "valid"
    ALTERED = "altered"  # forged, or changed after signing
    UNKNOWN_DEVICE = "unknown_device"
    MALFORMED = "malformed"


@dataclass(frozen=True, slots=True)
class VerificationResult:
    """What a verifier learns from a code: the status, a message, and the claims if readable."""

    status: VerificationStatus
    message: str
    claims: CertificateClaims | None = None
    id_number_matches: bool | None = None  # None when no ID number (or key) was checked

    @property
    def valid(self) -> bool:
        """True only for an authentic, unaltered certificate code."""
        return self.status is VerificationStatus.VALID

    def describe(self, form: Form | None = None) -> list[str]:
        """Chinese lines for people: the message, then what the certificate states."""
        lines = [self.message]
        claims = self.claims
        if claims is not None and self.valid:
            form = form or default_form()
            try:
                grade = form.grade_name(claims.final_grade)
            except KeyError:
                grade = str(claims.final_grade)
            lines += [
                f"证书编号：{claims.certificate_no}",
                f"评估基准日期：{claims.reference_date.isoformat()}",
                f"老年人能力最终等级：{grade}",
                f"评估记录：{claims.assessment_id}",
                f"签发设备：{issuer_code(claims.certificate_no)}",
            ]
        if self.id_number_matches is True:
            lines.append("公民身份号码与证书一致")
        elif self.id_number_matches is False:
            lines.append("公民身份号码与证书不一致")
        return lines


KeySource = Iterable[DevicePublicKey] | Mapping[str, DevicePublicKey]


def _by_code(public_keys: KeySource) -> dict[str, DevicePublicKey]:
    keys = public_keys.values() if isinstance(public_keys, Mapping) else public_keys
    return {key.code: key for key in keys}


def verify_certificate_text(text: str, public_keys: KeySource, *,
                            id_number: str | None = None,
                            id_key: bytes | None = None) -> VerificationResult:
    """Verify a certificate's QR text with the enrolled devices' public keys, offline.

    ``text`` is the bare signed code or the county verification link that holds it.
    ``public_keys`` is any collection of keys (or a mapping from device id to key); the
    code's device code picks the key. When ``id_number`` and ``id_key`` are given, the ID
    number printed on the paper is also checked against the signed hash.
    """
    try:
        parsed = parse_code(code_from_text(text))
    except MalformedCode:
        return VerificationResult(VerificationStatus.MALFORMED,
                                  "不是有效的银龄评估证书二维码内容（格式无法识别），无法核验")
    claims = parsed.claims
    key = _by_code(public_keys).get(claims.key_code)
    if key is None:
        return VerificationResult(
            VerificationStatus.UNKNOWN_DEVICE,
            f"签发设备 {issuer_code(claims.certificate_no)} 未在本机登记，无法确认证书真伪；"
            "请使用该设备的公钥或到县级平台核验",
            claims)
    if not key.verify(parsed.signature, parsed.signed_text.encode("ascii")):
        return VerificationResult(VerificationStatus.ALTERED,
                                  "核验失败：证书二维码内容与签名不符，证书可能系伪造或已被篡改",
                                  claims)
    matches: bool | None = None
    if id_number is not None and id_key is not None:
        expected = id_number_hash(id_key, claims.assessment_id, id_number)
        matches = hmac.compare_digest(expected, claims.id_hash)
    return VerificationResult(VerificationStatus.VALID,
                              "核验通过：证书由已登记设备签发，内容未被篡改", claims, matches)
