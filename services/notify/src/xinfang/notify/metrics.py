"""Notify's own metrics, registered beside the standard ones on the service's registry."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

LATENCY_BUCKETS = (0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 1800, 3600)


@dataclass
class NoticeMetrics:
    """Deliveries by channel and result, the queue of pending notices, and how long they take."""

    registry: CollectorRegistry

    def __post_init__(self) -> None:
        r = self.registry
        self.deliveries = Counter(
            "xinfang_notify_deliveries_total",
            "Delivery attempts by channel and result (delivered, retry, failed)",
            ["channel", "result"],
            registry=r,
        )
        self.queue_depth = Gauge(
            "xinfang_notify_queue_depth", "Notices waiting to be delivered", registry=r
        )
        self.oldest_age = Gauge(
            "xinfang_notify_queue_oldest_age_seconds",
            "How long the oldest notice still waiting has waited",
            registry=r,
        )
        self.dead_letters = Gauge(
            "xinfang_notify_notice_dead_letters",
            "Notices given up on, waiting for an operator to inspect or re-send",
            registry=r,
        )
        self.print_queue = Gauge(
            "xinfang_notify_print_queue_depth",
            "Letters stored for the mailing clerk and not yet printed",
            registry=r,
        )
        self.breaker_state = Gauge(
            "xinfang_notify_circuit_state",
            "Each channel's circuit breaker: 0 closed, 1 half-open (trial), 2 open (paused)",
            ["channel"],
            registry=r,
        )
        self.delivery_latency = Histogram(
            "xinfang_notify_delivery_latency_seconds",
            "From the event that called for a notice to its delivery",
            ["channel"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
