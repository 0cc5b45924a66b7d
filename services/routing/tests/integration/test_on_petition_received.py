"""The `petition.received` handler against a real database: the assignment and its event are
one unit of work, and a case is routed once."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

import pytest
from sqlmodel import select

from xinfang.common.events import Envelope, PetitionReceived
from xinfang.common.messaging.tables import OutboxEvent
from xinfang.common.testing import benching
from xinfang.routing.bootstrap import Routing
from xinfang.routing.handlers.placing import on_petition_received
from xinfang.routing.models import Assignment

Route = Callable[..., Awaitable[None]]


async def assignments(routing: Routing, case_no: str) -> list[Assignment]:
    async with routing.db.reading() as session:
        query = select(Assignment).where(Assignment.case_no == case_no)
        return list((await session.exec(query)).all())


async def outbox(routing: Routing, case_no: str) -> list[OutboxEvent]:
    async with routing.db.reading() as session:
        query = select(OutboxEvent).where(OutboxEvent.case_no == case_no)
        return list((await session.exec(query)).all())


async def test_routing_a_petition_stores_the_assignment_and_writes_its_event_to_the_outbox(
    routing: Routing, route: Route, a_petition: Callable[..., PetitionReceived]
) -> None:
    petition = a_petition(category_code="100401", region_code="369905101")

    await route(petition)

    [assignment] = await assignments(routing, petition.case_no)
    assert (assignment.department_code, assignment.rule) == ("D05_GOV", "locality:369905")
    assert (assignment.category_code, assignment.region_code) == ("100401", "369905101")
    [row] = await outbox(routing, petition.case_no)
    assert row.subject == "xinfang.petition.routed.D05_GOV"
    assert row.published_at is None
    envelope = Envelope.model_validate_json(row.payload)
    assert (envelope.type, envelope.subject) == ("xinfang.petition.routed.v1", petition.case_no)
    assert envelope.source == "/xinfang/routing/1"
    assert envelope.data["reason"] == assignment.reason
    assert envelope.data["routed_at"] == "2026-03-02T01:30:00Z"


async def test_a_second_petition_received_for_a_routed_case_changes_nothing(
    routing: Routing,
    route: Route,
    a_petition: Callable[..., PetitionReceived],
    envelope_of: Callable[[PetitionReceived], Envelope],
) -> None:
    petition = a_petition()
    await route(petition)

    await route(petition.model_copy(update={"category_code": "060101"}), envelope_of(petition))

    [assignment] = await assignments(routing, petition.case_no)
    assert assignment.department_code == "C_URBAN"
    assert len(await outbox(routing, petition.case_no)) == 1


async def test_two_petition_received_for_one_case_in_one_batch_route_it_once(
    routing: Routing,
    a_petition: Callable[..., PetitionReceived],
    envelope_of: Callable[[PetitionReceived], Envelope],
) -> None:
    petition = a_petition()

    async with routing.db.transaction() as session:
        for _ in range(2):
            await on_petition_received(session, petition, envelope_of(petition), routing=routing)

    assert len(await assignments(routing, petition.case_no)) == 1
    assert len(await outbox(routing, petition.case_no)) == 1


async def test_every_petition_of_a_batch_gets_its_own_assignment_and_event(
    routing: Routing,
    a_petition: Callable[..., PetitionReceived],
    envelope_of: Callable[[PetitionReceived], Envelope],
) -> None:
    petitions = [a_petition(), a_petition(category_code="180000"), a_petition()]

    async with routing.db.transaction() as session:
        for petition in petitions:
            await on_petition_received(session, petition, envelope_of(petition), routing=routing)

    stored = [await assignments(routing, p.case_no) for p in petitions]
    assert [[a.status for a in rows] for rows in stored] == [["assigned"], ["triage"], ["assigned"]]
    assert [len(await outbox(routing, p.case_no)) for p in petitions] == [1, 1, 1]


async def test_a_batch_through_the_runner_routes_its_new_cases_and_leaves_known_ones(
    routing: Routing, route: Route, a_petition: Callable[..., PetitionReceived]
) -> None:
    known = a_petition()
    await route(known)
    fresh = a_petition(category_code="060101")
    resent = known.model_copy(update={"category_code": "060101"})
    [subscription] = routing.runtime.subscriptions

    msgs = benching.messages([fresh, resent, fresh])
    await benching.apply_through_runner(subscription, routing.db, msgs, batch=len(msgs))

    assert [a.department_code for a in await assignments(routing, known.case_no)] == ["C_URBAN"]
    assert len(await assignments(routing, fresh.case_no)) == 1
    assert [len(await outbox(routing, p.case_no)) for p in (known, fresh)] == [1, 1]


async def test_a_failed_unit_of_work_leaves_neither_the_assignment_nor_its_event(
    routing: Routing,
    a_petition: Callable[..., PetitionReceived],
    envelope_of: Callable[[PetitionReceived], Envelope],
) -> None:
    petition = a_petition()

    with pytest.raises(RuntimeError):
        async with routing.db.transaction() as session:
            await on_petition_received(session, petition, envelope_of(petition), routing=routing)
            raise RuntimeError("the inbox write failed")

    assert await assignments(routing, petition.case_no) == []
    assert await outbox(routing, petition.case_no) == []


async def test_a_petition_no_rule_places_is_queued_for_triage_with_its_reason_and_deadline(
    routing: Routing, route: Route, a_petition: Callable[..., PetitionReceived]
) -> None:
    petition = a_petition(category_code="180000")

    await route(petition)

    [assignment] = await assignments(routing, petition.case_no)
    [event] = await outbox(routing, petition.case_no)
    assert event.subject == "xinfang.petition.triaged"
    data = json.loads(event.payload)["data"]
    assert data["reason"] == assignment.reason
    assert "没有匹配的转送规则" in assignment.reason
    assert (assignment.status, assignment.rule) == ("triage", "triage:no_rule")
    assert assignment.department_code is None
    assert str(assignment.route_due_on) == "2026-03-17"


async def test_a_petition_intake_refused_at_registration_is_not_routed(
    routing: Routing, route: Route, a_petition: Callable[..., PetitionReceived]
) -> None:
    petition = a_petition(refused="not_reaccepted")

    await route(petition)

    assert await assignments(routing, petition.case_no) == []
    assert await outbox(routing, petition.case_no) == []
