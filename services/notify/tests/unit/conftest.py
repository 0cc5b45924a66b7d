"""Notify wired with fake channels, a manual clock, a small directory and a SQLite file."""

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
from xinfang.notify.directory import Directory, Endpoint
from xinfang.notify.settings import NotifySettings


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def channel() -> FakeChannel:
    return FakeChannel("email")


@pytest.fixture
def fakes(channel: FakeChannel) -> dict[str, FakeChannel]:
    """A fake for every channel but the portal (which sends nothing anyway)."""
    return {"email": channel, **{name: FakeChannel(name) for name in ("sms", "webhook", "letter")}}


@pytest.fixture
def directory() -> Directory:
    """Two departments (one by webhook, one by e-mail) and two leaders; the builders' routed
    department (320115-ZJJ) is deliberately absent, so a plain routed case makes no department
    notice."""
    return Directory(
        departments={
            "D-HOOK": Endpoint(
                ref="D-HOOK",
                name="江宁区城市管理局",
                email="cgj@gov.example",
                webhook_url="http://127.0.0.1:9/hook",
                webhook_secret="hook-secret",
                channel="webhook",
            ),
            "D-MAIL": Endpoint(ref="D-MAIL", name="江宁区水务局", email="swj@gov.example"),
        },
        leaders=[
            Endpoint(ref="L1", name="王副市长", sms="13900000101", channel="sms"),
            Endpoint(ref="L2", name="信访局局长", email="head@gov.example"),
        ],
    )


@pytest.fixture
def settings(tmp_path: Path) -> NotifySettings:
    return NotifySettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'notify.db'}",
        environment="test",
        letters_dir=str(tmp_path / "letters"),
    )


@pytest.fixture
async def notify(
    settings: NotifySettings, clock: ManualClock, fakes: dict[str, FakeChannel], directory
) -> AsyncIterator[Notify]:
    notify = bootstrap(settings, clock=clock, channels=fakes, directory=directory)
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
