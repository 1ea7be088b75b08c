"""The county's public address (where phones open the certificate page ``/v/…``), as the
county announces it in the enrolment answer and the laptop keeps it: one reader for both."""

from __future__ import annotations

from urllib.parse import urlsplit

from assessment.errors import InputRejected, Problem

MAX_PUBLIC_URL = 200


def check_public_url(value: object, field: str = "public_url") -> str:
    """The county's public address as a clean base (``https://host[:port][/path]``, no
    trailing slash); refused naming ``field`` when it is not an http(s) address of a host
    without credentials, query or fragment, or is longer than :data:`MAX_PUBLIC_URL`."""
    def refuse(message: str) -> InputRejected:
        return InputRejected([Problem(field, "url", message)])

    if not isinstance(value, str):
        raise refuse("县级公开核验地址应为文字")
    text = value.strip()
    if len(text) > MAX_PUBLIC_URL:
        raise refuse(f"县级公开核验地址不能超过 {MAX_PUBLIC_URL} 个字符")
    if not text.isascii() or any(ch.isspace() or ord(ch) < 32 for ch in text):
        raise refuse("县级公开核验地址只能含英文字母、数字和网址符号")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise refuse("县级公开核验地址格式错误") from exc
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise refuse("县级公开核验地址应以 https:// 或 http:// 开头并写明主机名")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise refuse("县级公开核验地址不能含用户名、密码、查询参数或片段")
    host = parts.hostname + (f":{port}" if port is not None else "")
    return f"{parts.scheme.lower()}://{host}{parts.path.rstrip('/')}"
