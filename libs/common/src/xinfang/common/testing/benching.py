"""What the services' benchmarks share: events applied through the real consumer runner without a
NATS server, and a count of the SQL statements a piece of work costs (a figure that, unlike time,
does not depend on how loaded the machine is)."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import event as sa_event

from xinfang.common.clock import SystemClock
from xinfang.common.db import Database
from xinfang.common.events import Event, new_envelope
from xinfang.common.messaging.consumer import ConsumerRunner, Subscription
from xinfang.common.metrics import ServiceMetrics


@dataclass
class StoredMessage:
    """A JetStream message as the runner sees it, already fetched; acks are only counted."""

    subject: str
    data: bytes
    headers: dict[str, str] = field(default_factory=dict)
    acked: bool = False
    metadata: Any = field(
        default_factory=lambda: SimpleNamespace(num_delivered=1, sequence=SimpleNamespace(stream=0))
    )

    async def ack(self) -> None:
        self.acked = True


def messages(events: Sequence[Event], *, source: str = "/bench") -> list[StoredMessage]:
    """Each event in its envelope, on its own subject, as the relay would have published it."""
    made = []
    for event in events:
        envelope = new_envelope(event, source=source, time=datetime.now(UTC))
        made.append(
            StoredMessage(
                subject=event.nats_subject(),
                data=envelope.model_dump_json().encode(),
                headers={"Nats-Msg-Id": envelope.id},
            )
        )
    return made


async def apply_through_runner(
    subscription: Subscription, db: Database, msgs: list[StoredMessage], *, batch: int
) -> float:
    """Apply the messages as the consumer runner does, `batch` per transaction with the inbox;
    returns the messages applied per second. Every message must end acknowledged."""
    runner = ConsumerRunner(
        subscription=subscription,
        db=db,
        js=None,
        clock=SystemClock(),
        metrics=ServiceMetrics(f"bench{id(msgs)}"),
        batch=batch,
    )
    started = time.perf_counter()
    for first in range(0, len(msgs), batch):
        await runner.apply_batch(msgs[first : first + batch])  # type: ignore[arg-type]
    rate = len(msgs) / (time.perf_counter() - started)
    if not all(m.acked for m in msgs):
        raise RuntimeError("some messages were not applied (see the dead letters)")
    return rate


@contextmanager
def statements(db: Database) -> Iterator[list[str]]:
    """The SQL statements executed on `db` while the block runs (an executemany counts once)."""
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    sa_event.listen(db.engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa_event.remove(db.engine.sync_engine, "before_cursor_execute", record)
