"""The county's public check of a certificate (the page ``/v/…`` a phone opens from the QR).

The signed code inside the link names the issuing device by its code; the county knows every
enrolled device's public key, so it can say whether the certificate was issued by one of its
laptops and is unchanged. What it shows is what the paper already shows to anyone holding it
and nothing more: valid or not, certificate number, grade, date and issuing township. No name,
no ID number, no assessment id. When the county holds the assessment it also says whether a
correction has replaced it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, select

from assessment.devicekeys import DevicePublicKey
from assessment.documents.certificate_code import MalformedCode, parse_code
from assessment.documents.verify_url import code_from_text
from assessment.forms import default_form
from assessment.wire.crypto import b64decode
from server.county import key_code_of
from server.db.tables import devices, record_heads, townships

MAX_CODE = 600


@dataclass(frozen=True, slots=True)
class PublicCheck:
    """What the public page says about one scanned code."""

    valid: bool
    message: str
    certificate_no: str | None = None
    grade: str | None = None
    reference_date: date | None = None
    township: str | None = None
    standing: str | None = None  # a later correction, or not yet received by the county


_INVALID = "不是有效的银龄评估证书二维码，无法核验。"
_UNKNOWN = "未找到签发该证书的设备：证书不是本县已登记的评估设备签发的，无法确认真伪。"
_ALTERED = "核验失败：二维码内容与签名不符，证书可能系伪造或已被篡改。"
_VALID = "证书有效：由本县已登记的评估设备签发，内容未被篡改。"


def check_certificate(conn: Connection, text: str) -> PublicCheck:
    """Check a scanned code (or link) against the county's enrolled devices."""
    if len(text) > MAX_CODE:
        return PublicCheck(False, _INVALID)
    try:
        parsed = parse_code(code_from_text(text))
    except MalformedCode:
        return PublicCheck(False, _INVALID)
    claims = parsed.claims
    rows = conn.execute(
        select(devices.c.sign_public_key, townships.c.name)
        .select_from(devices.outerjoin(townships, townships.c.id == devices.c.township_id))
        .where(devices.c.township_id.is_not(None))).all()
    match = next((row for row in rows if key_code_of(row.sign_public_key) ==
                  claims.key_code), None)
    if match is None:
        return PublicCheck(False, _UNKNOWN)
    key = DevicePublicKey(b64decode(match.sign_public_key, size=32))
    if not key.verify(parsed.signature, parsed.signed_text.encode("ascii")):
        return PublicCheck(False, _ALTERED)
    form = default_form()
    try:
        grade = form.grade_name(claims.final_grade)
    except KeyError:
        return PublicCheck(False, _INVALID)
    head = conn.execute(select(record_heads.c.status).where(
        record_heads.c.record_type == "assessment",
        record_heads.c.record_id == claims.assessment_id)).first()
    standing: str | None
    if head is None:
        standing = "县级平台尚未收到该评估记录（签发设备尚未同步），以上为证书本身的核验结果。"
    elif head.status == "superseded":
        standing = "该评估已被更正评估取代，请以更正后签发的新证书为准。"
    else:
        standing = None
    return PublicCheck(True, _VALID, claims.certificate_no, grade, claims.reference_date,
                       match.name, standing)
