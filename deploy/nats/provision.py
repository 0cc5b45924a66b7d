"""One-shot provisioning: the `XINFANG` stream and each department's durable feed consumer.

    XINFANG_NATS_URL=nats://nats:4222 XINFANG_NATS_USER=provisioner \
    XINFANG_NATS_PASSWORD=… XINFANG_STREAM_REPLICAS=3 python deploy/nats/provision.py

Idempotent (create-or-update), so it runs at every deployment and after adding a department.
The services create and update their own consumers at start; this job creates what no service
owns: the stream (with its replicas) before any service starts, and the `dept-<CODE>` consumers
the department users may read (`deploy/nats/generate.py` grants them exactly those).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

from nats.js.api import DeliverPolicy

from xinfang.common.messaging.connection import connect
from xinfang.common.messaging.provision import (
    ConsumerSpec,
    StreamSpec,
    ensure_consumer,
    ensure_stream,
)
from xinfang.common.settings import REFERENCE_DIR

DEPARTMENT_EVENT_TOKENS = 3  # `xinfang.<aggregate>.<verb>` before the department code


def department_spec(code: str) -> ConsumerSpec:
    """The feed of one department: every department event whose subject ends in its code."""
    feed = "xinfang." + ".".join(["*"] * (DEPARTMENT_EVENT_TOKENS - 1)) + f".{code}"
    return ConsumerSpec(
        durable=f"dept-{code}",
        subjects=[feed],
        max_deliver=-1,  # a department reads at its own pace; nothing is dead-lettered
        ack_wait_seconds=60.0,
        description=f"feed of department {code} (read-only user dept_{code})",
        deliver_policy=DeliverPolicy.ALL,
    )


def department_codes(path: Path) -> list[str]:
    return [d["code"] for d in json.loads(path.read_text(encoding="utf-8"))]


async def provision(
    *, url: str, user: str | None, password: str | None, replicas: int, departments: list[str]
) -> None:
    nc = await connect(url, name="xinfang-provision", user=user, password=password)
    try:
        js = nc.jetstream()
        await ensure_stream(js, StreamSpec(replicas=replicas))
        for code in departments:
            await ensure_consumer(js, department_spec(code))
    finally:
        await nc.close()


def main() -> int:
    env = os.environ
    path = Path(env.get("XINFANG_DEPARTMENTS_JSON", REFERENCE_DIR / "departments.json"))
    codes = department_codes(path)
    asyncio.run(
        provision(
            url=env.get("XINFANG_NATS_URL", "nats://127.0.0.1:4222"),
            user=env.get("XINFANG_NATS_USER"),
            password=env.get("XINFANG_NATS_PASSWORD"),
            replicas=int(env.get("XINFANG_STREAM_REPLICAS", "1")),
            departments=codes,
        )
    )
    print(f"stream XINFANG and {len(codes)} department consumers provisioned", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
