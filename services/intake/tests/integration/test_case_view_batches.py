"""The case view applies a whole batch of events in one unit of work (each case read once, its rows
written before the commit): within one batch the rules hold as they do one event at a time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import update
from sqlmodel import select

from xinfang.common.clock import SystemClock
from xinfang.common.events import (
    AssignmentAccepted,
    AssignmentTransferred,
    CaseAnswered,
    DeadlineScheduled,
    Envelope,
    NoticeDelivered,
)
from xinfang.common.messaging.consumer import ConsumerRunner
from xinfang.common.messaging.tables import DeadLetter
from xinfang.common.metrics import ServiceMetrics
from xinfang.common.testing.benching import StoredMessage
from xinfang.common.testing.builders import a_petition_routed, envelope_of
from xinfang.intake import repository
from xinfang.intake.bootstrap import Intake
from xinfang.intake.handlers.case_view import on_deadline
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
START = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)  # after any registration


@dataclass
class Message(StoredMessage):
    """A fetched message that can also be terminated (dead-lettered)."""

    terminated: bool = False

    async def term(self) -> None:
        self.terminated = True


@dataclass
class Running:
    intake: Intake
    http: httpx.AsyncClient

    async def registered(self) -> str:
        response = await self.http.post("/api/v1/petitions", json=PETITION)
        assert response.status_code == 201, response.text
        return str(response.json()["case_no"])

    async def apply(self, *envelopes: Envelope) -> list[Message]:
        """The envelopes as one batch of the case view's consumer."""
        msgs = [_message(e) for e in envelopes]
        [subscription] = self.intake.runtime.subscriptions
        runner = ConsumerRunner(
            subscription=subscription,
            db=self.intake.db,
            js=None,
            clock=SystemClock(),
            metrics=ServiceMetrics(f"test{id(msgs)}"),
        )
        await runner.apply_batch(msgs)
        return msgs

    async def petition(self, case_no: str) -> Petition:
        async with self.intake.db.reading() as session:
            found = await session.get(Petition, case_no)
        assert found is not None
        return found

    async def timeline(self, case_no: str) -> list[tuple[str, dict[str, Any]]]:
        async with self.intake.db.reading() as session:
            entries = await repository.timeline(session, case_no=case_no)
        import json

        return [(e.event_type.split(".", 1)[1], json.loads(e.details)) for e in entries]


def _message(envelope: Envelope) -> Message:
    from xinfang.common.events import event_class

    event = event_class(envelope.type).model_validate(envelope.data)
    return Message(
        subject=event.nats_subject(),
        data=envelope.model_dump_json().encode(),
        headers={"Nats-Msg-Id": envelope.id},
    )


@pytest.fixture
async def running(database_url: str, tmp_path: Path) -> AsyncIterator[Running]:
    settings = IntakeSettings(
        database_url=database_url,
        environment="test",
        start_background=False,
        attachments_dir=tmp_path / "attachments",
    )
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://intake") as http,
    ):
        yield Running(app.state.intake, http)


def at(minutes: int) -> datetime:
    return START + timedelta(minutes=minutes)


def deadline(case_no: str, kind: str, due_on: date) -> DeadlineScheduled:
    return DeadlineScheduled(
        case_no=case_no, kind=kind, starts_on=date(2026, 3, 2), due_on=due_on, basis="15日"
    )


def a_transfer_to_the_district(case_no: str) -> AssignmentTransferred:
    """人社局 passes the case to the district government at minute 5."""
    return AssignmentTransferred(
        case_no=case_no,
        department_code="D02_GOV",
        from_department="C_HRSS",
        department_name="新港区人民政府",
        reason="属地管理",
        transferred_at=at(5),
    )


async def test_every_step_of_a_case_in_one_batch_shows_in_order_on_its_view(running) -> None:
    case_no = await running.registered()
    routed = a_petition_routed(case_no=case_no, department_code="C_HRSS", department_name="人社局")
    notice = NoticeDelivered(
        case_no=case_no,
        notice_id="n1",
        notice_type="registration",
        channel="email",
        recipient_masked="w***@x.cn",
        delivered_at=at(0),
    )
    accepted = AssignmentAccepted(case_no=case_no, department_code="C_HRSS", accepted_at=at(3))
    msgs = await running.apply(
        envelope_of(deadline(case_no, "routing", date(2026, 3, 17)), time=at(0)),
        envelope_of(notice, time=at(0)),
        envelope_of(routed, time=at(1)),
        envelope_of(deadline(case_no, "acceptance_notice", date(2026, 3, 20)), time=at(2)),
        envelope_of(deadline(case_no, "objection", date(2026, 3, 9)), time=at(2)),
        envelope_of(accepted, time=at(3)),
    )

    assert all(m.acked for m in msgs)
    petition = await running.petition(case_no)
    assert (petition.status, petition.department_name) == ("accepted", "人社局")
    assert (petition.deadline_kind, petition.deadline_due_on) == (
        "acceptance_notice",
        date(2026, 3, 20),
    )
    assert petition.updated_at == at(3)
    assert [step for step, _ in await running.timeline(case_no)] == [
        "petition.received.v1",
        "deadline.scheduled.v1",
        "notice.delivered.v1",
        "petition.routed.v1",
        "deadline.scheduled.v1",
        "assignment.accepted.v1",
    ]
    assert (await running.timeline(case_no))[-1][1] == {"department": "人社局"}


async def test_a_late_placement_in_the_same_batch_keeps_the_later_department(running) -> None:
    case_no = await running.registered()
    transferred = a_transfer_to_the_district(case_no)
    routed = a_petition_routed(case_no=case_no, department_code="C_HRSS", department_name="人社局")

    await running.apply(envelope_of(transferred, time=at(5)), envelope_of(routed, time=at(1)))

    petition = await running.petition(case_no)
    assert (petition.status, petition.department_code) == ("routed", "D02_GOV")
    assert len(await running.timeline(case_no)) == 3


async def test_a_placement_later_than_one_committed_before_still_moves_the_case(running) -> None:
    case_no = await running.registered()
    routed = a_petition_routed(case_no=case_no, department_code="C_HRSS", department_name="人社局")
    await running.apply(envelope_of(routed, time=at(1)))
    transferred = a_transfer_to_the_district(case_no)
    older = a_petition_routed(case_no=case_no, department_code="C_OLD", department_name="旧单位")

    await running.apply(envelope_of(transferred, time=at(5)), envelope_of(older, time=at(0)))

    assert (await running.petition(case_no)).department_code == "D02_GOV"


async def test_a_step_back_in_the_same_batch_leaves_the_status_where_it_was(running) -> None:
    case_no = await running.registered()
    answered = CaseAnswered(
        case_no=case_no,
        department_code="C_HRSS",
        outcome="supported",
        summary="责令公司限期支付工资",
        legal_basis="《劳动合同法》",
        answered_at=at(2),
    )
    routed = a_petition_routed(case_no=case_no)

    await running.apply(envelope_of(answered, time=at(2)), envelope_of(routed, time=at(3)))

    petition = await running.petition(case_no)
    assert (petition.status, petition.answered_at, petition.answer_stage) == (
        "answered",
        at(2),
        "handling",
    )


async def test_an_unknown_case_in_a_batch_is_dead_lettered_and_the_others_applied(running) -> None:
    case_no = await running.registered()
    stray = envelope_of(a_petition_routed(), time=at(1))
    good = envelope_of(a_petition_routed(case_no=case_no), time=at(1))

    msgs = await running.apply(good, stray)

    assert (msgs[0].acked, msgs[1].terminated) == (True, True)
    assert (await running.petition(case_no)).status == "routed"
    async with running.intake.db.reading() as session:
        letters = (await session.exec(select(DeadLetter))).all()
    assert [letter.event_id for letter in letters] == [stray.id]
    assert "no petition" in letters[0].error


async def test_a_column_no_event_of_the_batch_changed_is_left_as_another_instance_wrote_it(
    running,
) -> None:
    case_no = await running.registered()
    clock = deadline(case_no, "acceptance_notice", date(2026, 3, 20))

    async with running.intake.db.transaction() as session:
        await on_deadline(session, clock, envelope_of(clock, time=at(2)))
        # Meanwhile another instance applies the case's routing (the same row, another column).
        routed = update(Petition).where(Petition.case_no == case_no).values(status="routed")  # type: ignore[arg-type]
        await session.exec(routed)

    petition = await running.petition(case_no)
    assert (petition.status, petition.deadline_kind) == ("routed", "acceptance_notice")
