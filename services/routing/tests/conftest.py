"""Fixtures and builders of routing's tests."""

from __future__ import annotations

import json
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlmodel import col, select

from xinfang.common.auth import Role, issue_token
from xinfang.common.clock import ManualClock
from xinfang.common.events import Envelope, PetitionerRef, PetitionReceived, new_envelope
from xinfang.common.messaging.tables import OutboxEvent
from xinfang.routing.bootstrap import Routing
from xinfang.routing.handlers.placing import on_petition_received
from xinfang.routing.main import create_app
from xinfang.routing.settings import RoutingSettings

NOW = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)
JWT_SECRET = f"routing-tests-{secrets.token_hex(16)}"


def a_case_no() -> str:
    """A random case number: tests share one NATS stream and tell their cases apart by it."""
    return f"XF20260302{secrets.randbelow(10**6):06d}{secrets.token_hex(3).upper()}"


def a_petition(**overrides: Any) -> PetitionReceived:
    """`petition.received` of an illegal building reported to the city itself (城市建设和市政管理),
    so the city routing table decides; pass `region_code` for a district or street."""
    fields: dict[str, Any] = {
        "case_no": a_case_no(),
        "channel": "web",
        "received_at": NOW,
        "region_code": "369900",
        "category_code": "140401",
        "title": "小区旁违章搭建影响通行",
        "content": "小区东门外有人违章搭建棚屋，占用人行道，请求依法拆除。",
        "petitioners": [PetitionerRef(ref="r1", name_masked="王*", phone_masked="138****0000")],
    }
    return PetitionReceived(**(fields | overrides))


def envelope_of(event: PetitionReceived) -> Envelope:
    return new_envelope(event, source="/test", time=NOW)


@pytest.fixture(name="a_petition")
def petition_builder() -> Callable[..., PetitionReceived]:
    """Builder of `petition.received` events; keywords override fields."""
    return a_petition


@pytest.fixture(name="envelope_of")
def envelope_builder() -> Callable[[PetitionReceived], Envelope]:
    """Wraps an event as intake's relay would, with a fresh envelope id."""
    return envelope_of


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)


@pytest.fixture
def settings(database_url: str) -> RoutingSettings:
    """A routing instance on a fresh database, without NATS: no consumers, no relay."""
    return RoutingSettings(
        database_url=database_url,
        environment="test",
        jwt_secret=JWT_SECRET,
        start_background=False,
    )


@pytest.fixture
async def app(settings: RoutingSettings, clock: ManualClock) -> AsyncIterator[FastAPI]:
    """The routing app with its lifespan running."""
    app = create_app(settings, clock=clock)
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
def routing(app: FastAPI) -> Routing:
    return app.state.routing  # type: ignore[no-any-return]


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        yield client


@pytest.fixture
def route(routing: Routing) -> Callable[..., Awaitable[None]]:
    """Applies a `petition.received` through the handler, in its own transaction, as the
    consumer runner would."""

    async def apply(event: PetitionReceived, envelope: Envelope | None = None) -> None:
        async with routing.db.transaction() as session:
            await on_petition_received(
                session, event, envelope or envelope_of(event), routing=routing
            )

    return apply


@pytest.fixture
def bearer(settings: RoutingSettings) -> Callable[..., dict[str, str]]:
    """Authorization headers for one role (and, for a handler, its department)."""

    def headers(role: Role, *, department: str | None = None) -> dict[str, str]:
        token = issue_token(
            secret=settings.jwt_secret,
            sub=f"test-{role.value}",
            roles=[role],
            now=datetime.now(UTC),  # tokens expire by the wall clock, not the test's
            department=department,
        )
        return {"Authorization": f"Bearer {token}"}

    return headers


OutboxOf = Callable[[str], Awaitable[list[tuple[str, dict[str, Any]]]]]


@pytest.fixture
def outbox_of(routing: Routing) -> OutboxOf:
    """(subject, data) of every event a case wrote to the outbox, in order."""

    async def events(case_no: str) -> list[tuple[str, dict[str, Any]]]:
        async with routing.db.reading() as session:
            query = select(OutboxEvent).where(OutboxEvent.case_no == case_no)
            rows = (await session.exec(query.order_by(col(OutboxEvent.seq)))).all()
        return [(r.subject, json.loads(r.payload)["data"]) for r in rows]

    return events
