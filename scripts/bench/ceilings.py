"""Ceilings measured in the same run: what the parts under the services manage on their own.

    python -m scripts.bench.ceilings fastapi --port 8100        # serve the bare endpoint

`fastapi` serves one POST endpoint that parses intake's own request model and answers 201,
under uvicorn with the settings the services use (`xinfang.common.cli`: one worker, no access
log); the load generator drives it like intake. `jetstream_rates` publishes to and consumes
from a stream of its own with the events stream's settings (file storage, duplicate window,
explicit acks): acked publishing one at a time and pipelined (as the outbox relay publishes),
and pull-consuming in batches with an ack per message (as the consumer runner does).
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import sys
import time
from typing import TYPE_CHECKING, Any

from xinfang.common.messaging.provision import ConsumerSpec, StreamSpec, ensure_consumer

if TYPE_CHECKING:
    from fastapi import FastAPI

STREAM = "BENCH_CEILING"
SUBJECT = "bench.ceiling.events"
PAYLOAD_BYTES = 1200  # about a petition.received envelope
PIPELINE = 200  # the outbox relay's batch
FETCH_BATCH = 50  # the consumer runner's batch


def bare_app() -> FastAPI:
    """FastAPI parsing intake's `PetitionCreate` and answering 201, with nothing else."""
    from scripts.bench.bare import app  # imports intake: only the serving process needs it

    return app


def serve_fastapi(port: int) -> None:
    """Run the bare app as `xinfang.common.cli` runs a service."""
    import uvicorn

    uvicorn.run(bare_app(), host="127.0.0.1", port=port, log_config=None, access_log=False)


async def jetstream_rates(url: str, seconds: float) -> dict[str, float]:
    """Messages per second: published one at a time, pipelined, and consumed."""
    import nats

    nc = await nats.connect(url)
    js = nc.jetstream()
    spec = StreamSpec(name=STREAM, subjects=[f"{SUBJECT}.>"])
    await js.add_stream(spec.config())
    try:
        one_by_one, published_a = await _publish(js, seconds / 3, pipeline=1)
        pipelined, published_b = await _publish(js, seconds / 3, pipeline=PIPELINE)
        consumed = await _consume(js, published_a + published_b)
    finally:
        await js.delete_stream(STREAM)
        await nc.close()
    return {"publish_per_s": one_by_one, "publish_pipelined_per_s": pipelined, **consumed}


async def _publish(js: Any, seconds: float, *, pipeline: int) -> tuple[float, int]:
    payload = secrets.token_hex(PAYLOAD_BYTES // 2).encode()
    sent = 0
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        acks = []
        for _ in range(pipeline):
            headers = {"Nats-Msg-Id": secrets.token_hex(16)}
            subject = f"{SUBJECT}.{sent % 8}"
            if pipeline == 1:
                await js.publish(subject, payload, headers=headers)
            else:
                acks.append(await js.publish_async(subject, payload, headers=headers))
            sent += 1
        await asyncio.gather(*acks)
    return sent / (time.perf_counter() - started), sent


async def _consume(js: Any, count: int) -> dict[str, float]:
    spec = ConsumerSpec(durable="bench-ceiling", subjects=[f"{SUBJECT}.>"], stream=STREAM)
    await ensure_consumer(js, spec)
    pull = await js.pull_subscribe_bind(durable=spec.durable, stream=STREAM)
    consumed = 0
    started = time.perf_counter()
    while consumed < count:
        for msg in await pull.fetch(batch=FETCH_BATCH, timeout=5):
            await msg.ack()
            consumed += 1
    return {"consume_per_s": consumed / (time.perf_counter() - started), "messages": consumed}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.bench.ceilings", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    fastapi = commands.add_parser("fastapi", help="serve the bare FastAPI endpoint")
    fastapi.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    serve_fastapi(args.port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
