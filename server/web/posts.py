"""Reading the pages' posts (HTML form submissions) with size limits: small url-encoded
posts and multipart uploads of one file (a bundle, an enrolment request, a service-list file)."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass
from urllib.parse import parse_qsl

from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import Request

from assessment.errors import InputRejected, Problem
from server.deps import read_body
from server.errors import TooLarge

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
