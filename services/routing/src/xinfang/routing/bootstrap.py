"""Routing's composition root: builds the adapters once; tests pass overrides here."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from xinfang.common.clock import Clock, SystemClock
from xinfang.common.db import Database
from xinfang.common.messaging.runtime import MessagingRuntime
from xinfang.common.metrics import ServiceMetrics
from xinfang.common.reference import load_categories, load_departments, load_routing
from xinfang.routing.consumers import subscriptions
from xinfang.routing.domain import Directory
from xinfang.routing.settings import RoutingSettings


@dataclass
class Routing:
    """Everything routing's handlers and routes need."""

    settings: RoutingSettings
    db: Database
    clock: Clock
    metrics: ServiceMetrics
    directory: Directory
    runtime: MessagingRuntime = field(init=False)

    @property
    def source(self) -> str:
        return self.settings.event_source


def load_directory(reference_dir: Path) -> Directory:
    """The department directory and routing table a deployment ships in `reference_dir`."""
    return Directory(
        departments=load_departments(reference_dir),
        rules=load_routing(reference_dir),
        categories=load_categories(reference_dir),
    )


def bootstrap(settings: RoutingSettings, *, clock: Clock | None = None) -> Routing:
    """Wire routing from its settings."""
    routing = Routing(
        settings=settings,
        db=Database(settings.database_url),
        clock=clock or SystemClock(),
        metrics=ServiceMetrics("routing"),
        directory=load_directory(settings.reference_dir),
    )
    # Built last because its handlers are bound to the container above.
    routing.runtime = MessagingRuntime(
        settings=settings,
        db=routing.db,
        clock=routing.clock,
        metrics=routing.metrics,
        subscriptions=subscriptions(routing),
    )
    return routing
