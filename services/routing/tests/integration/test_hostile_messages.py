"""Hostile messages on every subject routing consumes are kept aside and change nothing; the next
petition is still routed, and a petition delivered again or late is not routed twice
(`xinfang.common.testing.hostile`)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest
from sqlmodel import select

from xinfang.common.clock import ManualClock
from xinfang.common.events import Envelope, PetitionReceived
from xinfang.common.messaging.tables import OutboxEvent
from xinfang.common.testing import hostile
from xinfang.routing.main import create_app
from xinfang.routing.settings import RoutingSettings


@pytest.fixture
async def target(
    database_url: str, nats_url: str, clock: ManualClock
) -> AsyncIterator[hostile.Target]:
    settings = RoutingSettings(
        database_url=database_url, nats_url=nats_url, environment="test", consumer_max_deliver=2
    )
    app = create_app(settings, clock=clock)
    async with hostile.running(app, service="routing", nats_url=nats_url) as target:
        yield target


async def placed(target: hostile.Target, case_no: str) -> list[str]:
    """The placing events (routed or triaged) routing wrote for a case."""
    async with target.db.reading() as session:
        rows = await session.exec(select(OutboxEvent.type).where(OutboxEvent.case_no == case_no))
        return list(rows.all())


async def test_hostile_replayed_and_late_messages_change_nothing_and_good_ones_still_apply(
    target: hostile.Target,
    a_petition: Callable[..., PetitionReceived],
    envelope_of: Callable[[PetitionReceived], Envelope],
) -> None:
    petition = a_petition()

    async def routed() -> list[str]:
        return await placed(target, petition.case_no)

    await hostile.assault(target, good=envelope_of(petition), applied=routed)

    # The same events again (as after the stream's duplicate window), then late news.

    received = envelope_of(a_petition())
    await hostile.replay(target, received)
    await hostile.deliver(target, hostile.older(received))  # the same petition, late

    assert await placed(target, received.subject or "") == ["xinfang.petition.routed.v1"]
