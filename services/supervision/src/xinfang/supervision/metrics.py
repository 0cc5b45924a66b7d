"""Supervision's own Prometheus metrics, on the service's registry. Labels are bounded: KPI names,
department codes from the directory, timer kinds; never a case."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

from xinfang.common.metrics import LATENCY_BUCKETS, ServiceMetrics


class SupervisionMetrics:
    """The scheduler's queue and work, and the KPIs per department."""

    def __init__(self, base: ServiceMetrics) -> None:
        r, p = base.registry, "xinfang_supervision"
        self.timers_due = Gauge(
            f"{p}_timers_due_deadlines",
            "Deadlines whose timer is due and not yet fired",
            registry=r,
        )
        self.fired = Counter(
            f"{p}_scheduler_fired_total",
            "Timers fired, by what they did",
            ["what"],
            registry=r,
        )
        self.tick_seconds = Histogram(
            f"{p}_scheduler_tick_seconds",
            "Duration of one scheduler tick",
            buckets=(*LATENCY_BUCKETS, 30, 60, 120),
            registry=r,
        )
        self.open_orders = Gauge(
            f"{p}_open_orders", "Supervision orders awaiting feedback", registry=r
        )
        self.overdue = Gauge(
            f"{p}_overdue_cases",
            "Open cases past one of their deadlines, by department",
            ["department"],
            registry=r,
        )
        self.zero_reports_missing = Gauge(
            f"{p}_zero_reports_missing_units",
            "Units that have not filed today's zero-report after the report hour (0 before it)",
            registry=r,
        )
        self.kpi = Gauge(
            f"{p}_kpi_ratio",
            "KPIs of the current year (rates 0–1, averages in days)",
            ["kpi", "department"],
            registry=r,
        )
