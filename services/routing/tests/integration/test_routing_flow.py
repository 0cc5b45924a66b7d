"""Routing end to end on a real nats-server: `petition.received` in, the assignment stored once,
`petition.routed.<DEPT>` out once, poison kept aside."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

import httpx
import nats
import pytest
from nats.aio.client import Client
from nats.aio.msg import Msg

from xinfang.common.auth import Role
from xinfang.common.events import Envelope, PetitionReceived
from xinfang.routing.settings import RoutingSettings

T = TypeVar("T")
RECEIVED = "xinfang.petition.received"
WAIT_SECONDS = 15.0


async def eventually(probe: Callable[[], Awaitable[T]]) -> T:
    """`probe()` once it is truthy; TimeoutError if it is not within WAIT_SECONDS."""
    async with asyncio.timeout(WAIT_SECONDS):
        while True:
            if value := await probe():
                return value
            await asyncio.sleep(0.05)


@pytest.fixture
def settings(settings: RoutingSettings, nats_url: str) -> RoutingSettings:
    """The database-only settings, now with NATS: consumers and the relay run."""
    return settings.model_copy(update={"nats_url": nats_url, "start_background": True})


@pytest.fixture
async def api(client: httpx.AsyncClient) -> httpx.AsyncClient:
    """The HTTP client once the app is ready: NATS connected, stream and consumer provisioned."""

    async def ready() -> bool:
        return (await client.get("/readyz")).status_code == 200

    await eventually(ready)
    return client


@pytest.fixture
async def nc(nats_url: str) -> AsyncIterator[Client]:
    client = await nats.connect(nats_url)
    yield client
    await client.close()


class RoutedFeed:
    """Every `petition.routed` event seen on the server since the test subscribed."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, Envelope]] = []

    async def on_message(self, msg: Msg) -> None:
        self.seen.append((msg.subject, Envelope.model_validate_json(msg.data)))

    def of(self, case_no: str) -> list[tuple[str, Envelope]]:
        return [(subject, env) for subject, env in self.seen if env.subject == case_no]

    async def first_of(self, case_no: str) -> tuple[str, Envelope]:
        async def arrived() -> list[tuple[str, Envelope]]:
            return self.of(case_no)

        return (await eventually(arrived))[0]


@pytest.fixture
async def routed(nc: Client) -> AsyncIterator[RoutedFeed]:
    feed = RoutedFeed()
    subscription = await nc.subscribe("xinfang.petition.routed.>", cb=feed.on_message)
    triaged = await nc.subscribe("xinfang.petition.triaged", cb=feed.on_message)
    yield feed
    await subscription.unsubscribe()
    await triaged.unsubscribe()


async def publish(nc: Client, envelope: Envelope) -> Any:
    """Publish as intake's relay does: the envelope as JSON, its id as `Nats-Msg-Id`."""
    payload = envelope.model_dump_json().encode()
    return await nc.jetstream().publish(RECEIVED, payload, headers={"Nats-Msg-Id": envelope.id})


async def test_a_received_petition_is_routed_once_on_its_departments_subject(
    api: httpx.AsyncClient,
    nc: Client,
    routed: RoutedFeed,
    a_petition: Callable[..., PetitionReceived],
    envelope_of: Callable[[PetitionReceived], Envelope],
    bearer: Callable[..., dict[str, str]],
) -> None:
    petition = a_petition(category_code="140401")
    envelope = envelope_of(petition)

    await publish(nc, envelope)
    subject, event = await routed.first_of(petition.case_no)

    assert subject == "xinfang.petition.routed.C_URBAN"
    assert event.type == "xinfang.petition.routed.v1"
    assert event.data["department_code"] == "C_URBAN"
    assert event.data["rule"] == "category:140400"
    response = await api.get(
        f"/api/v1/assignments/{petition.case_no}", headers=bearer(Role.SUPERVISOR)
    )
    assert response.status_code == 200
    assert response.json()["department_name"] == "江宁市城市管理局"
    assert response.json()["reason"] == event.data["reason"]

    again = await publish(nc, envelope)
    await publish(nc, envelope_of(petition.model_copy(update={"category_code": "060101"})))
    # Events are applied and published in order: once a later case is out, so is any echo.
    later = a_petition()
    await publish(nc, envelope_of(later))
    await routed.first_of(later.case_no)

    assert again.duplicate
    assert [s for s, _ in routed.of(petition.case_no)] == ["xinfang.petition.routed.C_URBAN"]
    response = await api.get(
        f"/api/v1/assignments/{petition.case_no}", headers=bearer(Role.SUPERVISOR)
    )
    assert response.json()["department_code"] == "C_URBAN"


async def test_the_assignment_is_read_by_its_department_and_hidden_from_another(
    api: httpx.AsyncClient,
    nc: Client,
    routed: RoutedFeed,
    a_petition: Callable[..., PetitionReceived],
    envelope_of: Callable[[PetitionReceived], Envelope],
    bearer: Callable[..., dict[str, str]],
) -> None:
    petition = a_petition(category_code="170200")
    await publish(nc, envelope_of(petition))
    await routed.first_of(petition.case_no)
    path = f"/api/v1/assignments/{petition.case_no}"

    own = await api.get(path, headers=bearer(Role.HANDLER, department="C_PROCURATORATE"))
    other = await api.get(path, headers=bearer(Role.HANDLER, department="C_COURT"))

    assert own.status_code == 200
    assert own.json()["rule"] == "category:170200"
    assert other.status_code == 404
    assert other.json()["errors"][0]["code"] == "not_found"


async def test_a_petition_no_rule_covers_is_announced_as_triaged_for_the_clerks(
    api: httpx.AsyncClient,
    nc: Client,
    routed: RoutedFeed,
    a_petition: Callable[..., PetitionReceived],
    envelope_of: Callable[[PetitionReceived], Envelope],
) -> None:
    petition = a_petition(category_code="180000")

    await publish(nc, envelope_of(petition))
    subject, event = await routed.first_of(petition.case_no)

    assert subject == "xinfang.petition.triaged"
    assert event.type == "xinfang.petition.triaged.v1"
    assert "没有匹配的转送规则" in event.data["reason"]


async def test_a_malformed_message_is_dead_lettered_and_later_petitions_are_still_routed(
    api: httpx.AsyncClient,
    nc: Client,
    routed: RoutedFeed,
    a_petition: Callable[..., PetitionReceived],
    envelope_of: Callable[[PetitionReceived], Envelope],
    bearer: Callable[..., dict[str, str]],
) -> None:
    poison_id = f"poison-{secrets.token_hex(6)}"
    await nc.jetstream().publish(RECEIVED, b"not json", headers={"Nats-Msg-Id": poison_id})
    petition = a_petition()

    await publish(nc, envelope_of(petition))
    subject, _ = await routed.first_of(petition.case_no)

    assert subject == "xinfang.petition.routed.C_URBAN"
    response = await api.get("/api/v1/dead-letters", headers=bearer(Role.OPERATOR))
    assert response.status_code == 200
    [letter] = [d for d in response.json() if d["event_id"] == poison_id]
    assert letter["consumer"] == "routing-petitions"
    assert letter["subject"] == RECEIVED
    assert letter["payload"] == "not json"
    assert letter["error"]
