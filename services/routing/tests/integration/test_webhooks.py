"""Signed webhooks against a real local HTTP receiver: signatures verify, failures are retried
with exponential back-off under the same replay-safe id, and shielded units get nothing."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI, Request, Response

from xinfang.common.auth import Role
from xinfang.common.clock import ManualClock
from xinfang.common.events import AccusedRef, Envelope, PetitionReceived
from xinfang.common.testing.live import serving
from xinfang.routing.bootstrap import Routing
from xinfang.routing.models import WebhookDelivery, WebhookEndpoint
from xinfang.routing.webhooks import WebhookWorker

Bearer = Callable[..., dict[str, str]]
Route = Callable[[PetitionReceived], Awaitable[None]]
SECRET = "a-department-shared-secret-0123456789"


@dataclass
class Receiver:
    """A department's HTTP endpoint: verifies each signature the documented way, fails on demand."""

    url: str = ""
    failures_left: int = 0
    attempts: list[tuple[str, bool, Envelope]] = field(default_factory=list)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/hook")
        async def hook(request: Request) -> Response:
            body = await request.body()
            timestamp = request.headers["X-Xinfang-Webhook-Timestamp"]
            expected = hmac.new(SECRET.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
            valid = hmac.compare_digest(
                f"v1={expected.hexdigest()}", request.headers["X-Xinfang-Webhook-Signature"]
            )
            envelope = Envelope.model_validate_json(body)
            self.attempts.append((request.headers["X-Xinfang-Webhook-Id"], valid, envelope))
            if self.failures_left > 0:
                self.failures_left -= 1
                return Response(status_code=503)
            return Response(status_code=204 if valid else 401)

        return app


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    receiver = Receiver()
    async with serving(receiver.app()) as base_url:
        receiver.url = f"{base_url}/hook"
        yield receiver


async def subscribe(client: httpx.AsyncClient, bearer: Bearer, code: str, url: str) -> None:
    response = await client.put(
        f"/api/v1/admin/departments/{code}/webhook",
        json={"url": url, "secret": SECRET},
        headers=bearer(Role.ADMIN),
    )
    assert response.status_code == 200 and "secret" not in response.json()


async def delivery(routing: Routing, event_id: str) -> WebhookDelivery | None:
    async with routing.db.reading() as session:
        return await session.get(WebhookDelivery, event_id)


async def test_a_failing_receiver_gets_the_signed_event_again_with_back_off_until_it_accepts(
    client: httpx.AsyncClient,
    routing: Routing,
    route: Route,
    a_petition: Callable[..., PetitionReceived],
    bearer: Bearer,
    receiver: Receiver,
    clock: ManualClock,
) -> None:
    await subscribe(client, bearer, "C_URBAN", receiver.url)
    receiver.failures_left = 2
    petition = a_petition()
    await route(petition)
    worker = WebhookWorker(routing)

    async with httpx.AsyncClient() as http:
        assert await worker.deliver_due(http) == 1
        assert await worker.deliver_due(http) == 0  # not due before its back-off
        clock.advance(timedelta(seconds=5))
        assert await worker.deliver_due(http) == 1
        clock.advance(timedelta(seconds=9))
        assert await worker.deliver_due(http) == 0  # the second back-off is 10 s
        clock.advance(timedelta(seconds=1))
        assert await worker.deliver_due(http) == 1

    ids = {event_id for event_id, _, _ in receiver.attempts}
    assert len(receiver.attempts) == 3 and len(ids) == 1  # one replay-safe id on every retry
    assert all(valid for _, valid, _ in receiver.attempts)
    envelope = receiver.attempts[-1][2]
    assert (envelope.type, envelope.subject) == ("xinfang.petition.routed.v1", petition.case_no)
    assert envelope.id in ids
    row = await delivery(routing, envelope.id)
    assert row is not None and (row.status, row.attempts) == ("delivered", 3)
    async with routing.db.reading() as session:
        endpoint = await session.get(WebhookEndpoint, "C_URBAN")
    assert endpoint is not None and SECRET not in endpoint.secret  # sealed at rest


async def test_a_wrong_secret_fails_verification_and_the_delivery_is_retried(
    client: httpx.AsyncClient,
    routing: Routing,
    route: Route,
    a_petition: Callable[..., PetitionReceived],
    bearer: Bearer,
    receiver: Receiver,
) -> None:
    await client.put(
        "/api/v1/admin/departments/C_URBAN/webhook",
        json={"url": receiver.url, "secret": "not-the-shared-secret-at-all"},
        headers=bearer(Role.ADMIN),
    )
    await route(a_petition())

    async with httpx.AsyncClient() as http:
        await WebhookWorker(routing).deliver_due(http)

    [(event_id, valid, _)] = receiver.attempts
    row = await delivery(routing, event_id)
    assert not valid
    assert row is not None and (row.status, row.last_error) == ("pending", "HTTP 401")


async def test_the_accused_units_webhook_never_receives_the_accusation(
    client: httpx.AsyncClient,
    routing: Routing,
    route: Route,
    a_petition: Callable[..., PetitionReceived],
    bearer: Bearer,
    receiver: Receiver,
) -> None:
    for code in ("D01_HOUSING", "D01_GOV", "C_DISCIPLINE"):
        await subscribe(client, bearer, code, receiver.url)
    petition = a_petition(
        region_code="369901",
        category_code="140201",
        matter_type="accusation",
        accused=AccusedRef(department_code="D01_HOUSING"),
    )
    await route(petition)

    async with httpx.AsyncClient() as http:
        await WebhookWorker(routing).deliver_due(http)

    seen = sorted(e.data["department_code"] for _, _, e in receiver.attempts)
    assert seen == ["C_DISCIPLINE", "D01_GOV"]  # the lead and the lifted co-handler only
