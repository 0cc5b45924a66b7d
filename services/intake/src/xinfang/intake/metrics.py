"""Intake's own metrics, beside the standard ones, on the service's registry."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter


class IntakeMetrics:
    """`xinfang_intake_*`: registrations, detections, query-code lookups, identity reads."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registrations = Counter(
            "xinfang_intake_registrations_total",
            "Petitions registered, by channel and result (accepted, refused)",
            ["channel", "result"],
            registry=registry,
        )
        self.detections = Counter(
            "xinfang_intake_detections_total",
            "Detection rules that fired at registration, by rule",
            ["rule"],
            registry=registry,
        )
        self.lookups = Counter(
            "xinfang_intake_query_lookups_total",
            "Lookups by query code, by result (found, not_found, rate_limited)",
            ["result"],
            registry=registry,
        )
        self.identity_reads = Counter(
            "xinfang_intake_identity_reads_total",
            "Full-identity reads (each one audited)",
            registry=registry,
        )
