"""Streams and durable consumers, created or updated idempotently from code.

nats-py's `pull_subscribe` ignores its config when the durable exists, so services provision
here first and then bind; a changed config is applied on the next start.

As a one-shot job (compose `provision`, the Kubernetes Job), the stream with its replicas and
each department's feed consumer `dept-<CODE>`:

    XINFANG_NATS_URL=… XINFANG_NATS_USER=provisioner XINFANG_NATS_PASSWORD=… \
    XINFANG_STREAM_REPLICAS=3 python -m xinfang.common.messaging.provision
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

from nats.js import JetStreamContext
from nats.js.api import (
    AckPolicy,
    ConsumerConfig,
    DeliverPolicy,
    RetentionPolicy,
    StorageType,
    StreamConfig,
)
from nats.js.errors import BadRequestError, NotFoundError

EVENTS_STREAM = "XINFANG"
EVENTS_SUBJECTS = ["xinfang.>"]
# The largest legitimate event (a collective petition's sealed contacts, a long answer) is well
# under 200 KiB; anything bigger is refused by the stream before a consumer ever sees it.
MAX_EVENT_BYTES = 512 * 1024


@dataclass(frozen=True)
class StreamSpec:
    """A JetStream stream: file storage, limits retention, a duplicate window for Nats-Msg-Id."""

    name: str = EVENTS_STREAM
    subjects: list[str] = field(default_factory=lambda: list(EVENTS_SUBJECTS))
    replicas: int = 1
    duplicate_window_seconds: float = 600.0
    max_age_days: float = 365.0
    max_msg_size_bytes: int = MAX_EVENT_BYTES

    def config(self) -> StreamConfig:
        return StreamConfig(
            name=self.name,
            subjects=self.subjects,
            retention=RetentionPolicy.LIMITS,
            storage=StorageType.FILE,
            num_replicas=self.replicas,
            duplicate_window=self.duplicate_window_seconds,
            max_age=self.max_age_days * 86400,
            max_msg_size=self.max_msg_size_bytes,
        )


@dataclass(frozen=True)
class ConsumerSpec:
    """A durable pull consumer `<service>-<purpose>` with explicit ack and bounded deliveries."""

    durable: str
    subjects: list[str]
    stream: str = EVENTS_STREAM
    max_deliver: int = 8
    ack_wait_seconds: float = 30.0
    max_ack_pending: int = 1000
    description: str = ""
    deliver_policy: DeliverPolicy = DeliverPolicy.ALL

    def config(self) -> ConsumerConfig:
        return ConsumerConfig(
            name=self.durable,
            durable_name=self.durable,
            description=self.description or None,
            deliver_policy=self.deliver_policy,
            ack_policy=AckPolicy.EXPLICIT,
            ack_wait=self.ack_wait_seconds,
            max_deliver=self.max_deliver,
            max_ack_pending=self.max_ack_pending,
            filter_subjects=self.subjects if len(self.subjects) > 1 else None,
            filter_subject=self.subjects[0] if len(self.subjects) == 1 else None,
        )


async def ensure_stream(js: JetStreamContext, spec: StreamSpec) -> None:
    """Create the stream, or bring an existing one to `spec`."""
    try:
        await js.stream_info(spec.name)
    except NotFoundError:
        try:
            await js.add_stream(spec.config())
            return
        except BadRequestError:
            pass  # another service created it meanwhile
    await js.update_stream(spec.config())


async def ensure_consumer(js: JetStreamContext, spec: ConsumerSpec) -> None:
    """Create the durable consumer, or apply a changed config to it (create-or-update)."""
    await js.add_consumer(spec.stream, spec.config())


def department_spec(code: str) -> ConsumerSpec:
    """A department's feed: every department event (`xinfang.<agg>.<verb>.<CODE>`) for it."""
    return ConsumerSpec(
        durable=f"dept-{code}",
        subjects=[f"xinfang.*.*.{code}"],
        max_deliver=-1,  # a department reads at its own pace; nothing is dead-lettered
        ack_wait_seconds=60.0,
        description=f"feed of department {code} (read-only NATS user dept_{code})",
    )


async def provision(
    *, url: str, user: str | None, password: str | None, replicas: int, departments: list[str]
) -> None:
    """Create or update the stream and the department consumers."""
    from xinfang.common.messaging.connection import connect

    nc = await connect(url, name="xinfang-provision", user=user, password=password)
    try:
        js = nc.jetstream()
        await ensure_stream(js, StreamSpec(replicas=replicas))
        for code in departments:
            await ensure_consumer(js, department_spec(code))
    finally:
        await nc.close()


def main() -> int:
    from xinfang.common.settings import REFERENCE_DIR

    env = os.environ
    listing = Path(env.get("XINFANG_DEPARTMENTS_JSON", REFERENCE_DIR / "departments.json"))
    codes = [d["code"] for d in json.loads(listing.read_text(encoding="utf-8"))]
    asyncio.run(
        provision(
            url=env.get("XINFANG_NATS_URL", "nats://127.0.0.1:4222"),
            user=env.get("XINFANG_NATS_USER"),
            password=env.get("XINFANG_NATS_PASSWORD"),
            replicas=int(env.get("XINFANG_STREAM_REPLICAS", "1")),
            departments=codes,
        )
    )
    done = f"stream {EVENTS_STREAM} and {len(codes)} department consumers provisioned"
    print(done, file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
