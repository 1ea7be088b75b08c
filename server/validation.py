"""Request bodies and parameters that do not fit the API's models, told in Chinese.

FastAPI answers such a request with pydantic's English errors; the county's operators and
scripts get one Chinese sentence naming each field instead, with the same problems as a list
(``field``, ``code``, ``message``), like every other refusal of the server (HTTP 400).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

_REASONS = {
    "missing": "缺少该项",
    "string_type": "应为文字",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "bool_type": "应为 true 或 false",
    "bool_parsing": "应为 true 或 false",
    "dict_type": "应为对象",
    "list_type": "应为列表",
    "json_invalid": "不是有效的 JSON",
    "model_attributes_type": "应为对象",
    "extra_forbidden": "不应出现该项",
}
_WHERE = {"body": "请求内容", "query": "查询参数", "path": "路径", "header": "请求头"}


def _field(location: Sequence[Any]) -> str:
    """``body.note`` style: where, then the field path."""
    parts = [str(p) for p in location]
    if parts and parts[0] in _WHERE and len(parts) > 1:
        return ".".join(parts[1:])
    return ".".join(parts) or "request"


def _reason(error: Mapping[str, Any]) -> str:
    kind = str(error.get("type", ""))
    context = error.get("ctx") or {}
    if kind in _REASONS:
        return _REASONS[kind]
    if kind == "string_too_short":
        return f"至少 {context.get('min_length')} 个字符"
    if kind == "string_too_long":
        return f"最多 {context.get('max_length')} 个字符"
    if kind in ("greater_than_equal", "greater_than"):
        bound = context.get("ge", context.get("gt"))
        return f"应不小于 {bound}" if kind == "greater_than_equal" else f"应大于 {bound}"
    if kind in ("less_than_equal", "less_than"):
        bound = context.get("le", context.get("lt"))
        return f"应不大于 {bound}" if kind == "less_than_equal" else f"应小于 {bound}"
    return "格式不符"


def problems_of(exc: RequestValidationError) -> list[dict[str, str]]:
    """One problem per field pydantic refused, in Chinese."""
    return [{"field": _field(error.get("loc", ())), "code": str(error.get("type", "value")),
             "message": _reason(error)} for error in exc.errors()]


async def invalid_request(_request: Request, exc: Exception) -> JSONResponse:
    """The 400 answer for a request that does not fit the endpoint's model."""
    assert isinstance(exc, RequestValidationError)
    problems = problems_of(exc)
    detail = "；".join(f"{p['field']}：{p['message']}" for p in problems) or "请求内容无效"
    return JSONResponse({"detail": f"请求无效：{detail}", "code": "invalid",
                         "problems": problems}, status_code=400)
