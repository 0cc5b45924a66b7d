"""Routing's composition root: builds the adapters once; tests pass overrides here."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from prometheus_client import Counter, Gauge

from xinfang.common.clock import Clock, SystemClock
from xinfang.common.crypto import Sealer, derive_key
from xinfang.common.db import Database
from xinfang.common.messaging.runtime import MessagingRuntime
from xinfang.common.metrics import ServiceMetrics
from xinfang.routing.consumers import subscriptions
from xinfang.routing.directory_store import DirectoryStore
from xinfang.routing.settings import RoutingSettings


@dataclass
class Routing:
    """Everything routing's handlers and routes need."""

    settings: RoutingSettings
    db: Database
    clock: Clock
    metrics: ServiceMetrics
    store: DirectoryStore
    runtime: MessagingRuntime = field(init=False)

    def __post_init__(self) -> None:
        r, p = self.metrics.registry, "xinfang_routing"
        self.decisions = Counter(
            f"{p}_decisions_total", "Routing decisions, by result", ["result"], registry=r
        )
        self.misroutes = Counter(
            f"{p}_misroutes_total",
            "Objections upheld as misroutes, by department",
            ["department"],
            registry=r,
        )
        self.webhooks = Counter(
            f"{p}_webhook_attempts_total",
            "Webhook delivery attempts, by result",
            ["result"],
            registry=r,
        )
        self.webhook_backlog = Gauge(
            f"{p}_webhook_deliveries",
            "Webhook deliveries by status (pending, failed)",
            ["status"],
            registry=r,
        )
        self.triage_waiting = Gauge(
            f"{p}_triage_queue_cases", "Cases waiting in the triage queue", registry=r
        )

    @cached_property
    def sealer(self) -> Sealer:
        """Seals webhook secrets at rest."""
        keys = self.settings.webhook_secret_keys or [
            derive_key(self.settings.jwt_secret, "routing-webhook-secrets")
        ]
        return Sealer(keys)

    @property
    def source(self) -> str:
        return self.settings.event_source


def bootstrap(settings: RoutingSettings, *, clock: Clock | None = None) -> Routing:
    """Wire routing from its settings."""
    from xinfang.routing.gauges import QueueGauges
    from xinfang.routing.webhooks import WebhookWorker

    routing = Routing(
        settings=settings,
        db=Database(settings.database_url),
        clock=clock or SystemClock(),
        metrics=ServiceMetrics("routing"),
        store=DirectoryStore(settings.reference_dir),
    )
    # Built last because its handlers are bound to the container above.
    routing.runtime = MessagingRuntime(
        settings=settings,
        db=routing.db,
        clock=routing.clock,
        metrics=routing.metrics,
        subscriptions=subscriptions(routing),
        workers=[QueueGauges(routing)]
        + ([WebhookWorker(routing)] if settings.webhooks_enabled else []),
    )
    return routing
