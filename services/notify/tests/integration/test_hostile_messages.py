"""Hostile messages on every subject notify consumes are kept aside and change nothing; the next
petition is still taken in, and an event delivered again or late makes no second notice
(`xinfang.common.testing.hostile`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from xinfang.common.events import AssignmentAccepted
from xinfang.common.testing import hostile
from xinfang.notify.main import create_app
from xinfang.notify.models import NoticeCase
from xinfang.notify.settings import NotifySettings


@pytest.fixture
async def target(
    database_url: str, nats_url: str, smtp_server: Any, tmp_path: Path
) -> AsyncIterator[hostile.Target]:
    settings = NotifySettings(
        database_url=database_url,
        nats_url=nats_url,
        environment="test",
        smtp_port=smtp_server.port,
        letters_dir=str(tmp_path / "letters"),
        consumer_max_deliver=2,  # an early event is retried, then kept aside: at once, here
    )
    async with hostile.running(create_app(settings), service="notify", nats_url=nats_url) as t:
        yield t


async def test_hostile_replayed_and_late_messages_change_nothing_and_good_ones_still_apply(
    target: hostile.Target, petitions: Any
) -> None:
    case_no = petitions.case_no()
    received = petitions.received(case_no)

    async def taken_in() -> NoticeCase | None:
        async with target.db.reading() as session:
            return await session.get(NoticeCase, case_no)

    await hostile.assault(target, good=petitions.envelope(received), applied=taken_in)

    # The same events again (as after the stream's duplicate window), then late news.

    case_no = petitions.case_no()
    received = petitions.envelope(petitions.received(case_no))
    routed = petitions.envelope(petitions.routed(case_no), time=received.time + timedelta(hours=1))
    accepted = petitions.envelope(
        AssignmentAccepted(case_no=case_no, department_code="320115-ZJJ", accepted_at=routed.time),
        time=routed.time + timedelta(hours=1),
    )
    history = [received, routed, accepted]
    await hostile.replay(target, *history)
    before = await hostile.quiet_snapshot(target)

    await hostile.deliver(target, hostile.older(received), hostile.older(routed))

    hostile.assert_unchanged(before, await hostile.quiet_snapshot(target))
