"""Intake's FastAPI app."""

from __future__ import annotations

from fastapi import FastAPI

from xinfang.common.clock import Clock
from xinfang.common.web import build_app
from xinfang.intake.api.routes import router
from xinfang.intake.bootstrap import bootstrap
from xinfang.intake.settings import IntakeSettings


def create_app(settings: IntakeSettings | None = None, *, clock: Clock | None = None) -> FastAPI:
    """Build the intake app; settings come from the environment unless given."""
    intake = bootstrap(settings or IntakeSettings(), clock=clock)
    app = build_app(
        title="xinfang intake",
        description="Registration of petitions (登记), tracking by query code, reference codes.",
        settings=intake.settings,
        db=intake.db,
        runtime=intake.runtime,
        metrics=intake.metrics,
        routers=[router],
    )
    app.state.intake = intake
    return app
