"""Supervision's FastAPI app."""

from __future__ import annotations

from fastapi import FastAPI

from xinfang.common.clock import Clock
from xinfang.common.web import build_app
from xinfang.supervision.api import admin, cases, early, kpis, orders, routes
from xinfang.supervision.bootstrap import bootstrap
from xinfang.supervision.settings import SupervisionSettings
from xinfang.supervision.web import pages


def create_app(
    settings: SupervisionSettings | None = None, *, clock: Clock | None = None
) -> FastAPI:
    """Build the supervision app; settings come from the environment unless given."""
    supervision = bootstrap(settings or SupervisionSettings(), clock=clock)
    app = build_app(
        title="xinfang supervision",
        description="Legal deadlines of each case counted on the Chinese working-day calendar, "
        "the case state machine, warnings and supervision orders (督办), early warnings, the "
        "review chain, KPIs, ledgers (台账), bulletins (通报) and the dashboard.",
        settings=supervision.settings,
        db=supervision.db,
        runtime=supervision.runtime,
        metrics=supervision.metrics,
        routers=[
            routes.router,
            cases.router,
            orders.router,
            early.router,
            kpis.router,
            admin.router,
            pages.router,
        ],
    )
    app.state.supervision = supervision
    return app
