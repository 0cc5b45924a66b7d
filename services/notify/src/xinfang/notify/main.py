"""Notify's FastAPI app."""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import FastAPI

from xinfang.common.clock import Clock
from xinfang.common.web import build_app
from xinfang.notify.api.routes import router
from xinfang.notify.bootstrap import bootstrap
from xinfang.notify.channels import Channel
from xinfang.notify.settings import NotifySettings


def create_app(
    settings: NotifySettings | None = None,
    *,
    clock: Clock | None = None,
    channels: Mapping[str, Channel] | None = None,
) -> FastAPI:
    """Build the notify app; settings come from the environment unless given."""
    notify = bootstrap(settings or NotifySettings(), clock=clock, channels=channels)
    app = build_app(
        title="xinfang notify",
        description="Notices to petitioners (告知): rendering, delivery, retries and results.",
        settings=notify.settings,
        db=notify.db,
        runtime=notify.runtime,
        metrics=notify.metrics,
        routers=[router],
    )
    app.state.notify = notify
    return app
