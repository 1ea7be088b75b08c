"""The county's signed receipt for an imported bundle, and its import on the laptop.

The county signs the receipt with its Ed25519 key; the laptop checks the signature with the
county key it received at enrolment, checks the receipt names this device, and marks its
changes acknowledged up to ``acked_seq`` (the county's contiguous prefix, which may stop short
of the bundle's end when an earlier bundle is still missing).

A receipt also carries the role grants the county holds for the device
(:mod:`assessment.wire.countygrant`, each signed on its own), so that a laptop that only ever
exchanges USB sticks receives them too: an outbox that keeps grants (:class:`GrantKeeper`)
stores them when the receipt is imported.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from assessment.errors import InputRejected, Problem
from assessment.wire.changes import canonical_json
from assessment.wire.crypto import (
    SIGNATURE_BYTES,
    CryptoError,
    b64decode,
    b64encode,
    key_id,
    public_bytes,
    verify,
)
from assessment.wire.outbox import Outbox

FORMAT = "yinling-receipt"
FORMAT_VERSION = 1
MAX_RECEIPT_BYTES = 64 * 1024


@dataclass(frozen=True, slots=True)
class Receipt:
    """What the county confirms about one imported bundle."""

    receipt_id: str
    device_id: str
    bundle_id: str
    bundle_sha256: str
    seq_from: int
    seq_to: int
    acked_seq: int
    applied: int
    duplicates: int
    quarantined: int
    issued_at: str
    county_key_id: str
    role_grants: tuple[Mapping[str, Any], ...] = ()

    def body(self) -> dict[str, Any]:
        """The signed fields (no ``role_grants`` when there are none)."""
        fields = asdict(self)
        grants = fields.pop("role_grants")
        if grants:
            fields["role_grants"] = [dict(g) for g in grants]
        return {"format": FORMAT, "format_version": FORMAT_VERSION, **fields}


@runtime_checkable
class GrantKeeper(Protocol):
    """An outbox that keeps the county's role grants (the laptop's workspace)."""

    def keep_county_grants(self, grants: Sequence[Mapping[str, Any]]) -> int:
        """Keep the grants that are the county's and for this device; how many were."""
        ...


def sign_receipt(receipt: Receipt, county_sign: Ed25519PrivateKey) -> bytes:
    """The receipt file's bytes: its body plus the county's signature, as JSON."""
    body = receipt.body()
    signature = county_sign.sign(canonical_json(body))
    return json.dumps({**body, "signature": b64encode(signature)}, ensure_ascii=False,
                      indent=2).encode("utf-8")


def county_key_id(county_sign_public: Ed25519PublicKey) -> str:
    """The name a receipt gives the county signing key."""
    return key_id(public_bytes(county_sign_public))


def parse_receipt(data: bytes, county_sign_public: Ed25519PublicKey) -> Receipt:
    """Verify a receipt file; refuse it whole when malformed or not signed by this county."""
    def refuse(code: str, message: str) -> InputRejected:
        return InputRejected([Problem("receipt", code, message)])

    if len(data) > MAX_RECEIPT_BYTES:
        raise refuse("oversize", "回执文件过大，不是银龄回执")
    try:
        raw = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise refuse("format", "回执文件无法解析") from exc
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise refuse("format", "不是银龄回执文件")
    if raw.get("format_version") != FORMAT_VERSION:
        raise refuse("version", "回执格式版本不受支持")
    signature_text = raw.pop("signature", None)
    if not isinstance(signature_text, str):
        raise refuse("signature", "回执缺少签名")
    try:
        signature = b64decode(signature_text, size=SIGNATURE_BYTES)
    except CryptoError as exc:
        raise refuse("signature", "回执签名格式无效") from exc
    if not verify(county_sign_public, signature, canonical_json(raw)):
        raise refuse("signature", "回执签名无效：不是本县服务器签发或已被改动")
    fields = {k: v for k, v in raw.items() if k not in {"format", "format_version"}}
    grants = fields.pop("role_grants", [])
    if not isinstance(grants, list) or not all(isinstance(g, dict) for g in grants):
        raise refuse("format", "回执中的角色授权格式不符")
    try:
        receipt = Receipt(**fields, role_grants=tuple(grants))
    except TypeError as exc:
        raise refuse("format", "回执字段不符") from exc
    return receipt


def import_receipt(path: Path, outbox: Outbox, county_sign_public: Ed25519PublicKey) -> Receipt:
    """Verify the receipt in ``path`` and mark this device's changes acknowledged."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputRejected([Problem(str(path), "read", "无法读取回执文件")]) from exc
    receipt = parse_receipt(data, county_sign_public)
    state = outbox.sync_state()
    if receipt.device_id != outbox.device_id:
        raise InputRejected([Problem("receipt.device_id", "device", "回执不是发给本机的")])
    if receipt.acked_seq > state.last_seq:
        raise InputRejected([Problem("receipt.acked_seq", "range",
                                     "回执确认的序号超出本机记录，回执与本机不符")])
    outbox.mark_acked(receipt.acked_seq)
    if receipt.role_grants and isinstance(outbox, GrantKeeper):
        outbox.keep_county_grants(receipt.role_grants)
    return receipt
