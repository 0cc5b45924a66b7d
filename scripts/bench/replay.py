"""Replay: rebuild supervision's read model from the event stream into an empty database.

    python -m scripts.bench.replay --nats nats://127.0.0.1:4333 --database-url URL \
        [--seconds 60]                                                  # prints JSON

This is how a new supervision database is rebuilt (a new region's instance, a lost database):
supervision's own consumer runner and handlers, on a durable consumer of its own that starts
at the beginning of the stream, applying batches in one transaction each as in service. The
events its handlers emit wait in the new database's outbox (no relay runs), so the replay
publishes nothing. Stops when the consumer has nothing left, or after `--seconds`; prints
events per second. The replay consumer is deleted afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import secrets
import sys
import time
from typing import Any

import structlog

POLL_SECONDS = 0.2


async def replay(nats_url: str, database_url: str, seconds: float) -> dict[str, float]:
    """Apply the stream's supervision events to a fresh database; returns the figures."""
    import nats

    from xinfang.common.messaging.consumer import ConsumerRunner, Subscription
    from xinfang.common.messaging.provision import ConsumerSpec, ensure_consumer
    from xinfang.supervision.bootstrap import bootstrap
    from xinfang.supervision.consumers import SUBJECTS, subscriptions
    from xinfang.supervision.settings import SupervisionSettings

    settings = SupervisionSettings(
        database_url=database_url, environment="test", start_background=False
    )
    sv = bootstrap(settings)
    await sv.db.create_all()
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    handlers = subscriptions(settings, ctx=sv.ctx)[0].handlers
    spec = ConsumerSpec(durable=f"bench-replay-{secrets.token_hex(4)}", subjects=SUBJECTS)
    await ensure_consumer(js, spec)
    runner = ConsumerRunner(
        subscription=Subscription(spec=spec, handlers=handlers),
        db=sv.db,
        js=js,
        clock=sv.clock,
        metrics=sv.metrics,
        batch=settings.consumer_batch,
    )
    try:
        return await _drain(js, runner, spec.durable, seconds)
    finally:
        await js.delete_consumer(spec.stream, spec.durable)
        await nc.close()
        await sv.db.dispose()


async def _drain(js: Any, runner: Any, durable: str, seconds: float) -> dict[str, float]:
    available = (await js.consumer_info("XINFANG", durable)).num_pending
    started = time.perf_counter()
    task = asyncio.create_task(runner.run())
    try:
        while time.perf_counter() - started < seconds:
            await asyncio.sleep(POLL_SECONDS)
            info = await js.consumer_info("XINFANG", durable)
            if info.num_pending == 0 and info.num_ack_pending == 0:
                break
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    elapsed = time.perf_counter() - started
    applied = (await js.consumer_info("XINFANG", durable)).ack_floor.consumer_seq
    return {
        "events": applied,
        "events_in_stream": available,
        "seconds": elapsed,
        "events_per_s": applied / elapsed if elapsed else 0.0,
        "complete": applied >= available,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.bench.replay", description=__doc__)
    parser.add_argument("--nats", required=True, help="nats:// URL of the bench's server")
    parser.add_argument("--database-url", required=True, help="an empty database")
    parser.add_argument("--seconds", type=float, default=60.0, help="at most this long (60)")
    args = parser.parse_args(argv)
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    logging.disable(logging.INFO)
    print(json.dumps(asyncio.run(replay(args.nats, args.database_url, args.seconds))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
