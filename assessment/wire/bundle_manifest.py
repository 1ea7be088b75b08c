"""What every bundle format shares: the magic, the clear-text manifest and its checks, and the
one refusal (:class:`BundleRejected`) a bad bundle gets.

A bundle starts ``b"YINLINGB" | u32 manifest length | manifest (canonical JSON)`` in every
format version (integers big-endian); what follows depends on ``format_version``
(:mod:`assessment.wire.bundle` for version 3, :mod:`assessment.wire.bundle_v2` for the
previous one).
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import Any, BinaryIO

from assessment.errors import InputRejected, Problem
from assessment.inputreader import DEFAULT_LIMITS, parse_json
from assessment.wire.changes import Link, canonical_json

MAGIC = b"YINLINGB"
FORMAT = "yinling-bundle"
FORMAT_VERSION = 3  # framed and streamed
LEGACY_VERSION = 2  # one sealed payload; still read (laptops in the field may carry one)
MIN_FORMAT_VERSION = 2  # version 1 was never signed over the manifest; refused as a downgrade
HEAD = struct.Struct(">I")
MAX_MANIFEST = 64 * 1024

_COMMON_FIELDS: dict[str, type] = {
    "format": str, "format_version": int, "bundle_id": str, "device_id": str, "seq_from": int,
    "seq_to": int, "count": int, "counts": dict, "compression": str, "created_at": str,
    "county_key_id": str, "ephemeral_public": str,
}
MANIFEST_FIELDS: dict[int, dict[str, type]] = {
    3: {**_COMMON_FIELDS, "frame_bytes": int},
    2: {**_COMMON_FIELDS, "payload_sha256": str, "payload_bytes": int, "nonce": str},
}


class BundleRejected(InputRejected):
    """A bundle refused whole; ``reason`` is the one Chinese sentence to show."""

    def __init__(self, code: str, reason: str) -> None:
        self.code = code
        self.reason = reason
        super().__init__([Problem("bundle", code, reason)])


def truncated() -> BundleRejected:
    """The refusal of a file that ends too early."""
    return BundleRejected("truncated", "数据包不完整（文件被截断）")


@dataclass(frozen=True, slots=True)
class BundleManifest:
    """The clear-text description of a bundle."""

    bundle_id: str
    device_id: str
    seq_from: int
    seq_to: int
    count: int
    counts: dict[str, int]
    created_at: str
    county_key_id: str
    format_version: int = FORMAT_VERSION


def manifest_from_json(data: dict[str, Any]) -> BundleManifest:
    """The dataclass of a checked manifest."""
    return BundleManifest(
        bundle_id=data["bundle_id"], device_id=data["device_id"], seq_from=data["seq_from"],
        seq_to=data["seq_to"], count=data["count"], counts=dict(data["counts"]),
        created_at=data["created_at"], county_key_id=data["county_key_id"],
        format_version=data["format_version"],
    )


def read_head(source: BinaryIO, size: int) -> tuple[dict[str, Any], bytes, int]:
    """Read and check the manifest at the start of ``source`` (``size`` bytes long); return
    (manifest, its bytes, the offset where the rest begins)."""
    source.seek(0)
    magic = source.read(len(MAGIC))
    if magic and len(magic) < len(MAGIC) and MAGIC.startswith(magic):
        raise truncated()
    if magic != MAGIC:
        raise BundleRejected("magic", "不是银龄数据包文件")
    raw = source.read(HEAD.size)
    if len(raw) < HEAD.size:
        raise truncated()
    (length,) = HEAD.unpack(raw)
    if length > MAX_MANIFEST:
        raise BundleRejected("manifest", "数据包清单过大，文件已损坏")
    manifest_bytes = source.read(length)
    if len(manifest_bytes) < length:
        raise truncated()
    end = len(MAGIC) + HEAD.size + length
    if end > size:
        raise truncated()
    try:
        manifest = parse_json(manifest_bytes, DEFAULT_LIMITS.with_max_bytes(MAX_MANIFEST),
                              "manifest")
    except InputRejected as exc:
        raise BundleRejected("manifest", f"数据包清单无法解析，文件已损坏（{exc}）") from exc
    check_manifest(manifest, manifest_bytes)
    return manifest, manifest_bytes, end


def check_manifest(manifest: object, manifest_bytes: bytes) -> None:
    """Refuse a manifest of the wrong shape, version, encoding or arithmetic."""
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BundleRejected("manifest", "数据包清单格式不符")
    version = manifest.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise BundleRejected("manifest", "数据包清单缺少格式版本")
    if version < MIN_FORMAT_VERSION:
        raise BundleRejected("downgrade", f"数据包格式版本 {version} 过旧，已不再接受，"
                             "请用新版客户端重新导出")
    if version > FORMAT_VERSION:
        raise BundleRejected("version", f"数据包格式版本 {version} 高于本服务器支持的版本，"
                             "请升级县级服务器")
    fields = MANIFEST_FIELDS[version]
    if set(manifest) != set(fields):
        raise BundleRejected("manifest", "数据包清单字段不符")
    for key, kind in fields.items():
        value = manifest[key]
        if not isinstance(value, kind) or isinstance(value, bool):
            raise BundleRejected("manifest", f"数据包清单字段 {key} 类型不符")
    if canonical_json(manifest) != manifest_bytes:
        raise BundleRejected("manifest", "数据包清单编码不规范，文件已被改动")
    counts = manifest["counts"]
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in counts.values()):
        raise BundleRejected("manifest", "数据包清单计数无效")
    if (manifest["seq_from"] < 1 or manifest["seq_to"] < manifest["seq_from"]
            or manifest["count"] != manifest["seq_to"] - manifest["seq_from"] + 1
            or sum(counts.values()) != manifest["count"]
            or manifest.get("payload_bytes", 0) < 0):
        raise BundleRejected("manifest", "数据包清单的序号范围与数量不一致")


record_type = attrgetter("record_type")


def chained(changes: Sequence[Link]) -> bool:
    """True when ``changes`` are in sequence order, each the one after the one before (the
    usual case, checked in one pass; :func:`~assessment.wire.changes.verify_chain` says what
    is wrong otherwise)."""
    seq, digest = changes[0].seq, changes[0].prev_hash
    for change in changes:
        if change.seq != seq or change.prev_hash != digest:
            return False
        seq, digest = seq + 1, change.hash
    return True
