"""The one error shape of the whole HTTP API: code, message in zh-CN and en, field."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

from xinfang.common.logging import get_logger

log = get_logger(__name__)


class ErrorMessage(BaseModel):
    zh: str
    en: str


class ErrorDetail(BaseModel):
    code: str
    field: str | None = None
    message: ErrorMessage


class ErrorBody(BaseModel):
    """What every 4xx/5xx response of xinfang carries."""

    errors: list[ErrorDetail]


class ApiError(Exception):
    """Raise from a handler or route to answer with the standard error shape."""

    def __init__(self, status: int, code: str, zh: str, en: str, field: str | None = None) -> None:
        super().__init__(en)
        self.status = status
        self.detail = ErrorDetail(code=code, field=field, message=ErrorMessage(zh=zh, en=en))


def not_found(what_zh: str, what_en: str) -> ApiError:
    """A 404 for an unknown resource."""
    return ApiError(404, "not_found", f"未找到{what_zh}", f"{what_en} not found")


# pydantic error types → Chinese wording; the English comes from pydantic itself.
_ZH_BY_TYPE = {
    "missing": "缺少必填字段",
    "extra_forbidden": "不允许的字段",
    "string_too_short": "内容过短",
    "string_too_long": "内容过长",
    "string_type": "应为字符串",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "list_type": "应为列表",
    "too_short": "条目过少",
    "too_long": "条目过多",
    "literal_error": "取值不在允许范围内",
    "enum": "取值不在允许范围内",
    "string_pattern_mismatch": "格式不正确",
    "json_invalid": "JSON 格式错误",
    "model_attributes_type": "应为对象",
    "dict_type": "应为对象",
    "value_error": "取值不正确",
    "date_parsing": "日期格式不正确（YYYY-MM-DD）",
    "date_from_datetime_parsing": "日期格式不正确（YYYY-MM-DD）",
    "date_type": "应为日期",
    "greater_than_equal": "取值过小",
    "less_than_equal": "取值过大",
    "bool_parsing": "应为布尔值",
}


def _field_of(loc: tuple[Any, ...]) -> str | None:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or None


def _zh(error: dict[str, Any]) -> str:
    zh = _ZH_BY_TYPE.get(error["type"], "输入不正确")
    most = (error.get("ctx") or {}).get("max_length")
    if error["type"] == "string_too_long" and most is not None:
        return f"{zh}（最多 {most} 字）"
    if error["type"] == "too_long" and most is not None:
        return f"{zh}（最多 {most} 条）"
    return zh


def validation_errors(errors: list[dict[str, Any]]) -> list[ErrorDetail]:
    """Turn pydantic errors into the standard error details."""
    return [
        ErrorDetail(
            code=e["type"],
            field=_field_of(tuple(e.get("loc", ()))),
            message=ErrorMessage(zh=_zh(e), en=e["msg"]),
        )
        for e in errors
    ]


def _respond(status: int, details: list[ErrorDetail]) -> JSONResponse:
    body = ErrorBody(errors=details).model_dump(mode="json")
    return JSONResponse(status_code=status, content=body)


_HTTP_WORDS = {
    401: ("unauthorized", "未认证或令牌无效", "missing or invalid bearer token"),
    403: ("forbidden", "无权访问", "not allowed"),
    404: ("not_found", "未找到", "not found"),
    405: ("method_not_allowed", "不支持的请求方法", "method not allowed"),
    408: ("request_timeout", "请求体传输超时", "request body not received in time"),
    413: ("payload_too_large", "请求体过大", "request body too large"),
    415: ("unsupported_media_type", "不支持的内容类型", "unsupported media type"),
    429: ("too_many_requests", "请求过于频繁", "too many requests"),
}


def http_error(status: int, field: str | None = None, en: str | None = None) -> ApiError:
    """An ApiError for a plain HTTP status with standard wording."""
    code, zh, default_en = _HTTP_WORDS.get(status, ("error", "请求错误", "request error"))
    return ApiError(status, code, zh, en or default_en, field)


_TOO_DEEP = ErrorDetail(
    code="json_too_deep",
    field="body",
    message=ErrorMessage(zh="JSON 嵌套层数过多", en="JSON nested too deeply to parse"),
)


# How Starlette's multipart parser words a form over its limits.
_FORM_LIMITS = ("Too many files", "Too many fields", "Part exceeded maximum size")


def _form_too_large(en: str) -> ErrorDetail:
    zh = "表单的字段、文件过多或字段过大"
    return ErrorDetail(code="form_too_large", field="body", message=ErrorMessage(zh=zh, en=en))


_DATABASE_DOWN = ErrorDetail(
    code="database_unavailable",
    message=ErrorMessage(
        zh="数据库暂时不可用，请稍后重试", en="database unavailable, try again shortly"
    ),
)


def database_unavailable(exc: BaseException) -> bool:
    """The database refused or dropped the connection (restarting, unreachable): SQLSTATE class
    08 (connection) or 57P (shutting down, starting up), a socket error, or a connection
    SQLAlchemy invalidated. Not a bug in the request: the caller may try again."""
    seen: list[BaseException] = []
    link: BaseException | None = exc
    while link is not None and link not in seen:
        seen.append(link)
        if isinstance(link, ConnectionError):
            return True
        if isinstance(link, DBAPIError) and link.connection_invalidated:
            return True
        if str(getattr(link, "sqlstate", "") or "").startswith(("08", "57P")):
            return True
        following = getattr(link, "orig", None) if isinstance(link, DBAPIError) else None
        link = following or link.__cause__ or link.__context__
    return False


def install_error_handlers(app: FastAPI) -> None:
    """Make every error, ours, FastAPI's and Starlette's, answer in the one shape."""

    async def on_api_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ApiError)
        return _respond(exc.status, [exc.detail])

    async def on_validation(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return _respond(422, validation_errors(list(exc.errors())))

    async def on_http(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        if isinstance(exc.__cause__, RecursionError):  # FastAPI's 400 for JSON nested too deep
            return _respond(400, [_TOO_DEEP])
        if exc.status_code == 400 and str(exc.detail).startswith(_FORM_LIMITS):
            return _respond(400, [_form_too_large(str(exc.detail))])
        err = http_error(exc.status_code, en=str(exc.detail) if exc.detail else None)
        return _respond(exc.status_code, [err.detail])

    async def on_database_down(request: Request, exc: Exception) -> JSONResponse:
        if not database_unavailable(exc):
            raise exc  # a real error: a 500 with its traceback in the log
        log.warning("database_unavailable", path=request.url.path, error=type(exc).__name__)
        return JSONResponse(
            status_code=503,
            content=ErrorBody(errors=[_DATABASE_DOWN]).model_dump(mode="json"),
            headers={"Retry-After": "1"},
        )

    app.add_exception_handler(ApiError, on_api_error)
    app.add_exception_handler(DBAPIError, on_database_down)
    app.add_exception_handler(ConnectionError, on_database_down)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
