"""Throughput of the whole flow, from the POST of a petition to its e-mail (`make bench`).

Starts the system the e2e tests use (tests/e2e/harness.py: nats-server, an SMTP server and the
four services in a temporary directory), posts N petitions with a fixed concurrency, and prints
petitions per second (POST only, and through the whole flow) and the latency from each POST to
its e-mail reaching the SMTP server.

    uv run python scripts/bench.py [--count 200] [--concurrency 16]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import shutil
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "e2e"))

from harness import System  # noqa: E402
from petitions import REGISTRATION, Accepted, Api  # noqa: E402

MAIL_TIMEOUT_SECONDS = 300.0


@dataclass(frozen=True)
class Posted:
    """One accepted petition and when intake answered (time.perf_counter())."""

    case: Accepted
    answered_at: float


async def post_all(api: Api, posted: list[Posted], count: int, concurrency: int) -> None:
    """POST `count` varied petitions, `concurrency` at a time, adding each to `posted`."""
    petitions = await api.varied_petitions(count)
    gate = asyncio.Semaphore(concurrency)

    async def post(petition: dict[str, object]) -> None:
        async with gate:
            case = await api.register(petition)
            posted.append(Posted(case, time.perf_counter()))

    await asyncio.gather(*(post(p) for p in petitions))


def arrivals(system: System) -> dict[str, float]:
    """When the first registration e-mail of each case reached the SMTP server."""
    first: dict[str, float] = {}
    for mail in system.mails:
        if mail.notice != REGISTRATION:
            continue  # notify also mails departments and leaders
        first[mail.case_no] = min(mail.arrived, first.get(mail.case_no, mail.arrived))
    return first


async def show_progress(system: System, posted: list[Posted], total: int) -> None:
    """Rewrite one status line twice a second (a new line every 2 s if not a terminal)."""
    started = time.perf_counter()
    while True:
        mailed = len(arrivals(system))
        elapsed = time.perf_counter() - started
        line = (
            f"  posted {len(posted):>5}/{total}   e-mailed {mailed:>5}/{total}   {elapsed:6.1f} s"
        )
        if sys.stderr.isatty():
            print(f"\r{line}", end="", file=sys.stderr, flush=True)
            await asyncio.sleep(0.5)
        else:
            print(line, file=sys.stderr, flush=True)
            await asyncio.sleep(2.0)


async def wait_for_mails(system: System, posted: list[Posted], within: float) -> dict[str, float]:
    """Arrival time of each posted case's e-mail; fails with the notify log if some never come."""
    deadline = time.monotonic() + within
    wanted = {p.case.case_no for p in posted}
    while not wanted <= arrivals(system).keys():
        if time.monotonic() > deadline:
            missing = sorted(wanted - arrivals(system).keys())
            raise SystemExit(
                f"\n{len(missing)} e-mails missing after {within:.0f} s, e.g. {missing[:5]}\n"
                + system.explain("routing", "supervision", "notify")
            )
        await asyncio.sleep(0.1)
    return arrivals(system)


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    rank = max(1, round(fraction * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


async def run(system: System, count: int, concurrency: int) -> list[str]:
    """Post, wait for every e-mail, and return the lines of the report."""
    posted: list[Posted] = []
    async with Api(system) as api:
        progress = asyncio.create_task(show_progress(system, posted, count))
        try:
            await post_all(api, posted, count, concurrency)
            arrived = await wait_for_mails(system, posted, MAIL_TIMEOUT_SECONDS)
        finally:
            progress.cancel()
            print(file=sys.stderr)
    first_post = min(p.case.posted_at for p in posted)
    post_seconds = max(p.answered_at for p in posted) - first_post
    flow_seconds = max(arrived[p.case.case_no] for p in posted) - first_post
    post_ms = [(p.answered_at - p.case.posted_at) * 1000 for p in posted]
    mail_ms = [(arrived[p.case.case_no] - p.case.posted_at) * 1000 for p in posted]
    notices = Counter(mail.notice or "(none)" for mail in system.mails)
    by_notice = ", ".join(f"{notice} {n}" for notice, n in notices.most_common())
    return [
        f"xinfang bench: {count} petitions, concurrency {concurrency}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, {platform.system()}",
        "",
        f"  {'':<30} {'petitions/s':>11} {'latency p50':>12} {'p99':>10}",
        row("POST only", count / post_seconds, post_ms),
        row("whole flow (POST → e-mail)", count / flow_seconds, mail_ms),
        "",
        f"  {count} POSTs in {post_seconds:.2f} s; last e-mail after {flow_seconds:.2f} s",
        f"  e-mails received, by notice: {by_notice}; {len(arrived)} cases e-mailed; "
        f"load average {os.getloadavg()[0]:.1f}",
    ]


def row(what: str, rate: float, latencies_ms: list[float]) -> str:
    p50, p99 = percentile(latencies_ms, 0.50), percentile(latencies_ms, 0.99)
    return f"  {what:<30} {rate:>11.1f} {p50:>9.0f} ms {p99:>7.0f} ms"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/bench.py", description=__doc__)
    parser.add_argument("--count", type=int, default=200, help="petitions to post (200)")
    parser.add_argument("--concurrency", type=int, default=16, help="POSTs in flight (16)")
    parser.add_argument("--keep", action="store_true", help="keep the directory of logs and data")
    args = parser.parse_args(argv)
    root = Path(tempfile.mkdtemp(prefix="xinfang-bench-"))
    print(f"starting nats-server, an SMTP server and the four services in {root} ...")
    succeeded = False
    try:
        with System(root) as system:
            lines = asyncio.run(run(system, args.count, args.concurrency))
        print("\n".join(lines))
        succeeded = True
    finally:
        if succeeded and not args.keep:
            shutil.rmtree(root, ignore_errors=True)
        else:
            print(f"logs and data kept in {root}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
