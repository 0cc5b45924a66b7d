"""The clerks' triage queue: what routing could not place, oldest first with its routing deadline;
a clerk places a case with a reason."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import httpx

from xinfang.common.auth import Role
from xinfang.common.events import PetitionReceived

Bearer = Callable[..., dict[str, str]]
Route = Callable[[PetitionReceived], Awaitable[None]]
Outbox = Callable[[str], Awaitable[list[tuple[str, dict[str, Any]]]]]


async def test_the_queue_lists_unplaced_cases_oldest_first_with_their_routing_deadline(
    client: httpx.AsyncClient,
    route: Route,
    a_petition: Callable[..., PetitionReceived],
    bearer: Bearer,
) -> None:
    newer = a_petition(category_code="990000")
    older = a_petition(category_code="180000", received_at=newer.received_at - timedelta(days=3))
    placed = a_petition()
    for petition in (newer, older, placed):
        await route(petition)

    response = await client.get("/api/v1/triage", headers=bearer(Role.CLERK))

    queue = [(a["case_no"], a["route_due_on"]) for a in response.json()]
    # 15 days from 27 Feb end on Saturday 14 March: the deadline moves to Monday the 16th.
    assert queue[:2] == [(older.case_no, "2026-03-16"), (newer.case_no, "2026-03-17")]
    assert placed.case_no not in [c for c, _ in queue]
    assert "分流" in response.json()[1]["reason"]


async def test_a_clerk_assigns_a_queued_case_with_a_reason_and_it_is_routed(
    client: httpx.AsyncClient,
    route: Route,
    a_petition: Callable[..., PetitionReceived],
    bearer: Bearer,
    outbox_of: Outbox,
) -> None:
    petition = a_petition(category_code="990000")
    await route(petition)
    path = f"/api/v1/triage/{petition.case_no}/assign"
    command = {"department_code": "C_CIVIL", "reason": "涉及低保待遇", "mode": "assign"}

    as_handler = await client.post(
        path, json=command, headers=bearer(Role.HANDLER, department="C_CIVIL")
    )
    no_reason = await client.post(
        path, json={"department_code": "C_CIVIL"}, headers=bearer(Role.CLERK)
    )
    assigned = await client.post(path, json=command, headers=bearer(Role.CLERK))
    twice = await client.post(path, json=command, headers=bearer(Role.CLERK))

    assert as_handler.status_code == 403
    assert (no_reason.status_code, no_reason.json()["errors"][0]["field"]) == (422, "reason")
    assert (assigned.json()["status"], assigned.json()["rule"]) == ("assigned", "clerk")
    assert assigned.json()["reason"] == "分流员指定：涉及低保待遇"
    assert twice.status_code == 409
    subjects = [s for s, _ in await outbox_of(petition.case_no)]
    assert subjects == ["xinfang.petition.triaged", "xinfang.petition.routed.C_CIVIL"]
    _, routed = (await outbox_of(petition.case_no))[-1]
    assert (routed["mode"], routed["rule"]) == ("assign", "clerk")


async def test_the_triage_queue_and_webhook_backlog_are_exported_as_metrics(
    client: httpx.AsyncClient, route: Route, a_petition: Callable[..., PetitionReceived], app: Any
) -> None:
    from xinfang.routing.gauges import QueueGauges

    for _ in range(2):
        await route(a_petition(category_code="990000"))
    await QueueGauges(app.state.routing).measure()

    metrics = (await client.get("/metrics")).text

    assert "xinfang_routing_triage_queue_cases 2.0" in metrics
    assert 'xinfang_routing_webhook_deliveries{status="pending"} 0.0' in metrics
    assert 'xinfang_routing_decisions_total{result="triage"} 2.0' in metrics
