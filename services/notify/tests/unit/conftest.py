"""Notify wired with a fake channel, a manual clock and a SQLite file: no NATS, no SMTP."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from sqlmodel import select

from xinfang.common.clock import ManualClock
from xinfang.common.events import Envelope, Event
from xinfang.common.messaging.tables import OutboxEvent
from xinfang.notify.bootstrap import Notify, bootstrap
from xinfang.notify.channels.fake import FakeChannel
from xinfang.notify.settings import NotifySettings


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def channel() -> FakeChannel:
    return FakeChannel("email")


@pytest.fixture
async def notify(tmp_path: Path, clock: ManualClock, channel: FakeChannel) -> AsyncIterator[Notify]:
    settings = NotifySettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'notify.db'}", environment="test"
    )
    notify = bootstrap(settings, clock=clock, channels={"email": channel})
    await notify.db.create_all()
    yield notify
    await notify.db.dispose()


@pytest.fixture
def apply(notify: Notify, petitions) -> Callable[..., Awaitable[Envelope]]:
    """Apply an event through notify's handler table, in one transaction as the consumer does."""
    [subscription] = notify.runtime.subscriptions

    async def apply_event(event: Event, envelope: Envelope | None = None) -> Envelope:
        envelope = envelope or petitions.envelope(event)
        async with notify.db.transaction() as session:
            await subscription.handlers[envelope.type](session, event, envelope)
        return envelope

    return apply_event


@pytest.fixture
def outbox(notify: Notify) -> Callable[[str], Awaitable[list[OutboxEvent]]]:
    """The outbox rows of one event type."""

    async def rows(event_type: str) -> list[OutboxEvent]:
        async with notify.db.reading() as session:
            query = select(OutboxEvent).where(OutboxEvent.type == event_type)
            return list((await session.exec(query)).all())

    return rows
