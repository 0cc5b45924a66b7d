"""Supervision's composition root: builds the adapters once; tests pass overrides here."""

from __future__ import annotations

from dataclasses import dataclass

from xinfang.common.clock import Clock, SystemClock
from xinfang.common.db import Database
from xinfang.common.messaging.runtime import MessagingRuntime
from xinfang.common.metrics import ServiceMetrics
from xinfang.supervision.consumers import subscriptions
from xinfang.supervision.context import Context, FileClock
from xinfang.supervision.metrics import SupervisionMetrics
from xinfang.supervision.scheduler import Scheduler
from xinfang.supervision.settings import SupervisionSettings


@dataclass
class Supervision:
    """Everything supervision's handlers and routes need."""

    settings: SupervisionSettings
    db: Database
    clock: Clock
    metrics: ServiceMetrics
    runtime: MessagingRuntime
    ctx: Context
    scheduler: Scheduler

    @property
    def source(self) -> str:
        return self.settings.event_source


def bootstrap(settings: SupervisionSettings, *, clock: Clock | None = None) -> Supervision:
    """Wire supervision from its settings; `clock_file` (tests only) gives a clock a test moves."""
    if clock is None:
        clock = FileClock(settings.clock_file) if settings.clock_file else SystemClock()
    db = Database(settings.database_url)
    metrics = ServiceMetrics("supervision")
    ctx = Context.from_settings(settings, clock=clock)
    scheduler = Scheduler(
        db=db,
        ctx=ctx,
        interval=settings.scheduler_interval_seconds,
        batch=settings.scheduler_batch,
        metrics=SupervisionMetrics(metrics),
        kpi_every=settings.kpi_refresh_seconds,
    )
    runtime = MessagingRuntime(
        settings=settings,
        db=db,
        clock=clock,
        metrics=metrics,
        subscriptions=subscriptions(settings, ctx=ctx),
        workers=[scheduler],
    )
    return Supervision(
        settings=settings,
        db=db,
        clock=clock,
        metrics=metrics,
        runtime=runtime,
        ctx=ctx,
        scheduler=scheduler,
    )
