"""Two supervision instances running for real on one database and one nats-server: consumers,
relays and schedulers all on. Time moves on a shared manual clock; every warning, overdue, order
and escalation is published exactly once."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from typing import Any

import httpx
import nats
import pytest

from xinfang.common.clock import CHINA_TZ, ManualClock
from xinfang.common.events import AssignmentAccepted, Event, new_envelope
from xinfang.common.testing.builders import a_case_no, a_petition_received, a_petition_routed
from xinfang.supervision.main import create_app
from xinfang.supervision.settings import SupervisionSettings

WATCHED = [
    "xinfang.deadline.scheduled",
    "xinfang.deadline.warned",
    "xinfang.deadline.missed",
    "xinfang.supervision.order_issued",
    "xinfang.supervision.escalated",
]
# Accepted 2 March 2026: handling ends 6 May (after May Day); feedback due 22 May.
DAYS = [
    ((4, 4), ("warned", 1)),
    ((4, 24), ("warned", 2)),
    ((5, 5), ("warned", 3)),
    ((5, 7), ("order_issued", 1)),
    ((5, 23), ("escalated", 1)),
    ((5, 28), ("escalated", 2)),
    ((6, 2), ("escalated", 3)),
]


class Feed:
    """Distinct events about one case, by event id: two relays on one outbox may both publish a
    row, which the stream drops as a duplicate (`Nats-Msg-Id`) but a plain subscriber still sees;
    a second *event* for the same timer would have a new id."""

    def __init__(self, case_no: str) -> None:
        self.case_no, self.seen, self.ids = case_no, Counter[str](), set[str]()

    async def on_message(self, msg: Any) -> None:
        body = json.loads(msg.data)
        if body["subject"] == self.case_no and body["id"] not in self.ids:
            self.ids.add(body["id"])
            self.seen[msg.subject.split(".")[-1]] += 1


@pytest.fixture
async def two_instances(database_url: str, nats_url: str) -> AsyncIterator[ManualClock]:
    clock = ManualClock(datetime(2026, 3, 2, 1, 0, tzinfo=UTC))
    async with AsyncExitStack() as stack:
        for instance in ("a", "b"):
            settings = SupervisionSettings(
                database_url=database_url,
                nats_url=nats_url,
                environment="test",
                instance_id=instance,
                scheduler_interval_seconds=0.1,
            )
            app = create_app(settings, clock=clock)
            await stack.enter_async_context(app.router.lifespan_context(app))
            client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")
            await stack.enter_async_context(client)
            await _until(lambda c=client: _ready(c))
        yield clock


async def _ready(client: httpx.AsyncClient) -> bool:
    return (await client.get("/readyz")).status_code == 200


async def _until(probe: Any, within: float = 20.0) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + within
    while not await probe():
        if loop.time() > end:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


async def _publish(js: Any, event: Event) -> None:
    envelope = new_envelope(event, source="/test", time=datetime.now(UTC))
    await js.publish(
        event.nats_subject(),
        envelope.model_dump_json().encode(),
        headers={"Nats-Msg-Id": envelope.id},
    )


async def test_two_running_instances_publish_each_warning_order_and_escalation_once(
    two_instances: ManualClock, nats_url: str
) -> None:
    clock, case_no = two_instances, a_case_no()
    feed = Feed(case_no)
    nc = await nats.connect(nats_url)
    for subject in WATCHED:
        await nc.subscribe(subject, cb=feed.on_message)
    js = nc.jetstream()
    await _publish(js, a_petition_received(case_no=case_no))
    await _publish(js, a_petition_routed(case_no=case_no))
    await _publish(
        js,
        AssignmentAccepted(
            case_no=case_no,
            department_code="C_HOUSING",
            accepted_at=datetime(2026, 3, 2, 2, tzinfo=UTC),
        ),
    )

    async def seen(kind: str, n: int) -> bool:
        return feed.seen[kind] >= n

    await _until(lambda: seen("scheduled", 4))  # routing, notice, objection, handling
    for (month, day), (kind, n) in DAYS:
        clock.set(datetime(2026, month, day, 9, tzinfo=CHINA_TZ).astimezone(UTC))
        await _until(lambda k=kind, n=n: seen(k, n))
    await asyncio.sleep(1.5)  # both schedulers tick many times more: nothing fires again
    await nc.drain()

    assert (feed.seen["warned"], feed.seen["missed"]) == (3, 1)
    assert (feed.seen["order_issued"], feed.seen["escalated"]) == (1, 3)
    assert feed.seen["scheduled"] == 4
