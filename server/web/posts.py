"""Reading the pages' posts (HTML form submissions) with size limits: small url-encoded
posts and multipart uploads of one file (a bundle, an enrolment request, a service-list file);
a bundle's file goes straight to a private file (:func:`read_upload_into`), not into memory."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass
from typing import TYPE_CHECKING, BinaryIO
from urllib.parse import parse_qsl

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import Request

from assessment.errors import InputRejected, Problem
from server.deps import read_body
from server.errors import TooLarge
from server.upload_spool import ChunkWriter

if TYPE_CHECKING:
    from python_multipart.multipart import MultipartCallbacks

POST_LIMIT = 16 * 1024  # a resolve note is at most 500 characters
UPLOAD_SLACK = 64 * 1024  # multipart framing and the small fields around the file
MAX_FIELDS = 16


def _refuse(message: str) -> InputRejected:
    return InputRejected([Problem("form", "value", message)])


async def read_post(request: Request) -> dict[str, str]:
    """The fields of a url-encoded form post (the first value of each name)."""
    body = await read_body(request, POST_LIMIT)
    if not body:
        return {}  # nothing posted: the CSRF check refuses it
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":
        raise _refuse("表单格式无效，请从页面上提交")
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True,
                          max_num_fields=MAX_FIELDS, strict_parsing=False)
    except (UnicodeDecodeError, ValueError) as exc:
        raise _refuse("表单内容无效，请从页面上提交") from exc
    fields: dict[str, str] = {}
    for name, value in pairs:
        fields.setdefault(name, value)
    return fields


@dataclass(frozen=True, slots=True)
class Upload:
    """A multipart post: its text fields and the one file's bytes (``None`` if no file)."""

    fields: dict[str, str]
    data: bytes | None
    filename: str


def _mb(limit: int) -> str:
    if limit < 1024 * 1024:  # an enrolment request or a list file: a few KB
        return f"{limit // 1024} KB"
    return f"{limit / (1024 * 1024):.0f} MB"


async def _limited(request: Request, limit: int) -> AsyncGenerator[bytes, None]:
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise TooLarge(f"上传的文件超过大小上限（{_mb(limit)}）")
        yield chunk


async def read_upload(request: Request, file_limit: int) -> Upload:
    """Parse a multipart post holding one file of at most ``file_limit`` bytes.

    The size is enforced while the body streams in (the file part is spooled to a temporary
    file by the parser), before anything is imported.
    """
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "multipart/form-data":
        raise _refuse("上传格式无效，请从页面上选择文件后提交")
    limit = file_limit + UPLOAD_SLACK
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise TooLarge(f"上传的文件超过大小上限（{_mb(file_limit)}）")
    parser = MultiPartParser(request.headers, _limited(request, limit), max_files=1,
                             max_fields=MAX_FIELDS, max_part_size=POST_LIMIT)
    try:
        form = await parser.parse()
    except MultiPartException as exc:
        raise _refuse("上传内容无效，请从页面上选择文件后提交") from exc
    try:
        fields: dict[str, str] = {}
        data: bytes | None = None
        filename = ""
        for name, value in form.multi_items():
            if isinstance(value, UploadFile):
                filename = value.filename or ""
                data = await value.read()
            else:
                fields.setdefault(name, value)
        if data is not None and len(data) > file_limit:
            raise TooLarge(f"上传的文件超过大小上限（{_mb(file_limit)}）")
        return Upload(fields, data, filename)
    finally:
        await form.close()


@dataclass(frozen=True, slots=True)
class SpooledUpload:
    """A multipart post whose one file went to a file: its text fields, the file's size
    (``None`` if no file was posted) and its name."""

    fields: dict[str, str]
    size: int | None
    filename: str


class _Parts:
    """The callbacks of python-multipart's streaming parser: small text fields kept, the one
    file part's bytes handed to a :class:`ChunkWriter`, every part bounded."""

    def __init__(self, writer: ChunkWriter, file_limit: int) -> None:
        self.writer, self.file_limit = writer, file_limit
        self.fields: dict[str, str] = {}
        self.filename = ""
        self.files = 0
        self.count = 0
        self.chunks: list[bytes] = []  # file bytes parsed, not yet handed to the writer
        self.file_size = 0
        self._header_name = b""
        self._header_value = b""
        self._disposition = b""
        self._name = ""
        self._is_file = False
        self._data = bytearray()

    def callbacks(self) -> MultipartCallbacks:
        """The parser's callbacks, bound to this upload."""
        return {"on_part_begin": self.on_part_begin, "on_part_data": self.on_part_data,
                "on_part_end": self.on_part_end, "on_header_field": self.on_header_field,
                "on_header_value": self.on_header_value, "on_header_end": self.on_header_end,
                "on_headers_finished": self.on_headers_finished}

    def on_part_begin(self) -> None:
        self._disposition, self._data, self._is_file = b"", bytearray(), False

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def on_header_end(self) -> None:
        if self._header_name.lower() == b"content-disposition":
            self._disposition = self._header_value
        self._header_name = self._header_value = b""

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self._disposition)
        if b"name" not in options:
            raise _refuse("上传内容无效，请从页面上选择文件后提交")
        self._name = _text(options[b"name"])
        self.count += 1
        if self.count > MAX_FIELDS:
            raise _refuse("上传内容无效，请从页面上选择文件后提交")
        if b"filename" in options:
            self.files += 1
            if self.files > 1:
                raise _refuse("一次只能上传一个文件")
            self._is_file = True
            self.filename = _text(options[b"filename"])

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._is_file:
            self.file_size += end - start
            if self.file_size > self.file_limit:
                raise TooLarge(f"上传的文件超过大小上限（{_mb(self.file_limit)}）")
            self.chunks.append(data[start:end])
            return
        if len(self._data) + end - start > POST_LIMIT:
            raise _refuse("上传内容无效，请从页面上选择文件后提交")
        self._data += data[start:end]

    def on_part_end(self) -> None:
        if not self._is_file:
            self.fields.setdefault(self._name, _text(bytes(self._data)))

    async def hand_over(self) -> None:
        """Give the parsed file bytes to the writer."""
        for chunk in self.chunks:
            await self.writer.add(chunk)
        self.chunks = []


def _text(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _refuse("上传内容无效，请从页面上选择文件后提交") from exc


async def read_upload_into(request: Request, file_limit: int,
                           handle: BinaryIO) -> SpooledUpload:
    """Parse a multipart post holding one file of at most ``file_limit`` bytes, writing the
    file's bytes into ``handle`` as they stream in (memory: a chunk or two, whatever the
    file's size); the text fields come back, each at most :data:`POST_LIMIT` bytes."""
    kind, params = parse_options_header(request.headers.get("content-type", ""))
    if kind.lower() != b"multipart/form-data" or not params.get(b"boundary"):
        raise _refuse("上传格式无效，请从页面上选择文件后提交")
    limit = file_limit + UPLOAD_SLACK
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise TooLarge(f"上传的文件超过大小上限（{_mb(file_limit)}）")
    writer = ChunkWriter(handle)
    parts = _Parts(writer, file_limit)
    parser = MultipartParser(params[b"boundary"], parts.callbacks())
    try:
        async for chunk in _limited(request, limit):
            parser.write(chunk)
            await parts.hand_over()
        parser.finalize()
    except FormParserError as exc:
        raise _refuse("上传内容无效，请从页面上选择文件后提交") from exc
    await parts.hand_over()
    await writer.flush()
    await run_in_threadpool(handle.flush)
    return SpooledUpload(parts.fields, writer.size if parts.files else None, parts.filename)
