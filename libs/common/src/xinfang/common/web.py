"""What every service's HTTP app has: error shape, body limit, request context and metrics,
/healthz, /readyz, /metrics and the dead-letter list."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Depends, FastAPI, Query, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse
from pydantic import BaseModel
from sqlmodel import col, select
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from xinfang.common.auth import Principal, Role, require_roles
from xinfang.common.db import Database
from xinfang.common.errors import ErrorBody, http_error, install_error_handlers
from xinfang.common.messaging.runtime import MessagingRuntime
from xinfang.common.messaging.tables import DeadLetter
from xinfang.common.metrics import ServiceMetrics
from xinfang.common.settings import BaseServiceSettings
from xinfang.common.tracing import continue_trace, trace_id_of

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
    """Refuses request bodies over `limit` bytes with 413, whether or not Content-Length is set."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._refuse(scope, receive, send)
            return
        if declared is not None:
            await self.app(scope, receive, send)
            return
        # No length given (chunked): read it all first, refusing as soon as it is too large.
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            more = message.get("more_body", False)
            if size > self.limit:
                await self._refuse(scope, receive, send)
                return
        body = b"".join(chunks)

        async def replay() -> Message:
            nonlocal body
            message, body = {"type": "http.request", "body": body, "more_body": False}, b""
            return message

        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        err = http_error(413, field="body", en=f"request body exceeds {self.limit} bytes")
        body = ErrorBody(errors=[err.detail]).model_dump(mode="json")
        await JSONResponse(body, status_code=413)(scope, receive, send)


def _observe(metrics: ServiceMetrics) -> Callable[[Request, Any], Awaitable[Response]]:
    async def middleware(request: Request, call_next: Any) -> Response:
        traceparent = continue_trace(request.headers.get("traceparent"))
        structlog.contextvars.bind_contextvars(trace_id=trace_id_of(traceparent))
        started = time.perf_counter()
        try:
            response: Response = await call_next(request)
        finally:
            structlog.contextvars.unbind_contextvars("trace_id", "case_no")
        route = getattr(request.scope.get("route"), "path", "unmatched")
        metrics.http_requests.labels(request.method, route, str(response.status_code)).inc()
        metrics.http_latency.labels(request.method, route).observe(time.perf_counter() - started)
        response.headers["traceparent"] = traceparent
        return response

    return middleware


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

    The lifespan creates tables, runs `on_startup` (reference data), then starts messaging.
    """

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await db.create_all()
        if on_startup is not None:
            await on_startup()
        if settings.start_background:
            await runtime.start()
        try:
            yield
        finally:
            await runtime.stop()
            await db.dispose()

    app = FastAPI(title=title, description=description, version="1.0.0", lifespan=lifespan)
    app.state.jwt_secret = settings.jwt_secret
    app.state.jwt_audience = settings.service_name  # tokens must name this service
    app.state.runtime = runtime
    install_error_handlers(app)
    app.middleware("http")(_observe(metrics))
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    app.include_router(operations_router(db=db, runtime=runtime, metrics=metrics))
    for router in routers:
        app.include_router(router)
    if not any(getattr(route, "path", None) == "/" for route in app.routes):
        app.add_api_route("/", lambda: RedirectResponse("/docs"), include_in_schema=False)
    return app
