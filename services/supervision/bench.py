"""Supervision benchmark: one scheduler tick over N open deadlines, and events applied per second.

    uv run python services/supervision/bench.py [--deadlines 1000000] [--due-share 0.01]
        [--events 5000] [--database-url sqlite+aiosqlite:///...]

The deadlines, each with its case, are bulk-inserted (about 1 % due for a warning today and
0.1 % overdue, the rest months away); the tick must find the due ones through the timer index,
fire them exactly once and leave the others untouched. The KPI gauges' refresh over all the
cases is timed on its own; then events through the consumer runner: `petition.received` alone,
and each petition's received and routed events. Prints the figures; `make bench` runs it.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import resource
import secrets
import tempfile
import time
import tracemalloc
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import structlog
from sqlalchemy import insert

from xinfang.common.clock import ManualClock
from xinfang.common.testing import benching
from xinfang.common.testing.builders import a_petition_received, a_petition_routed
from xinfang.supervision.bootstrap import bootstrap
from xinfang.supervision.models import CaseRecord, Deadline
from xinfang.supervision.settings import SupervisionSettings

NOW = datetime(2026, 3, 16, 2, 0, tzinfo=UTC)  # 10:00 on Monday 16 March, China time
TODAY = date(2026, 3, 16)
CHUNK = 50_000


def _row(i: int, *, due_share: float) -> dict[str, object]:
    due_every = max(int(1 / due_share), 1)
    starts = TODAY - timedelta(days=10)
    if i % due_every == 0:  # half-way point reached today: a warning
        starts, due_on, check = TODAY - timedelta(days=10), TODAY + timedelta(days=10), TODAY
    elif i % (due_every * 10) == 1:  # ran out yesterday: overdue, with an order
        due_on, check = TODAY - timedelta(days=1), TODAY
    else:
        due_on, check = TODAY + timedelta(days=50), TODAY + timedelta(days=20)
    return {
        "case_no": f"XB{i:012d}",
        "kind": "handling",
        "department_code": f"D{i % 40:02d}",
        "profile": "national",
        "starts_on": starts,
        "due_on": due_on,
        "basis": "bench",
        "provisional": False,
        "fixed": False,
        "status": "open",
        "paused_days": 0,
        "extension_days": 0,
        "warned": 0,
        "next_check_on": check,
        "version": 0,
        "created_at": NOW,
    }


def _case(row: dict[str, object]) -> dict[str, object]:
    return {
        "case_no": row["case_no"],
        "status": "accepted",
        "profile": "national",
        "channel": "web",
        "region_code": "369901",
        "category_code": "140000",
        "people_involved": 1,
        "collective": False,
        "repeat": False,
        "received_on": row["starts_on"],
        "department_code": row["department_code"],
        "accepted_on": row["starts_on"],
        "objections": 0,
        "overdue": False,
        "review_requests": 0,
        "finalised": False,
        "updated_at": NOW,
    }


async def fill(sv, n: int, due_share: float) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    table = Deadline.__table__  # type: ignore[attr-defined]
    for first in range(0, n, CHUNK):
        rows = [_row(i, due_share=due_share) for i in range(first, min(first + CHUNK, n))]
        cases = [_case(r) for r in rows]
        async with sv.db.engine.begin() as conn:
            await conn.execute(insert(table), rows)
            await conn.execute(insert(CaseRecord.__table__), cases)  # type: ignore[attr-defined]
    return time.perf_counter() - started


async def one_tick(sv) -> tuple[float, float, float, object]:  # type: ignore[no-untyped-def]
    """Wall time, CPU time of the process (every thread: on a loaded machine the wall time is
    mostly waiting for a core), Python peak memory, and what the tick did."""
    tracemalloc.start()
    started, cpu = time.perf_counter(), time.process_time()
    result = await sv.scheduler.tick()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return seconds, cpu, peak / 2**20, result


async def events_per_second(sv, count: int, batch: int = 50) -> tuple[float, float, float]:  # type: ignore[no-untyped-def]
    """petition.received applied through the consumer runner (inbox included), `batch` per
    transaction; returns events per second, SQL statements and CPU milliseconds per event."""
    [subscription] = sv.runtime.subscriptions
    msgs = benching.messages(
        [a_petition_received(case_no=f"XE{secrets.token_hex(6)}") for _ in range(count)]
    )
    cpu = time.process_time()
    with benching.statements(sv.db) as seen:
        rate = await benching.apply_through_runner(subscription, sv.db, msgs, batch=batch)
    return rate, len(seen) / count, (time.process_time() - cpu) * 1000 / count


async def flow_per_petition(sv, count: int, batch: int) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """Each petition's `petition.received` and `petition.routed` (交办 with a report-back date, so
    four clocks), interleaved as they arrive, through the consumer runner `batch` per transaction
    (at a steady rate the runner fetches a few at a time); returns CPU milliseconds and SQL
    statements per petition."""
    [subscription] = sv.runtime.subscriptions
    cases = [f"XF{secrets.token_hex(6)}" for _ in range(count)]
    events = []
    for i, case_no in enumerate(cases):
        events.append(a_petition_received(case_no=case_no, category_code=f"{10 + i % 40}0000"))
        events.append(
            a_petition_routed(
                case_no=case_no, mode="assign", report_due_on=TODAY + timedelta(days=90)
            )
        )
    msgs = benching.messages(events)
    cpu = time.process_time()
    with benching.statements(sv.db) as seen:
        await benching.apply_through_runner(subscription, sv.db, msgs, batch=batch)
    return (time.process_time() - cpu) * 1000 / count, len(seen) / count


async def main(args: argparse.Namespace) -> None:
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    url = args.database_url or f"sqlite+aiosqlite:///{Path(tempfile.mkdtemp()) / 'bench.db'}"
    settings = SupervisionSettings(
        database_url=url,
        environment="test",
        start_background=False,
        scheduler_batch=args.batch,
    )
    sv = bootstrap(settings, clock=ManualClock(NOW))
    await sv.db.create_all()
    fill_s = await fill(sv, args.deadlines, args.due_share)
    print(f"inserted {args.deadlines:,} open deadlines in {fill_s:.1f} s ({url.split(':')[0]})")
    sv.scheduler.kpis_refreshed_at = time.monotonic()  # the KPI gauges are timed on their own
    seconds, cpu, peak_mb, result = await one_tick(sv)
    print(
        f"one scheduler tick: {seconds:.2f} s ({cpu:.2f} s CPU), Python peak {peak_mb:.1f} MiB, "
        f"max RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB; "
        f"fired {result.warned:,} warnings, {result.missed:,} missed"
    )  # type: ignore[attr-defined]
    idle, idle_cpu, _, _ = await one_tick(sv)
    print(f"a second tick with nothing due: {idle:.3f} s ({idle_cpu:.3f} s CPU)")
    if args.kpis:
        started = time.perf_counter()
        await sv.scheduler._refresh_kpis(TODAY)
        print(
            f"KPI gauges over {args.deadlines:,} cases: {time.perf_counter() - started:.2f} s, "
            f"max RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB"
        )
    rate, per_event, cpu_ms = await events_per_second(sv, args.events)
    print(
        f"events applied: {rate:,.0f} petition.received per second ({args.events:,} events "
        f"through the consumer runner, each {per_event:.1f} SQL statements, {cpu_ms:.2f} ms CPU)"
    )
    for batch in (2, 50):
        cpu_ms, per_petition = await flow_per_petition(sv, args.events // 2, batch)
        print(
            f"received + routed, {batch} events per transaction: {cpu_ms:.2f} ms CPU and "
            f"{per_petition:.1f} SQL statements per petition"
        )
    await sv.db.dispose()


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deadlines", type=int, default=1_000_000)
    parser.add_argument("--due-share", type=float, default=0.01)
    parser.add_argument("--events", type=int, default=5_000)
    parser.add_argument("--batch", type=int, default=2_000, help="timers per transaction")
    parser.add_argument(
        "--kpis", action="store_true", help="also time the KPI gauges' refresh over every case"
    )
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    return parser.parse_args(argv)


if __name__ == "__main__":
    asyncio.run(main(parse()))
