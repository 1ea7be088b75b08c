"""The county's public address in the signed enrolment answer: kept when signed and sound,
refused when altered or unsound; answers of counties without one still enrol."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from assessment.errors import InputRejected
from assessment.wire.changes import canonical_json
from assessment.wire.crypto import b64encode, public_bytes
from assessment.wire.enrolment import RESPONSE_FORMAT, link_from_response

COUNTY = Ed25519PrivateKey.generate()


def answer(**extra: str) -> dict[str, Any]:
    body: dict[str, Any] = {
        "format": RESPONSE_FORMAT, "device_id": "dev-1", "township_code": "140404001",
        "township_name": "荫城镇", "account": "pinggu1",
        "county_sign_public": b64encode(public_bytes(COUNTY.public_key())),
        "county_box_public": b64encode(bytes(32)), "issued_at": "2026-12-06T10:00:00+00:00",
        **extra,
    }
    return {**body, "signature": b64encode(COUNTY.sign(canonical_json(body)))}


def test_signed_public_url_reaches_the_profile() -> None:
    link = link_from_response(answer(public_url="https://YL.example.gov.cn/"),
                                    "https://sync.example")
    assert link.public_url == "https://yl.example.gov.cn"
    assert link_from_response(answer()).public_url == ""


def test_altered_public_url_is_refused() -> None:
    data = answer(public_url="https://yl.example.gov.cn")
    data["public_url"] = "https://evil.example"
    with pytest.raises(InputRejected, match="签名无效"):
        link_from_response(data)


def test_unsound_public_url_is_refused_even_when_signed() -> None:
    with pytest.raises(InputRejected, match="公开核验地址无效"):
        link_from_response(answer(public_url="javascript:alert(1)"))
    data = answer(public_url="https://yl.example.gov.cn", extra_field="x")
    with pytest.raises(InputRejected, match="字段不符"):
        link_from_response(data)
