"""Supervision's scheduler tick over many open deadlines: its time and the memory it takes.

    python -m scripts.bench.tick fill --deadlines 1000000 --database-url URL
    python -m scripts.bench.tick tick --database-url URL        # prints JSON

`fill` bulk-inserts the deadlines and their cases with supervision's own benchmark
(`services/supervision/bench.py`: about 1 % due for a warning, 0.1 % overdue, the rest months
away). `tick` runs in a fresh process, so its peak RSS is the tick's and not the fill's: one
tick that finds the due deadlines through the timer index and fires each once, then a second
tick with nothing due. No tracemalloc: it would slow the tick it measures.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import logging
import resource
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import structlog

ROOT = Path(__file__).resolve().parents[2]
SUPERVISION_BENCH = ROOT / "services" / "supervision" / "bench.py"


def supervision_bench() -> ModuleType:
    """services/supervision/bench.py, imported by path (it is a script, not a module)."""
    spec = importlib.util.spec_from_file_location("supervision_bench", SUPERVISION_BENCH)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def supervision(bench: ModuleType, database_url: str) -> Any:
    """Supervision wired to `database_url` with the benchmark's fixed clock, nothing running."""
    from xinfang.common.clock import ManualClock
    from xinfang.supervision.bootstrap import bootstrap
    from xinfang.supervision.settings import SupervisionSettings

    settings = SupervisionSettings(
        database_url=database_url, environment="test", start_background=False
    )
    return bootstrap(settings, clock=ManualClock(bench.NOW))


async def fill(database_url: str, deadlines: int, due_share: float) -> dict[str, float]:
    """Create the tables and insert the deadlines; returns the time it took."""
    bench = supervision_bench()
    sv = supervision(bench, database_url)
    await sv.db.create_all()
    seconds = await bench.fill(sv, deadlines, due_share)
    await sv.db.dispose()
    return {"fill_s": seconds}


async def tick(database_url: str) -> dict[str, float]:
    """One tick with its due deadlines, then one with nothing due."""
    sv = supervision(supervision_bench(), database_url)
    sv.scheduler.kpis_refreshed_at = time.monotonic()  # the KPI gauges are not part of a tick
    rss_before = _rss_mib()
    started = time.perf_counter()
    result = await sv.scheduler.tick()
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    await sv.scheduler.tick()
    idle = time.perf_counter() - started
    await sv.db.dispose()
    return {
        "tick_s": seconds,
        "idle_tick_s": idle,
        "warned": result.warned,
        "missed": result.missed,
        "rss_before_mib": rss_before,
        "peak_rss_mib": peak,
    }


def _rss_mib() -> float:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * resource.getpagesize() / 2**20


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.bench.tick", description=__doc__)
    parser.add_argument("step", choices=["fill", "tick"])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--deadlines", type=int, default=1_000_000)
    parser.add_argument("--due-share", type=float, default=0.01)
    args = parser.parse_args(argv)
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    if args.step == "fill":
        figures = asyncio.run(fill(args.database_url, args.deadlines, args.due_share))
    else:
        figures = asyncio.run(tick(args.database_url))
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
