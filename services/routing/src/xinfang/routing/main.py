"""Routing's FastAPI app."""

from __future__ import annotations

from fastapi import FastAPI

from xinfang.common.clock import Clock
from xinfang.common.web import build_app
from xinfang.routing.api.routes import router
from xinfang.routing.bootstrap import bootstrap
from xinfang.routing.settings import RoutingSettings


def create_app(settings: RoutingSettings | None = None, *, clock: Clock | None = None) -> FastAPI:
    """Build the routing app; settings come from the environment unless given."""
    routing = bootstrap(settings or RoutingSettings(), clock=clock)
    app = build_app(
        title="xinfang routing",
        description="The department directory and the assignment of each petition (转送/交办).",
        settings=routing.settings,
        db=routing.db,
        runtime=routing.runtime,
        metrics=routing.metrics,
        routers=[router],
    )
    app.state.routing = routing
    return app
