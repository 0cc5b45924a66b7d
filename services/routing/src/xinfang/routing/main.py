"""Routing's FastAPI app."""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy.exc import IntegrityError

from xinfang.common.clock import Clock
from xinfang.common.logging import get_logger
from xinfang.common.web import build_app
from xinfang.routing.api.assignments import router as assignments
from xinfang.routing.api.directory import router as directory
from xinfang.routing.bootstrap import bootstrap
from xinfang.routing.settings import RoutingSettings

log = get_logger(__name__)


def create_app(settings: RoutingSettings | None = None, *, clock: Clock | None = None) -> FastAPI:
    """Build the routing app; settings come from the environment unless given."""
    from xinfang.routing.web.pages import router as pages

    routing = bootstrap(settings or RoutingSettings(), clock=clock)

    async def seed_directory() -> None:
        try:
            async with routing.db.transaction() as session:
                await routing.store.seed(session, now=routing.clock.now())
        except IntegrityError:
            log.info("directory_seeded_by_another_instance")

    app = build_app(
        title="xinfang routing",
        description="The department directory, the routing of each petition (转送/交办) with its "
        "reason, the triage queue and the department workbench.",
        settings=routing.settings,
        db=routing.db,
        runtime=routing.runtime,
        metrics=routing.metrics,
        routers=[directory, assignments, pages],
        on_startup=seed_directory,
    )
    app.state.routing = routing
    return app
