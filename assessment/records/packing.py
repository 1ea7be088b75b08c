"""Compressed JSON in the store: the change log's payloads and the wide JSON columns.

A 100,000-elder township kept about 190 MB of change-log JSON and another 130 MB of answers
and person fields, each value a few hundred bytes of the same keys and phrases. Each value is
now stored as one zstandard frame compressed with a dictionary trained once on such values
(``resources/store/payloads-1.zdict``): 1,100 bytes of a change become about 160, at a few
microseconds each way.

Format of a stored value: one format byte, then the data. ``0x01``: a zstandard frame
compressed with dictionary 1. A value that starts with anything else is legacy plain JSON text
(stores written before migration 0009, whose rows that migration converts). The dictionary
file must never change: a new one would be dictionary 2 with format byte ``0x02``, and both
would be kept for reading (a test pins the file's hash).

Unpacking is a reader with a limit: a frame that claims more than :data:`MAX_UNPACKED` bytes
(a damaged or crafted store) is refused with a :class:`~assessment.records.api.StoreError`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from typing import Any

import zstandard
from sqlalchemy import JSON, Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from assessment.paths import resources_dir
from assessment.records.api import StoreError

FORMAT_DICT_1 = 0x01
DICTIONARY_FILE = "store/payloads-1.zdict"
DICTIONARY_SHA256 = "d0bc34051b62bfbb87388163d6e149e0af9ecc27dcbd57eb16a22fb98169a98c"
MAX_UNPACKED = 16 * 1024 * 1024  # no stored record comes near this
LEVEL = 3


@cache
def _dictionary() -> zstandard.ZstdCompressionDict:
    data = (resources_dir() / DICTIONARY_FILE).read_bytes()
    compression = zstandard.ZstdCompressionDict(data)
    compression.precompute_compress(level=LEVEL)
    return compression


@cache
def _compressor() -> zstandard.ZstdCompressor:
    return zstandard.ZstdCompressor(level=LEVEL, dict_data=_dictionary(), write_checksum=False,
                                    write_content_size=True, write_dict_id=False)


@cache
def _decompressor() -> zstandard.ZstdDecompressor:
    return zstandard.ZstdDecompressor(dict_data=_dictionary())


def pack(data: bytes) -> bytes:
    """Compress ``data`` (UTF-8 JSON) into the stored form."""
    return bytes((FORMAT_DICT_1,)) + _compressor().compress(data)


def unpack(stored: bytes | str) -> bytes:
    """The JSON bytes of a stored value (packed, or legacy plain text)."""
    if isinstance(stored, str):
        return stored.encode("utf-8")
    if not stored or stored[0] != FORMAT_DICT_1:
        return bytes(stored)
    frame = memoryview(stored)[1:]
    try:
        size = zstandard.frame_content_size(frame)
        if size < 0 or size > MAX_UNPACKED:
            raise StoreError("本机数据库中一条压缩记录的长度无效（数据库可能已损坏）")
        return _decompressor().decompress(frame, max_output_size=MAX_UNPACKED)
    except zstandard.ZstdError as exc:
        raise StoreError(f"本机数据库中一条压缩记录无法解压（数据库可能已损坏）：{exc}") from exc


class PackedText(TypeDecorator[str]):
    """A text column (JSON text whose exact bytes matter, e.g. hashed) stored packed.

    The column keeps its declared type (``TEXT``; SQLite keeps the packed value as a blob):
    the processors below replace the declared type's own, they do not wrap them."""

    impl = Text
    cache_ok = True

    def bind_processor(self, dialect: Dialect) -> Callable[[Any], Any]:
        """Pack on the way in."""
        def process(value: Any) -> Any:
            return None if value is None else pack(str(value).encode("utf-8"))
        return process

    def result_processor(self, dialect: Dialect, coltype: object) -> Callable[[Any], Any]:
        """Unpack on the way out."""
        def process(value: Any) -> Any:
            return None if value is None else unpack(value).decode("utf-8")
        return process


class PackedJSON(TypeDecorator[Any]):
    """A JSON column stored packed (compact JSON, Chinese as UTF-8, then compressed); the
    column keeps its declared type ``JSON`` as :class:`PackedText` keeps ``TEXT``."""

    impl = JSON
    cache_ok = True

    def bind_processor(self, dialect: Dialect) -> Callable[[Any], Any]:
        """Serialise and pack on the way in (``None`` is SQL NULL)."""
        def process(value: Any) -> Any:
            if value is None:
                return None
            text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
            return pack(text.encode("utf-8"))
        return process

    def result_processor(self, dialect: Dialect, coltype: object) -> Callable[[Any], Any]:
        """Unpack and parse on the way out."""
        def process(value: Any) -> Any:
            return None if value is None else json.loads(unpack(value))
        return process
