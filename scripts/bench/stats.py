"""Percentiles of latencies."""

from __future__ import annotations


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of `values` (not empty)."""
    ordered = sorted(values)
    rank = max(1, round(fraction * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def latency_summary(values_ms: list[float]) -> dict[str, float | None]:
    """p50, p95, p99 and max in milliseconds; None where there is nothing to measure."""
    if not values_ms:
        return {"p50": None, "p95": None, "p99": None, "max": None}
    return {
        "p50": percentile(values_ms, 0.50),
        "p95": percentile(values_ms, 0.95),
        "p99": percentile(values_ms, 0.99),
        "max": max(values_ms),
    }
