"""Routing decisions per second: the `routing-petitions` consumer's throughput on this machine,
with a real nats-server (JetStream, file storage) and a SQLite file.

Publishes N `petition.received` events (varied categories and divisions of the demo city, some
accusations and court-related ones) before routing starts, then starts routing and times how long
its consumer takes to decide them all (assignment stored, events in the outbox, inbox recorded)
and how long until the relay has published every decision; and the CPU time this process spent
on it (unlike the rate, hardly moved by other work on the machine).

    uv run python services/routing/bench.py [--count 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import random
import tempfile
import time
from pathlib import Path

import nats

from xinfang.common.events import AccusedRef, PetitionFlags, PetitionReceived
from xinfang.common.logging import configure_logging
from xinfang.common.messaging.provision import StreamSpec, ensure_stream
from xinfang.common.reference import load_categories, load_regions
from xinfang.common.settings import REFERENCE_DIR
from xinfang.common.testing import benching
from xinfang.common.testing.builders import a_petition_received, envelope_of
from xinfang.common.testing.nats_server import NatsServer


def petitions(count: int, *, seed: int = 11) -> list[PetitionReceived]:
    """Varied petitions: every rule kind, a tenth accusations, a twentieth court-related."""
    pick = random.Random(seed)
    categories = [c.code for c in load_categories(REFERENCE_DIR)]
    regions = [r.code for r in load_regions(REFERENCE_DIR)]
    made = []
    for n in range(count):
        extra: dict[str, object] = {}
        if n % 10 == 0:
            extra = {
                "matter_type": "accusation",
                "accused": AccusedRef(department_code="D01_HOUSING"),
            }
        elif n % 20 == 5:
            extra = {"flags": PetitionFlags(court_related=True)}
        made.append(
            a_petition_received(
                case_no=f"XFBENCH{n:08d}{pick.randrange(16**4):04X}",
                category_code=pick.choice(categories),
                region_code=pick.choice(regions),
                **extra,
            )
        )
    return made


async def publish_all(nats_url: str, events: list[PetitionReceived]) -> None:
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    await ensure_stream(js, StreamSpec())
    acks = []
    for event in events:
        envelope = envelope_of(event)
        acks.append(
            await js.publish_async(
                "xinfang.petition.received",
                envelope.model_dump_json().encode(),
                headers={"Nats-Msg-Id": envelope.id},
            )
        )
    await asyncio.gather(*acks)
    await nc.close()


async def run(count: int, workdir: Path) -> None:
    from xinfang.routing.main import create_app
    from xinfang.routing.settings import RoutingSettings

    server = NatsServer(workdir / "nats")
    server.start()
    try:
        events = petitions(count)
        await publish_all(server.url, events)
        settings = RoutingSettings(
            database_url=f"sqlite+aiosqlite:///{workdir / 'routing.db'}",
            nats_url=server.url,
            environment="test",
            log_level="WARNING",
            webhooks_enabled=False,
            consumer_batch=100,
        )
        app = create_app(settings)
        routing = app.state.routing
        async with app.router.lifespan_context(app):
            with benching.statements(routing.db) as seen:
                started, cpu = time.perf_counter(), time.process_time()
                decided = await _wait(lambda: _decisions(routing) >= count)
                published = await _wait(lambda: _published(routing) >= count)
                cpu = time.process_time() - cpu
        _report(count, decided - started, published - started, len(seen) / count, cpu / count)
    finally:
        server.stop()


def _decisions(routing: object) -> float:
    counter = routing.decisions  # type: ignore[attr-defined]
    return sum(s.value for m in counter.collect() for s in m.samples if s.name.endswith("_total"))


def _published(routing: object) -> float:
    counter = routing.metrics.outbox_published  # type: ignore[attr-defined]
    return sum(s.value for m in counter.collect() for s in m.samples if s.name.endswith("_total"))


async def _wait(done: object, within: float = 600.0) -> float:
    deadline = time.perf_counter() + within
    while not done():  # type: ignore[operator]
        if time.perf_counter() > deadline:
            raise TimeoutError("routing did not decide every petition in time")
        await asyncio.sleep(0.01)
    return time.perf_counter()


def _report(count: int, decided: float, published: float, per_decision: float, cpu: float) -> None:
    print(f"routing bench: {count} petitions, SQLite, nats-server (JetStream, file storage)")
    print(
        f"  machine: {platform.machine()} {platform.system()}, python {platform.python_version()}"
    )
    print(f"  decisions:           {count / decided:8.1f} routing decisions/s ({decided:.2f} s)")
    print(f"  decided + published: {count / published:8.1f} decisions/s ({published:.2f} s)")
    print(f"  SQL statements:      {per_decision:8.1f} per decision, relay and gauges included")
    print(f"  CPU:                 {1000 * cpu:8.2f} ms per decision, relay and gauges included")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2000)
    args = parser.parse_args()
    configure_logging(service="routing-bench", level="WARNING", json=False)
    with tempfile.TemporaryDirectory(prefix="xinfang-routing-bench-") as workdir:
        asyncio.run(run(args.count, Path(workdir)))


if __name__ == "__main__":
    main()
