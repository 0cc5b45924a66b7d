"""Supervision as it runs: a real nats-server, a real database, its consumers and outbox relay.

The NATS server is shared by the whole test session, so every case number is random and every
assertion filters on it.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import nats
import pytest
from fastapi import FastAPI
from sqlalchemy import func
from sqlmodel import select

from xinfang.common.auth import Role, issue_token
from xinfang.common.clock import ManualClock
from xinfang.common.events import (
    AssignmentAccepted,
    DeadlineScheduled,
    Event,
    PetitionerRef,
    PetitionReceived,
    PetitionRefused,
    PetitionRouted,
    new_envelope,
)
from xinfang.common.messaging.tables import AppliedEvent, OutboxEvent
from xinfang.supervision.bootstrap import Supervision
from xinfang.supervision.main import create_app
from xinfang.supervision.settings import SupervisionSettings

NOW = datetime(2026, 10, 10, 1, 0, tzinfo=UTC)
WAIT_SECONDS = 15.0


def a_case_no() -> str:
    return f"XF20260916{secrets.randbelow(10**6):06d}"


def a_received(**overrides: Any) -> PetitionReceived:
    fields: dict[str, Any] = {
        "case_no": a_case_no(),
        "channel": "web",
        # 02:30 on 16 September in China, still the 15th in UTC: the clock starts on the 16th.
        "received_at": datetime(2026, 9, 15, 18, 30, tzinfo=UTC),
        "region_code": "330102",
        "category_code": "010100",
        "title": "小区噪音扰民",
        "content": "夜间施工噪音持续扰民，请有关部门处理。",
        "petitioners": [PetitionerRef(ref="r" * 24, name_masked="张*")],
    }
    return PetitionReceived(**(fields | overrides))


def a_routed(**overrides: Any) -> PetitionRouted:
    fields: dict[str, Any] = {
        "case_no": a_case_no(),
        "department_code": "D330102001",
        "department_name": "区住房和城乡建设局",
        "rule": "category:010100",
        "reason": "噪音扰民由属地住建部门负责",
        # 00:30 on Saturday 10 October in China (a make-up working day), the 9th in UTC.
        "routed_at": datetime(2026, 10, 9, 16, 30, tzinfo=UTC),
    }
    return PetitionRouted(**(fields | overrides))


class ScheduledFeed:
    """Every `deadline.scheduled` published while the test runs, as plain data."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    async def on_message(self, msg: Any) -> None:
        self.events.append(json.loads(msg.data))

    def of(self, case_no: str) -> list[dict[str, Any]]:
        return [e["data"] for e in self.events if e["subject"] == case_no]


@pytest.fixture
async def nc(nats_url: str) -> AsyncIterator[Any]:
    connection = await nats.connect(nats_url)
    yield connection
    await connection.drain()


@pytest.fixture
async def feed(nc: Any) -> AsyncIterator[ScheduledFeed]:
    feed = ScheduledFeed()
    subscription = await nc.subscribe("xinfang.deadline.scheduled", cb=feed.on_message)
    yield feed
    await subscription.unsubscribe()


@pytest.fixture
async def app(database_url: str, nats_url: str) -> AsyncIterator[FastAPI]:
    settings = SupervisionSettings(database_url=database_url, nats_url=nats_url, environment="test")
    app = create_app(settings, clock=ManualClock(NOW))
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        await eventually(lambda: _ready(client), what="/readyz 200")
        yield client


async def _ready(client: httpx.AsyncClient) -> bool:
    return (await client.get("/readyz")).status_code == 200


async def eventually(check: Callable[[], Any], *, what: str) -> Any:
    """Poll `check` (sync or async) until it returns something truthy."""
    deadline = asyncio.get_running_loop().time() + WAIT_SECONDS
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def publish(nc: Any, event: Event) -> str:
    """Publish an event as another service would; returns its envelope id."""
    envelope = new_envelope(event, source="/test", time=NOW)
    await nc.jetstream().publish(
        event.nats_subject(),
        envelope.model_dump_json().encode(),
        headers={"Nats-Msg-Id": envelope.id},
    )
    return envelope.id


def token(app: FastAPI, role: Role) -> dict[str, str]:
    # Wall time, not the manual clock: verify_token checks expiry against the real time.
    secret = app.state.supervision.settings.jwt_secret
    signed = issue_token(secret=secret, sub="t", roles=[role], now=datetime.now(UTC))
    return {"Authorization": f"Bearer {signed}"}


async def applied(supervision: Supervision, event_id: str) -> bool:
    async with supervision.db.reading() as session:
        return await session.get(AppliedEvent, ("supervision-all", event_id)) is not None


async def outbox_count(supervision: Supervision, case_no: str) -> int:
    """How many `deadline.scheduled` events the case put in the outbox."""
    async with supervision.db.reading() as session:
        query = (
            select(func.count())
            .select_from(OutboxEvent)
            .where(OutboxEvent.case_no == case_no, OutboxEvent.type == DeadlineScheduled.TYPE)
        )
        return int((await session.exec(query)).one())


async def test_received_and_routed_petitions_start_the_routing_and_acceptance_clocks(
    app: FastAPI, client: httpx.AsyncClient, nc: Any, feed: ScheduledFeed
) -> None:
    received = a_received()
    case_no = received.case_no

    await publish(nc, received)
    await publish(nc, a_routed(case_no=case_no))

    events = await eventually(
        lambda: len(feed.of(case_no)) >= 3 and feed.of(case_no), what="three deadline events"
    )
    by_kind = {e["kind"]: e for e in events}
    routing, notice = by_kind["routing"], by_kind["acceptance_notice"]
    # Registered 16 Sep; 1 Oct falls in the National Day holiday (1–7 Oct): due 8 Oct.
    assert (routing["starts_on"], routing["due_on"]) == ("2026-09-16", "2026-10-08")
    assert "2026-10-01至10-07为法定节假日（国庆节），顺延至2026-10-08" in routing["basis"]
    # Received Sat 10 Oct; 25 Oct is a Sunday: due Monday 26 Oct.
    assert (notice["starts_on"], notice["due_on"]) == ("2026-10-10", "2026-10-26")
    assert routing["provisional"] is notice["provisional"] is False

    response = await client.get(
        f"/api/v1/cases/{case_no}/deadlines", headers=token(app, Role.SUPERVISOR)
    )
    assert response.status_code == 200
    # The department's receipt meets the routing clock and opens the 5-working-day objection window.
    assert [(d["kind"], d["due_on"], d["status"]) for d in response.json()] == [
        ("routing", "2026-10-08", "met"),
        ("objection", "2026-10-16", "open"),
        ("acceptance_notice", "2026-10-26", "open"),
    ]
    due = await client.get(
        "/api/v1/deadlines",
        params={"due_before": "2026-10-26", "kind": "acceptance_notice"},
        headers=token(app, Role.SUPERVISOR),
    )
    assert case_no in [d["case_no"] for d in due.json()]


async def test_a_duplicate_received_event_starts_no_second_routing_clock(
    app: FastAPI, client: httpx.AsyncClient, nc: Any, feed: ScheduledFeed
) -> None:
    supervision: Supervision = app.state.supervision
    received = a_received()
    case_no = received.case_no
    await publish(nc, received)
    await eventually(lambda: feed.of(case_no), what="the routing deadline")

    # Intake sent it again under a new event id (say, a retried registration), a day later.
    later = received.model_copy(update={"received_at": datetime(2026, 9, 16, 18, 30, tzinfo=UTC)})
    duplicate_id = await publish(nc, later)
    await eventually(lambda: applied(supervision, duplicate_id), what="the duplicate applied")
    # A later case's event, published after it by the same relay, fences the duplicate's effects.
    sentinel = a_received()
    await publish(nc, sentinel)
    await eventually(lambda: feed.of(sentinel.case_no), what="the sentinel's deadline")

    assert [e["due_on"] for e in feed.of(case_no)] == ["2026-10-08"]
    assert await outbox_count(supervision, case_no) == 1
    response = await client.get(
        f"/api/v1/cases/{case_no}/deadlines", headers=token(app, Role.SUPERVISOR)
    )
    assert [(d["kind"], d["starts_on"]) for d in response.json()] == [("routing", "2026-09-16")]


async def test_a_department_handler_may_not_read_deadlines(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    response = await client.get(
        f"/api/v1/cases/{a_case_no()}/deadlines", headers=token(app, Role.HANDLER)
    )
    assert response.status_code == 403
    assert response.json()["errors"][0]["code"] == "forbidden"


async def test_an_impossible_transition_is_dead_lettered_and_the_consumer_goes_on(
    app: FastAPI, client: httpx.AsyncClient, nc: Any, feed: ScheduledFeed
) -> None:
    refused = a_received()
    await publish(nc, refused)
    await publish(
        nc,
        PetitionRefused(
            case_no=refused.case_no,
            kind="not_accepted",
            reason="诉讼",
            basis="第三十一条",
            refused_at=datetime(2026, 10, 9, tzinfo=UTC),
        ),
    )
    stray = AssignmentAccepted(
        case_no=refused.case_no,
        department_code="C_EDU",
        accepted_at=datetime(2026, 10, 9, tzinfo=UTC),
    )
    stray_id = await publish(nc, stray)  # accepted after it was refused: never possible
    after = a_received()
    await publish(nc, after)

    await eventually(lambda: feed.of(after.case_no), what="the next case's deadline")
    letters = await eventually(
        lambda: _dead_letters(client, app, stray_id), what="the stray event dead-lettered"
    )
    assert "受理" in letters[0]["error"] and "PoisonMessage" in letters[0]["error"]


async def _dead_letters(client: httpx.AsyncClient, app: FastAPI, event_id: str) -> list[Any]:
    response = await client.get("/api/v1/dead-letters", headers=token(app, Role.OPERATOR))
    return [d for d in response.json() if d["event_id"] == event_id]
