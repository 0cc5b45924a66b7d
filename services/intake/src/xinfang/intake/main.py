"""Intake's FastAPI app."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from xinfang.common.clock import Clock
from xinfang.common.web import BodyLimit, build_app
from xinfang.intake import validation
from xinfang.intake.api.routes import routers
from xinfang.intake.bootstrap import bootstrap
from xinfang.intake.settings import IntakeSettings


class JsonBodyLimit:
    """The smaller body limit for everything but multipart uploads (which carry attachments)."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limited = app, BodyLimit(app, limit)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope.get("headers") or [])
        multipart = headers.get(b"content-type", b"").startswith(b"multipart/")
        # A body declared within the limit needs no second count: the server delivers no more
        # than its Content-Length, and the app-wide BodyLimit inside still reads it all.
        declared = headers.get(b"content-length", b"")
        within = declared.isdigit() and int(declared) <= self.limited.limit
        if scope["type"] == "http" and not multipart and not within:
            await self.limited(scope, receive, send)
            return
        await self.app(scope, receive, send)


def create_app(settings: IntakeSettings | None = None, *, clock: Clock | None = None) -> FastAPI:
    """Build the intake app; settings come from the environment unless given."""
    intake = bootstrap(settings or IntakeSettings(), clock=clock)
    app = build_app(
        title="xinfang intake",
        description="Registration of petitions (登记), tracking by query code, the petitioner "
        "portal, Open311 GeoReport v2, reference codes.",
        settings=intake.settings,
        db=intake.db,
        runtime=intake.runtime,
        metrics=intake.metrics,
        routers=routers,
    )
    validation.install(app)
    app.add_middleware(JsonBodyLimit, limit=intake.settings.max_json_bytes)
    app.state.intake = intake
    return app
