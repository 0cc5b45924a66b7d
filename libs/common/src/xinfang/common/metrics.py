"""Prometheus metrics: one registry per service, and the metrics every service exports."""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)


@dataclass
class ServiceMetrics:
    """The standard metrics of a service, named `xinfang_<service>_<what>_<unit>`.

    Labels are bounded (route template, method, status, consumer, result); never a case or person.
    """

    service: str
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        p = f"xinfang_{self.service}"
        r = self.registry
        self.http_requests = Counter(
            f"{p}_http_requests_total", "HTTP requests", ["method", "route", "status"], registry=r
        )
        self.http_latency = Histogram(
            f"{p}_http_request_duration_seconds",
            "HTTP request latency",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.messages = Counter(
            f"{p}_consumer_messages_total",
            "Messages handled by a consumer, by result",
            ["consumer", "result"],
            registry=r,
        )
        self.handler_latency = Histogram(
            f"{p}_handler_duration_seconds",
            "Time to apply one message (handler and its transaction)",
            ["consumer"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.consumer_pending = Gauge(
            f"{p}_consumer_pending_messages",
            "Messages in the stream not yet delivered to the consumer",
            ["consumer"],
            registry=r,
        )
        self.outbox_backlog = Gauge(
            f"{p}_outbox_backlog_events", "Outbox events not yet published", registry=r
        )
        self.outbox_oldest_age = Gauge(
            f"{p}_outbox_oldest_unpublished_age_seconds",
            "Age of the oldest outbox event not yet published",
            registry=r,
        )
        self.outbox_published = Counter(
            f"{p}_outbox_published_total",
            "Outbox events published, by result (published, duplicate)",
            ["result"],
            registry=r,
        )
        self.relay_errors = Counter(
            f"{p}_outbox_relay_errors_total", "Outbox relay publish failures", registry=r
        )
        self.dead_letters = Gauge(
            f"{p}_dead_letters", "Messages kept in the dead-letter table", registry=r
        )

    def exposition(self) -> bytes:
        """The text format Prometheus scrapes."""
        return generate_latest(self.registry)
