"""The offline bundle: a device's unacknowledged changes in one signed, encrypted file, written
and read as a stream of frames so that neither side holds the whole of it in memory.

Layout of format version 3 (all integers big-endian)::

    b"YINLINGB" | u32 manifest length | manifest (canonical JSON)
               | frame 0 | frame 1 | … | frame n (final) | Ed25519 signature (64 bytes)
    frame = u8 flags (1 on the final frame, else 0) | u32 sealed length | sealed bytes

The manifest (format version, bundle id, device, sequence range, counts, creation time, the
county key it is sealed to, the ephemeral key) travels in clear so the county can see what a
bundle is before opening it. Each frame holds whole consecutive changes, ``{"changes": [...]}``
in canonical JSON, zlib-compressed, sealed with AES-256-GCM under one key the device's
ephemeral X25519 key agrees with the county's (:func:`assessment.wire.crypto.sealing_key`).
Frame *i* is sealed with the nonce ``flags | 3 zero bytes | u64 i`` and the associated data
``SHA-256(manifest) | u64 i | flags``: a frame moved (reordered), repeated (duplicated),
taken from another bundle (spliced: another ephemeral key, another manifest), or with its
final flag or tag altered fails its tag; a stream that stops before its final frame is
truncated. The device signs ``b"yinling-bundle-v3" | SHA-256(every byte before the
signature)``, so the signature is checked by hashing while reading.

Reading (:func:`verify_bundle`) takes two passes over a seekable file. The first walks the
frames' lengths while hashing and checks the signature: nothing is decrypted or parsed before
the device's signature holds. The second (:meth:`VerifiedBundle.batches`) decrypts, parses and
checks the frames one after another and hands out batches of changes, hashing again so that
a file changed between the passes is refused. Checks that need the whole stream (the count,
the counts per record type, the final frame) can only fail after earlier batches were handed
out: the county applies all batches inside one database transaction and a refusal raised by
the stream rolls it back (:func:`server.bundles.import_bundle`), so a bundle is still applied
whole or not at all. Memory stays bounded by a frame and a batch (:data:`BATCH` changes, or
fewer when their plaintext reaches :data:`BATCH_BYTES`: a few large changes make a batch of
their own), whatever the bundle's size.

Version 2 bundles (one sealed payload) are still read (:mod:`assessment.wire.bundle_v2`);
version 1 is refused as a downgrade.
"""

from __future__ import annotations

import hashlib
import io
import os
import struct
import zlib
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from assessment.errors import InputRejected, Problem
from assessment.ids import new_id
from assessment.wire.bundle_manifest import (
    FORMAT,
    FORMAT_VERSION,
    HEAD,
    LEGACY_VERSION,
    MAGIC,
    BundleManifest,
    BundleRejected,
    chained,
    manifest_from_json,
    read_head,
    record_type,
    truncated,
)
from assessment.wire.bundle_v2 import open_v2, parse_payload
from assessment.wire.changes import Change, WireChange, canonical_json, verify_chain
from assessment.wire.crypto import (
    KEY_BYTES,
    SIGNATURE_BYTES,
    CryptoError,
    b64decode,
    b64encode,
    key_id,
    opening_key,
    public_bytes,
    sealing_key,
    verify,
)
from assessment.wire.device import DeviceKeys
from assessment.wire.outbox import (
    Outbox,
    PendingSummary,
    pending_summary,
    pending_wire,
    summarise,
)

__all__ = [
    "FORMAT_VERSION", "MAGIC", "BundleManifest", "BundleRejected", "OpenedBundle",
    "VerifiedBundle", "encode_bundle", "export_bundle", "open_bundle", "read_manifest",
    "verify_bundle", "write_bundle", "write_stream",
]

DEFAULT_MAX_BYTES = 512 * 1024 * 1024
DEFAULT_MAX_CHANGES = 1_000_000
FRAME_TARGET = 1024 * 1024  # plaintext bytes a writer puts in one frame (whole changes)
MAX_FRAME_PLAIN = 64 * 1024 * 1024  # a frame's plaintext, decompressed, at most
MAX_FRAME_SEALED = MAX_FRAME_PLAIN + 1024 * 1024  # a frame's sealed bytes, at most
BATCH = 5000  # changes handed to the caller at a time
BATCH_BYTES = 32 * 1024 * 1024  # or fewer, once their frames' plaintext reaches this
EXPORT_PAGE = 5000  # changes an export reads from the outbox at a time
_FRAME = struct.Struct(">BI")
_INDEX = struct.Struct(">Q")
_FINAL = 1
_TAG_BYTES = 16
_KEY_INFO = b"yinling-bundle-v3-frames"
_SIGNED = b"yinling-bundle-v3"
_READ = 1024 * 1024


@dataclass(frozen=True, slots=True)
class OpenedBundle:
    """A verified, decrypted bundle: its manifest, its changes and the file's SHA-256."""

    manifest: BundleManifest
    changes: tuple[Change, ...]
    file_sha256: str


def _nonce(index: int, flags: int) -> bytes:
    return bytes((flags, 0, 0, 0)) + _INDEX.pack(index)


def _aad(manifest_digest: bytes, index: int, flags: int) -> bytes:
    return manifest_digest + _INDEX.pack(index) + bytes((flags,))


def _signed_message(body_digest: bytes) -> bytes:
    return _SIGNED + body_digest


# --- writing ---------------------------------------------------------------------------------

def _frames_of(pages: Iterator[Sequence[WireChange]], summary: PendingSummary,
               device_id: str) -> Iterator[bytes]:
    """The plaintext of each frame: whole changes, about :data:`FRAME_TARGET` bytes each,
    taken from ``pages`` as they come. The changes must be exactly those ``summary``
    announced: this device's, consecutive from ``summary.seq_from``, each chained to the one
    before, ``summary.count`` of them with the announced counts per record type; anything
    else is refused (the caller removes the part written)."""
    part: list[bytes] = []
    size = 0
    seq, digest = summary.seq_from, ""
    counts: Counter[str] = Counter()
    for page in pages:
        for wire in page:
            if wire.device_id != device_id:
                raise InputRejected([Problem("bundle", "device", "只能导出本机的变更")])
            if wire.seq != seq or (digest and wire.prev_hash != digest):
                raise InputRejected([Problem("bundle", "chain", "本机变更记录不连续，无法导出")])
            seq, digest = seq + 1, wire.hash
            counts[wire.record_type] += 1
            part.append(wire.raw)
            size += len(wire.raw) + 1
            if size >= FRAME_TARGET:
                yield b'{"changes":[' + b",".join(part) + b"]}"
                part, size = [], 0
    if seq != summary.seq_to + 1 or dict(counts) != summary.counts:
        raise InputRejected([Problem("bundle", "chain",
                                     "本机变更记录在导出时发生了变化，请重新导出")])
    if part:
        yield b'{"changes":[' + b",".join(part) + b"]}"


def write_bundle(handle: BinaryIO, keys: DeviceKeys, county_box: X25519PublicKey,
                 changes: Sequence[Change] | Sequence[WireChange], *,
                 created_at: datetime | None = None,
                 bundle_id: str | None = None) -> BundleManifest:
    """Seal and sign ``changes`` (own, contiguous, chained) into ``handle``, frame by frame.

    Changes given in wire form (:func:`assessment.wire.outbox.pending_wire`) are copied into
    the frames as they are, without being parsed or encoded again.
    """
    if not changes:
        raise InputRejected([Problem("bundle", "empty", "没有待上传的变更")])
    wires = sorted((c if isinstance(c, WireChange) else WireChange.of(c) for c in changes),
                   key=lambda c: c.seq)  # the county reads them in sequence order
    first = wires[0]
    if any(c.device_id != keys.device_id for c in wires):
        raise InputRejected([Problem("bundle", "device", "只能导出本机的变更")])
    if not chained(wires) and verify_chain(wires, after_seq=first.seq - 1,
                                           after_hash=first.prev_hash):
        raise InputRejected([Problem("bundle", "chain", "本机变更记录不连续，无法导出")])
    summary = summarise(wires)
    assert summary is not None
    return write_stream(handle, keys, county_box, summary, iter((wires,)),
                        created_at=created_at, bundle_id=bundle_id)


def write_stream(handle: BinaryIO, keys: DeviceKeys, county_box: X25519PublicKey,
                 summary: PendingSummary, pages: Iterator[Sequence[WireChange]], *,
                 created_at: datetime | None = None,
                 bundle_id: str | None = None) -> BundleManifest:
    """Seal and sign the changes ``summary`` announces, read page by page from ``pages``:
    memory holds a page and a frame, whatever the bundle's size. The manifest (written
    first, and bound into every frame) comes from ``summary``; the changes are checked
    against it as they are written (:func:`_frames_of`)."""
    ephemeral = X25519PrivateKey.generate()
    created = (created_at or datetime.now(UTC)).astimezone(UTC)
    manifest: dict[str, Any] = {
        "format": FORMAT, "format_version": FORMAT_VERSION, "bundle_id": bundle_id or new_id(),
        "device_id": keys.device_id, "seq_from": summary.seq_from, "seq_to": summary.seq_to,
        "count": summary.count, "counts": dict(sorted(summary.counts.items())),
        "compression": "zlib", "frame_bytes": FRAME_TARGET,
        "created_at": created.isoformat(timespec="seconds"),
        "county_key_id": key_id(public_bytes(county_box)),
        "ephemeral_public": b64encode(public_bytes(ephemeral.public_key())),
    }
    manifest_bytes = canonical_json(manifest)
    manifest_digest = hashlib.sha256(manifest_bytes).digest()
    aead = AESGCM(sealing_key(county_box, ephemeral, _KEY_INFO))
    body = hashlib.sha256()

    def put(data: bytes) -> None:
        body.update(data)
        handle.write(data)

    put(MAGIC + HEAD.pack(len(manifest_bytes)) + manifest_bytes)
    plains = _frames_of(pages, summary, keys.device_id)
    plain = next(plains, None)
    if plain is None:
        raise InputRejected([Problem("bundle", "empty", "没有待上传的变更")])
    index = 0
    while True:
        following = next(plains, None)
        flags = _FINAL if following is None else 0
        if len(plain) > MAX_FRAME_PLAIN:
            raise InputRejected([Problem("bundle", "size", "单条变更过大，无法导出")])
        sealed = aead.encrypt(_nonce(index, flags), zlib.compress(plain, 1),
                              _aad(manifest_digest, index, flags))
        put(_FRAME.pack(flags, len(sealed)) + sealed)
        if following is None:
            break
        plain, index = following, index + 1
    handle.write(keys.sign_key.sign(_signed_message(body.digest())))
    return manifest_from_json(manifest)


def encode_bundle(keys: DeviceKeys, county_box: X25519PublicKey,
                  changes: Sequence[Change] | Sequence[WireChange], *,
                  created_at: datetime | None = None,
                  bundle_id: str | None = None) -> tuple[bytes, BundleManifest]:
    """:func:`write_bundle` into memory: the bundle's bytes and its manifest."""
    buffer = io.BytesIO()
    manifest = write_bundle(buffer, keys, county_box, changes, created_at=created_at,
                            bundle_id=bundle_id)
    return buffer.getvalue(), manifest


def export_bundle(outbox: Outbox, keys: DeviceKeys, county_box: X25519PublicKey, path: Path,
                  *, max_changes: int = DEFAULT_MAX_CHANGES,
                  after_seq: int | None = None) -> BundleManifest | None:
    """Write the unacknowledged changes (those after ``after_seq`` if given: the next part of
    a log longer than ``max_changes``) to ``path``, at most ``max_changes`` of them, read
    from the outbox :data:`EXPORT_PAGE` at a time; None when there is nothing to send. The
    file appears only when complete (written as ``.part``, then renamed)."""
    after = outbox.sync_state().acked_seq if after_seq is None else after_seq
    summary = pending_summary(outbox, after, max_changes)
    if summary is None:
        return None

    def pages() -> Iterator[Sequence[WireChange]]:
        done = after
        while done < summary.seq_to:
            page = pending_wire(outbox, done, min(EXPORT_PAGE, summary.seq_to - done))
            if not page:
                return
            yield page
            done = page[-1].seq

    tmp = path.with_name(path.name + ".part")
    try:
        with tmp.open("wb") as handle:
            manifest = write_stream(handle, keys, county_box, summary, pages())
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return manifest


# --- reading ---------------------------------------------------------------------------------

def _size(source: BinaryIO) -> int:
    source.seek(0, os.SEEK_END)
    return source.tell()


def read_manifest(data: bytes) -> BundleManifest:
    """The manifest of a bundle, checked for shape only (nothing verified or decrypted)."""
    manifest, _, _ = read_head(io.BytesIO(data), len(data))
    return manifest_from_json(manifest)


class VerifiedBundle:
    """A bundle whose signature holds: its manifest, the file's SHA-256, and its changes in
    batches (:meth:`batches`, decrypted and checked as they are read)."""

    def __init__(self, manifest: BundleManifest, file_sha256: str,
                 batches: Callable[[int], Iterator[tuple[Change, ...]]]) -> None:
        self.manifest = manifest
        self.file_sha256 = file_sha256
        self._batches = batches

    def batches(self, size: int = BATCH) -> Iterator[tuple[Change, ...]]:
        """The changes in sequence order, about ``size`` at a time. Raises
        :class:`BundleRejected` at the first fault, possibly after earlier batches (see the
        module docstring: the caller applies them all in one transaction)."""
        return self._batches(size)


def verify_bundle(source: BinaryIO, *, device_key: Callable[[str], Ed25519PublicKey],
                  county_box: X25519PrivateKey, max_bytes: int = DEFAULT_MAX_BYTES,
                  max_changes: int = DEFAULT_MAX_CHANGES) -> VerifiedBundle:
    """Check a bundle's shape and signature (first pass, streamed), or raise
    :class:`BundleRejected`. ``source`` is a seekable binary file, read again by
    :meth:`VerifiedBundle.batches`. ``device_key`` returns the enrolled Ed25519 key of a
    device id and raises :class:`BundleRejected` for an unknown or revoked device."""
    size = _size(source)
    if size > max_bytes:
        raise BundleRejected("oversize", f"数据包过大（{size} 字节，上限 {max_bytes} 字节）")
    manifest, manifest_bytes, head_end = read_head(source, size)
    public = device_key(manifest["device_id"])
    if manifest["format_version"] == LEGACY_VERSION:
        source.seek(0)
        data = source.read()
        changes = open_v2(data, manifest, manifest_bytes, head_end, public=public,
                          county_box=county_box, max_bytes=max_bytes, max_changes=max_changes)
        digest = hashlib.sha256(data).hexdigest()
        del data

        def legacy(batch: int) -> Iterator[tuple[Change, ...]]:
            for start in range(0, len(changes), batch):
                yield changes[start:start + batch]

        return VerifiedBundle(manifest_from_json(manifest), digest, legacy)
    body_digest, file_digest = _first_pass(source, size, head_end)
    source.seek(size - SIGNATURE_BYTES)
    if not verify(public, source.read(SIGNATURE_BYTES), _signed_message(body_digest)):
        raise BundleRejected("signature", "数据包签名无效：内容被篡改或不是该设备导出的")
    if manifest["county_key_id"] != key_id(public_bytes(county_box.public_key())):
        raise BundleRejected("county", "数据包不是发给本县服务器的（密钥不符）")
    if manifest["count"] > max_changes:
        raise BundleRejected("oversize", f"数据包记录过多（{manifest['count']} 条）")
    if manifest["compression"] != "zlib":
        raise BundleRejected("manifest", "数据包压缩方式不受支持")
    try:
        key = opening_key(county_box, b64decode(manifest["ephemeral_public"], size=KEY_BYTES),
                          _KEY_INFO)
    except CryptoError as exc:
        raise BundleRejected("decrypt", f"数据包无法解密：{exc}") from exc
    reader = _FrameReader(source, size, head_end, manifest, manifest_bytes, key, body_digest)
    return VerifiedBundle(manifest_from_json(manifest), file_digest, reader.batches)


def _first_pass(source: BinaryIO, size: int, head_end: int) -> tuple[bytes, str]:
    """Walk the frames' lengths while hashing: (SHA-256 of the signed part, hex SHA-256 of
    the file). Refuses a stream cut short, with bytes after its final frame, or with a frame
    larger than any writer makes."""
    end = size - SIGNATURE_BYTES
    if end < head_end + _FRAME.size:
        raise truncated()
    body = hashlib.sha256()
    whole = hashlib.sha256()
    source.seek(0)
    _copy(source, head_end, body, whole)
    pos = head_end
    while True:
        if pos + _FRAME.size > end:
            raise truncated()
        head = source.read(_FRAME.size)
        flags, length = _FRAME.unpack(head)
        if flags not in (0, _FINAL) or length > MAX_FRAME_SEALED or length < _TAG_BYTES:
            raise BundleRejected("frame", "数据包数据块格式不符，文件已损坏")
        body.update(head)
        whole.update(head)
        pos += _FRAME.size
        if pos + length > end:
            raise truncated()
        _copy(source, length, body, whole)
        pos += length
        if flags == _FINAL:
            break
    if pos != end:
        raise BundleRejected("trailing", "数据包末尾有多余内容，文件已被改动")
    whole.update(source.read(SIGNATURE_BYTES))
    return body.digest(), whole.hexdigest()


def _copy(source: BinaryIO, length: int, *hashes: Any) -> None:
    left = length
    while left:
        chunk = source.read(min(left, _READ))
        if not chunk:
            raise truncated()
        for h in hashes:
            h.update(chunk)
        left -= len(chunk)


class _FrameReader:
    """The second pass: decrypt, inflate, parse and check frame after frame."""

    def __init__(self, source: BinaryIO, size: int, head_end: int, manifest: dict[str, Any],
                 manifest_bytes: bytes, key: bytes, body_digest: bytes) -> None:
        self.source, self.size, self.head_end = source, size, head_end
        self.manifest, self.manifest_bytes = manifest, manifest_bytes
        self.aead = AESGCM(key)
        self.body_digest = body_digest

    def batches(self, size: int) -> Iterator[tuple[Change, ...]]:
        pending: list[Change] = []
        held = 0  # plaintext bytes of the pending changes
        for changes, plain_bytes in self._frames():
            pending.extend(changes)
            held += plain_bytes
            if len(pending) >= size or held >= BATCH_BYTES:
                yield tuple(pending)
                pending, held = [], 0
        if pending:
            yield tuple(pending)

    def _frames(self) -> Iterator[tuple[tuple[Change, ...], int]]:
        """Each frame's changes and the size of its plaintext."""
        manifest = self.manifest
        body = hashlib.sha256()
        self.source.seek(0)
        body.update(self.source.read(self.head_end))
        manifest_digest = hashlib.sha256(self.manifest_bytes).digest()
        device_id = manifest["device_id"]
        seq, link = manifest["seq_from"], None
        counts: Counter[str] = Counter()
        index = 0
        while True:
            head = self.source.read(_FRAME.size)
            if len(head) < _FRAME.size:
                raise _changed()
            flags, length = _FRAME.unpack(head)
            if flags not in (0, _FINAL) or length > MAX_FRAME_SEALED:
                raise _changed()
            sealed = self.source.read(length)
            body.update(head)
            body.update(sealed)
            try:
                compressed = self.aead.decrypt(_nonce(index, flags), sealed,
                                               _aad(manifest_digest, index, flags))
            except InvalidTag as exc:
                raise BundleRejected("frame", f"数据包第 {index + 1} 个数据块无法解密：内容被篡改、"
                                     "调换、重复或来自另一个数据包") from exc
            del sealed
            plaintext = _inflate(compressed)
            plain_bytes = len(plaintext)
            changes = parse_payload(plaintext, seq - manifest["seq_from"])
            del plaintext
            if not changes:
                raise BundleRejected("payload", "数据包中有空的数据块")
            for change in changes:
                if change.device_id != device_id:
                    raise BundleRejected("payload", "数据包中含有其他设备的变更")
                if change.seq != seq or seq > manifest["seq_to"]:
                    raise BundleRejected("payload", "数据包中的序号与清单不符")
                if link is not None and change.prev_hash != link:
                    raise BundleRejected("chain", "数据包中的变更哈希链不连续")
                seq, link = seq + 1, change.hash
            counts.update(map(record_type, changes))
            index += 1
            if flags == _FINAL:
                if seq != manifest["seq_to"] + 1:
                    raise BundleRejected("payload", "数据包中的序号与清单不符")
                if dict(counts) != manifest["counts"]:
                    raise BundleRejected("payload", "数据包中各类记录数与清单不符")
                if self.source.tell() != self.size - SIGNATURE_BYTES or \
                        body.digest() != self.body_digest:
                    raise _changed()
                yield changes, plain_bytes
                return
            yield changes, plain_bytes


def _changed() -> BundleRejected:
    return BundleRejected("changed", "数据包在读取过程中被改动，已拒绝")


def _inflate(compressed: bytes) -> bytes:
    inflater = zlib.decompressobj()
    try:
        plaintext = inflater.decompress(compressed, MAX_FRAME_PLAIN + 1)
    except zlib.error as exc:
        raise BundleRejected("payload", "数据包内容无法解压") from exc
    if len(plaintext) > MAX_FRAME_PLAIN or not inflater.eof or inflater.unused_data:
        raise BundleRejected("payload", "数据包数据块解压后过大或不完整")
    return plaintext


def open_bundle(data: bytes, *, device_key: Callable[[str], Ed25519PublicKey],
                county_box: X25519PrivateKey, max_bytes: int = DEFAULT_MAX_BYTES,
                max_changes: int = DEFAULT_MAX_CHANGES) -> OpenedBundle:
    """Verify, decrypt and parse a whole bundle held in memory (small bundles and tests; the
    county streams with :func:`verify_bundle`), or raise :class:`BundleRejected`."""
    verified = verify_bundle(io.BytesIO(data), device_key=device_key, county_box=county_box,
                             max_bytes=max_bytes, max_changes=max_changes)
    changes = tuple(c for batch in verified.batches() for c in batch)
    return OpenedBundle(verified.manifest, changes, verified.file_sha256)
