"""Hostile messages on every subject supervision consumes are kept aside and change nothing; the
next petition is still taken in, an event delivered again changes nothing and a late one does not
move a case back (`xinfang.common.testing.hostile`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from xinfang.common.clock import ManualClock
from xinfang.common.events import AssignmentAccepted
from xinfang.common.testing import hostile
from xinfang.common.testing.builders import (
    DEFAULT_TIME,
    a_petition_received,
    a_petition_routed,
    envelope_of,
)
from xinfang.supervision.main import create_app
from xinfang.supervision.models import CaseRecord
from xinfang.supervision.settings import SupervisionSettings


@pytest.fixture
async def target(
    database_url: str, nats_url: str, calendar_dir: Path
) -> AsyncIterator[hostile.Target]:
    settings = SupervisionSettings(
        database_url=database_url,
        nats_url=nats_url,
        environment="test",
        calendar_dir=calendar_dir,
        consumer_max_deliver=2,  # an early event is retried, then kept aside: at once, here
    )
    app = create_app(settings, clock=ManualClock(DEFAULT_TIME))
    async with hostile.running(app, service="supervision", nats_url=nats_url) as target:
        yield target


async def status_of(target: hostile.Target, case_no: str) -> str | None:
    async with target.db.reading() as session:
        case = await session.get(CaseRecord, case_no)
        return case.status if case else None


async def test_hostile_replayed_and_late_messages_change_nothing_and_good_ones_still_apply(
    target: hostile.Target,
) -> None:
    petition = a_petition_received()

    async def taken_in() -> str | None:
        return await status_of(target, petition.case_no)

    await hostile.assault(target, good=envelope_of(petition), applied=taken_in)

    # The same events again (as after the stream's duplicate window), then late news.

    received = a_petition_received()
    case_no = received.case_no
    routed = envelope_of(a_petition_routed(case_no=case_no), time=DEFAULT_TIME + timedelta(hours=1))
    accepted = envelope_of(
        AssignmentAccepted(case_no=case_no, department_code="C_HOUSING", accepted_at=DEFAULT_TIME),
        time=DEFAULT_TIME + timedelta(hours=2),
    )
    await hostile.replay(target, envelope_of(received), routed, accepted)
    status = await status_of(target, case_no)
    before = await hostile.snapshot(target)

    await hostile.deliver(target, hostile.older(routed))

    assert await status_of(target, case_no) == status == "accepted"
    hostile.assert_unchanged(before, await hostile.snapshot(target))
