"""Two notify instances on one database never take the same notice at once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from xinfang.common.clock import ManualClock
from xinfang.notify import handlers
from xinfang.notify.bootstrap import Notify, bootstrap
from xinfang.notify.channels.fake import FakeChannel
from xinfang.notify.settings import NotifySettings

NOTICES = 30


@pytest.fixture
async def instances(database_url: str) -> AsyncIterator[list[Notify]]:
    clock = ManualClock()
    instances = [
        bootstrap(
            NotifySettings(
                database_url=database_url, environment="test", instance_id=str(n), dispatch_batch=4
            ),
            clock=clock,
            channels={"email": FakeChannel()},
        )
        for n in (1, 2)
    ]
    await instances[0].db.create_all()
    yield instances
    for notify in instances:
        await notify.db.dispose()


async def routed_cases(notify: Notify, petitions, count: int) -> None:
    [subscription] = notify.runtime.subscriptions
    for _ in range(count):
        case_no = petitions.case_no()
        for event in (petitions.received(case_no), petitions.routed(case_no)):
            async with notify.db.transaction() as session:
                await subscription.handlers[event.TYPE](session, event, petitions.envelope(event))


async def test_two_instances_claiming_at_once_share_the_due_notices_without_overlap(
    instances, petitions
) -> None:
    await routed_cases(instances[0], petitions, NOTICES)

    claims: list[list[str]] = [[], []]
    for _ in range(NOTICES):
        first, second = await asyncio.gather(
            *(handlers.claim_due_notices(notify) for notify in instances)
        )
        claims[0] += first
        claims[1] += second

    assert not set(claims[0]) & set(claims[1])
    assert len(claims[0]) + len(claims[1]) == NOTICES


async def test_two_dispatchers_running_at_once_send_each_notice_once(instances, petitions) -> None:
    await routed_cases(instances[0], petitions, NOTICES)

    for _ in range(NOTICES):
        await asyncio.gather(*(notify.dispatcher.run_once() for notify in instances))

    sent = [m.notice_id for notify in instances for m in notify.channels["email"].sent]
    assert len(sent) == len(set(sent)) == NOTICES
