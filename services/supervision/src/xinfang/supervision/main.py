"""Supervision's FastAPI app."""

from __future__ import annotations

from fastapi import FastAPI

from xinfang.common.clock import Clock
from xinfang.common.web import build_app
from xinfang.supervision.api.routes import router
from xinfang.supervision.bootstrap import bootstrap
from xinfang.supervision.settings import SupervisionSettings


def create_app(
    settings: SupervisionSettings | None = None, *, clock: Clock | None = None
) -> FastAPI:
    """Build the supervision app; settings come from the environment unless given."""
    supervision = bootstrap(settings or SupervisionSettings(), clock=clock)
    app = build_app(
        title="xinfang supervision",
        description="Legal deadlines of each case (转送/交办, 受理告知 …), counted on the "
        "Chinese working-day calendar.",
        settings=supervision.settings,
        db=supervision.db,
        runtime=supervision.runtime,
        metrics=supervision.metrics,
        routers=[router],
    )
    app.state.supervision = supervision
    return app
