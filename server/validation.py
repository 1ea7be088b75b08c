"""Request bodies and parameters that do not fit the API's models, told in Chinese.

FastAPI answers such a request with pydantic's English errors; the county's operators and
scripts get one Chinese sentence naming each field instead, with the same problems as a list
(``field``, ``code``, ``message``), like every other refusal of the server (HTTP 400).

JSON bodies of the API's models are read through :class:`LimitedRoute`: streamed under a size
limit (large ones a few at a time, :mod:`server.body`) and parsed by the one input reader
(:mod:`assessment.inputreader`: depth, integer digits, text length). FastAPI would otherwise
read any body whole, before the admin token is checked, with the standard library's parser.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping, Sequence
from typing import Annotated, Any

from fastapi import HTTPException, Path, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from assessment.errors import InputRejected
from assessment.inputreader import DEFAULT_LIMITS, parse_json
from server.body import limited_body
from server.errors import ServerError

ItemId = Annotated[int, Path(ge=1, le=2_147_483_647)]
"""A numbered item (a review item) in a path: the tables' integer keys are 32 bits."""

JSON_BODY_BYTES = 4 * 1024 * 1024
"""The largest JSON body of an API model (a service-list file travels inside one)."""
JSON_LIMITS = DEFAULT_LIMITS.with_max_bytes(JSON_BODY_BYTES)

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


def rejected_json(exc: InputRejected) -> dict[str, Any]:
    """The answer body of a refused input: the message and each problem."""
    problems = [{"field": p.field, "code": p.code, "message": p.message} for p in exc.problems]
    return {"detail": str(exc), "problems": problems}


class BodyRefused(HTTPException):
    """A model body refused while it was read or parsed, with its JSON answer (FastAPI turns
    any other exception raised there into an English 400)."""

    def __init__(self, status: int, content: dict[str, Any]) -> None:
        super().__init__(status, detail=str(content.get("detail", "")))
        self.content = content


async def body_refused(_request: Request, exc: Exception) -> JSONResponse:
    """The answer for :class:`BodyRefused`."""
    assert isinstance(exc, BodyRefused)
    return JSONResponse(exc.content, status_code=exc.status_code)


class LimitedRequest(Request):
    """A request whose body is read under a limit and whose JSON goes through the reader."""

    async def body(self) -> bytes:
        if not hasattr(self, "_body"):
            try:
                async with limited_body(self, JSON_BODY_BYTES) as body:
                    self._body = bytes(body.data)
            except ServerError as exc:
                raise BodyRefused(exc.status, {"detail": exc.message, "code": exc.code}) \
                    from exc
        return self._body

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            try:
                self._json = parse_json(await self.body(), JSON_LIMITS, "body")
            except InputRejected as exc:
                status = 413 if any(p.code == "too_large" for p in exc.problems) else 400
                raise BodyRefused(status, rejected_json(exc)) from exc
        return self._json


class LimitedRoute(APIRoute):
    """An API route whose model bodies are read by :class:`LimitedRequest`."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def limited(request: Request) -> Response:
            return await handler(LimitedRequest(request.scope, request.receive))

        return limited
