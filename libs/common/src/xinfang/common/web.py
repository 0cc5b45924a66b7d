"""What every service's HTTP app has: error shape, body limit, request context and metrics,
/healthz, /readyz, /metrics and the dead-letter list."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Depends, FastAPI, Query, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse
from pydantic import BaseModel
from sqlmodel import col, select
from starlette.datastructures import FormData
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from xinfang.common.auth import Principal, Role, require_roles
from xinfang.common.db import Database
from xinfang.common.errors import ApiError, ErrorBody, http_error, install_error_handlers
from xinfang.common.messaging.runtime import MessagingRuntime
from xinfang.common.messaging.tables import DeadLetter
from xinfang.common.metrics import ServiceMetrics
from xinfang.common.migrations import prepare_schema
from xinfang.common.settings import BaseServiceSettings
from xinfang.common.tracing import continue_trace, trace_id_of

# A refused body is read and dropped up to this much past the limit before the answer.
DRAIN_BYTES = 8 * 1024 * 1024
ERROR_STATUSES = (400, 401, 403, 404, 409, 413, 422, 429)
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody} for code in ERROR_STATUSES
}
# A page shows its own errors beside the form (HTML); the framework's (a query parameter out of
# its pattern, a body over the limit) answer in the one JSON error shape.
PAGE_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {
        "content": {
            "text/html": {"schema": {"type": "string"}},
            "application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}},
        },
        "description": "The page with the errors beside the form, or the JSON error shape",
    }
    for code in ERROR_STATUSES
}


class BodyLimit:
    """Refuses request bodies over `limit` bytes with 413 (field body), whether or not
    Content-Length is set, and bodies still arriving `timeout` seconds after the request began
    with 408 (slow clients). The body is counted as it streams to the app, never buffered here.

    A NUL character in the path, query or a JSON or form body is refused with 422 too (no
    database stores text with one). A refusal mid-body is answered at once; the app then reads a
    client disconnect, and whatever it answers to that is dropped.
    """

    def __init__(self, app: ASGIApp, limit: int, timeout: float | None = None) -> None:
        self.app, self.limit, self.timeout = app, limit, timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            if int(declared) <= self.limit + DRAIN_BYTES:
                await self._drain(receive)
            await send_error(send, self._too_large())
            return
        if "\x00" in scope["path"] or b"%00" in scope.get("query_string", b""):
            await send_error(send, nul_error("path" if "\x00" in scope["path"] else "query"))
            return
        await _LimitedRequest(self, receive, send, _nul_pattern(scope)).run(scope)

    async def _drain(self, receive: Receive, budget: int = 0) -> None:
        """Read and drop what is left of a refused body, up to DRAIN_BYTES and the deadline:
        a client that sends its whole body before reading (most do) would otherwise meet a
        closed connection instead of the answer. A bigger body is cut off unread."""
        deadline = asyncio.get_running_loop().time() + (self.timeout or 10.0)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout_at(deadline):
                while budget <= DRAIN_BYTES:
                    message = await receive()
                    budget += len(message.get("body", b""))
                    if message["type"] != "http.request" or not message.get("more_body"):
                        return

    def _too_large(self) -> ApiError:
        return http_error(413, field="body", en=f"request body exceeds {self.limit} bytes")

    def _too_slow(self) -> ApiError:
        en = f"request body not received within {self.timeout:g} s"
        return http_error(408, field="body", en=en)


class _LimitedRequest:
    """One request through BodyLimit: its body counted against the limit and the deadline."""

    def __init__(self, limit: BodyLimit, receive: Receive, send: Send, nul: bytes | None) -> None:
        self.limit, self.receive, self.send, self.nul = limit, receive, send, nul
        self.tail = b""
        self.size, self.started, self.refused = 0, False, False
        loop = asyncio.get_running_loop()
        self.deadline = None if limit.timeout is None else loop.time() + limit.timeout

    async def run(self, scope: Scope) -> None:
        try:
            await self.limit.app(scope, self.receiving, self.sending)
        except Exception:
            if not self.refused:  # the app failing on the disconnect it was handed is expected
                raise

    async def receiving(self) -> Message:
        if self.refused:
            return {"type": "http.disconnect"}
        try:
            async with asyncio.timeout_at(self.deadline):
                message = await self.receive()
        except TimeoutError:
            return await self._refuse(self.limit._too_slow())
        self.size += len(message.get("body", b""))
        if self.size > self.limit.limit:
            if message.get("more_body"):
                await self.limit._drain(self.receive, self.size - self.limit.limit)
            return await self._refuse(self.limit._too_large())
        if self.nul is not None:
            seen, self.tail = self.tail + message.get("body", b""), b""
            if self.nul in seen:
                return await self._refuse(nul_error("body"))
            self.tail = seen[-len(self.nul) + 1 :]
        return message

    async def sending(self, message: Message) -> None:
        if self.refused:
            return
        self.started = self.started or message["type"] == "http.response.start"
        await self.send(message)

    async def _refuse(self, error: ApiError) -> Message:
        self.refused = True
        if not self.started:
            await send_error(self.send, error)
        return {"type": "http.disconnect"}


def _nul_pattern(scope: Scope) -> bytes | None:
    """How a NUL character is written in this request's body, if it is JSON or a form."""
    content_type = dict(scope["headers"]).get(b"content-type", b"")
    if b"json" in content_type:
        return b"\\u0000"
    if content_type.startswith(b"application/x-www-form-urlencoded"):
        return b"%00"
    return None


def nul_error(where: str) -> ApiError:
    """The 422 for text with a NUL character."""
    return ApiError(
        422,
        "nul_character",
        "内容不得包含空字符（\\u0000）",
        "text may not contain NUL (\\u0000)",
        where,
    )


async def send_error(send: Send, error: ApiError) -> None:
    """Answer with `error` in the one error shape, straight to the ASGI `send`."""
    shape = ErrorBody(errors=[error.detail]).model_dump(mode="json")
    body = json.dumps(shape, ensure_ascii=False).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": error.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def read_form(request: Request) -> FormData:
    """The request's form within the app's limits on fields and files (400 beyond them), for a
    route that reads its form itself rather than through `Form()` parameters."""
    return await request.form(**request.app.state.form_limits)


class Observe:
    """Per request: continue the trace (bound to the logs, echoed in `traceparent`), count and
    time it by route. Plain ASGI: `BaseHTTPMiddleware` ran each request in a task group of its
    own, which cost more than most routes."""

    def __init__(self, app: ASGIApp, metrics: ServiceMetrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(b"traceparent")
        traceparent = continue_trace(given.decode("latin-1") if given else None)
        structlog.contextvars.bind_contextvars(trace_id=trace_id_of(traceparent))
        started, status = time.perf_counter(), 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [*message.get("headers", []), (b"traceparent", traceparent.encode())]
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            structlog.contextvars.unbind_contextvars("trace_id", "case_no")
            route = getattr(scope.get("route"), "path", "unmatched")
            method, elapsed = scope["method"], time.perf_counter() - started
            self.metrics.http_requests.labels(method, route, str(status)).inc()
            self.metrics.http_latency.labels(method, route).observe(elapsed)


class DeadLetterPublic(BaseModel):
    id: int
    consumer: str
    subject: str
    event_id: str | None
    event_type: str | None
    stream_seq: int | None
    deliveries: int
    error: str
    created_at: str
    payload: str


def operations_router(
    *, db: Database, runtime: MessagingRuntime, metrics: ServiceMetrics
) -> APIRouter:
    """Health, readiness, metrics and the dead-letter list."""
    router = APIRouter()

    @router.get("/healthz", tags=["operations"], summary="Alive")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz", tags=["operations"], summary="Database, NATS and consumers ready")
    async def readyz() -> JSONResponse:
        checks = {"database": await db.ping(), "messaging": runtime.ready}
        status = 200 if all(checks.values()) else 503
        return JSONResponse({"ready": status == 200, "checks": checks}, status_code=status)

    @router.get(
        "/metrics",
        tags=["operations"],
        summary="Prometheus metrics",
        response_class=PlainTextResponse,
    )
    async def prometheus() -> Response:
        return Response(metrics.exposition(), media_type="text/plain; version=0.0.4")

    @router.get(
        "/api/v1/dead-letters",
        tags=["operations"],
        summary="Messages a consumer could not apply (operator)",
        responses=ERROR_RESPONSES,
    )
    async def dead_letters(
        _: Annotated[Principal, Depends(require_roles(Role.OPERATOR))],
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
    ) -> list[DeadLetterPublic]:
        async with db.reading() as session:
            rows = (
                await session.exec(
                    select(DeadLetter).order_by(col(DeadLetter.id).desc()).limit(limit)
                )
            ).all()
        return [
            DeadLetterPublic(
                **row.model_dump(exclude={"created_at"}), created_at=row.created_at.isoformat()
            )
            for row in rows
        ]

    return router


def build_app(
    *,
    title: str,
    description: str,
    settings: BaseServiceSettings,
    db: Database,
    runtime: MessagingRuntime,
    metrics: ServiceMetrics,
    routers: list[APIRouter],
    on_startup: Callable[[], Awaitable[None]] | None = None,
) -> FastAPI:
    """A service's FastAPI app with the shared middleware, error handlers and operations routes.

    The lifespan migrates the database to head (`xinfang.common.migrations`), runs `on_startup`
    (reference data), then starts messaging.
    """

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await prepare_schema(db, service=settings.service_name)
        if on_startup is not None:
            await on_startup()
        if settings.start_background:
            await runtime.start()
        try:
            yield
        finally:
            await runtime.stop()
            await db.dispose()

    limits = {"max_fields": settings.max_form_fields, "max_files": settings.max_form_files}
    app = FastAPI(
        title=title,
        description=description,
        version="1.0.0",
        lifespan=lifespan,
        form_limits=limits,  # type: ignore[arg-type]
    )
    app.state.form_limits = limits
    app.state.jwt_secret = settings.jwt_secret
    app.state.jwt_audience = settings.service_name  # tokens must name this service
    app.state.runtime = runtime
    install_error_handlers(app)
    app.add_middleware(Observe, metrics=metrics)
    app.add_middleware(
        BodyLimit, limit=settings.max_body_bytes, timeout=settings.http_body_timeout_seconds
    )
    app.include_router(operations_router(db=db, runtime=runtime, metrics=metrics))
    for router in routers:
        app.include_router(router)
    if not any(getattr(route, "path", None) == "/" for route in app.routes):
        app.add_api_route("/", lambda: RedirectResponse("/docs"), include_in_schema=False)
    return app
