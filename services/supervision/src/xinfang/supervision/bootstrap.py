"""Supervision's composition root: builds the adapters once; tests pass overrides here."""

from __future__ import annotations

from dataclasses import dataclass

from xinfang.common.clock import Clock, SystemClock
from xinfang.common.db import Database
from xinfang.common.messaging.runtime import MessagingRuntime
from xinfang.common.metrics import ServiceMetrics
from xinfang.supervision.consumers import subscriptions
from xinfang.supervision.settings import SupervisionSettings


@dataclass
class Supervision:
    """Everything supervision's handlers and routes need."""

    settings: SupervisionSettings
    db: Database
    clock: Clock
    metrics: ServiceMetrics
    runtime: MessagingRuntime

    @property
    def source(self) -> str:
        return self.settings.event_source


def bootstrap(settings: SupervisionSettings, *, clock: Clock | None = None) -> Supervision:
    """Wire supervision from its settings."""
    clock = clock or SystemClock()
    db = Database(settings.database_url)
    metrics = ServiceMetrics("supervision")
    runtime = MessagingRuntime(
        settings=settings,
        db=db,
        clock=clock,
        metrics=metrics,
        subscriptions=subscriptions(settings, clock=clock),
    )
    return Supervision(settings=settings, db=db, clock=clock, metrics=metrics, runtime=runtime)
