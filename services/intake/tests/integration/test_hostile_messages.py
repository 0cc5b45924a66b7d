"""Hostile messages on every subject intake consumes are kept aside and change nothing; the next
step of a case still shows in its view, an event delivered again changes nothing and a late one
does not move a case back (`xinfang.common.testing.hostile`)."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from xinfang.common.clock import ManualClock
from xinfang.common.events import AssignmentAccepted, AssignmentTransferred
from xinfang.common.testing import hostile
from xinfang.common.testing.builders import a_petition_routed, envelope_of
from xinfang.intake.main import create_app
from xinfang.intake.models import Petition
from xinfang.intake.settings import IntakeSettings

PETITION = {
    "channel": "web",
    "petitioners": [{"name": "王小明", "phone": "13912345678", "address": "新港区港城街道8号"}],
    "region_code": "369902",
    "category_code": "060000",
    "title": "拖欠工资问题",
    "content": "某公司拖欠三个月工资未发放，请求督促支付。",
}


@pytest.fixture
async def target(database_url: str, nats_url: str, tmp_path: Path) -> AsyncIterator[hostile.Target]:
    settings = IntakeSettings(
        database_url=database_url,
        nats_url=nats_url,
        environment="test",
        attachments_dir=tmp_path / "attachments",
        consumer_max_deliver=2,
    )
    # A day of its own: case numbers count per day, and the NATS server is shared.
    day = datetime(2030, 1, 1, 2, tzinfo=UTC) + timedelta(days=secrets.randbelow(20_000))
    app = create_app(settings, clock=ManualClock(day))
    async with hostile.running(app, service="intake", nats_url=nats_url) as target:
        yield target


async def registered(target: hostile.Target) -> str:
    """A petition registered through the API; its case number."""
    response = await target.http.post("/api/v1/petitions", json=PETITION)
    assert response.status_code == 201, response.text
    return str(response.json()["case_no"])


async def petition(target: hostile.Target, case_no: str) -> Petition:
    async with target.db.reading() as session:
        found = await session.get(Petition, case_no)
    assert found is not None
    return found


async def test_hostile_replayed_and_late_messages_change_nothing_and_good_ones_still_apply(
    target: hostile.Target,
) -> None:
    case_no = await registered(target)

    async def shown_routed() -> bool:
        return (await petition(target, case_no)).status == "routed"

    good = envelope_of(a_petition_routed(case_no=case_no))
    await hostile.assault(target, good=good, applied=shown_routed)

    # The same events again (as after the stream's duplicate window), then late news.

    case_no = await registered(target)
    start = datetime.now(UTC)
    routed = envelope_of(a_petition_routed(case_no=case_no), time=start)
    transferred = AssignmentTransferred(
        case_no=case_no,
        department_code="C_HRSS",
        from_department="C_HOUSING",
        department_name="江宁市人力资源和社会保障局",
        reason="欠薪属人社部门职责",
        transferred_at=start,
    )
    accepted = AssignmentAccepted(case_no=case_no, department_code="C_HRSS", accepted_at=start)
    history = [
        routed,
        envelope_of(transferred, time=start + timedelta(hours=1)),
        envelope_of(accepted, time=start + timedelta(hours=2)),
    ]
    await hostile.replay(target, *history)

    await hostile.deliver(target, hostile.older(routed))

    now = await petition(target, case_no)
    assert (now.status, now.department_code) == ("accepted", "C_HRSS")
