"""Department feeds on a real nats-server: each rule kind lands on its department's subject; a
department's own durable consumer, filtered on its code, sees its cases and every workbench
action in order; the accused unit's consumer never sees the accusation."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import nats
import pytest
from fastapi import FastAPI
from nats.aio.client import Client
from nats.js.api import AckPolicy, ConsumerConfig

from xinfang.common.auth import Role
from xinfang.common.clock import ManualClock
from xinfang.common.events import AccusedRef, Envelope, PetitionFlags, PetitionReceived
from xinfang.common.testing.builders import eventually
from xinfang.routing.main import create_app
from xinfang.routing.settings import RoutingSettings

Bearer = Callable[..., dict[str, str]]
BASE = "/api/v1/workbench/assignments"


@pytest.fixture
async def api(
    settings: RoutingSettings, nats_url: str, clock: ManualClock
) -> AsyncIterator[httpx.AsyncClient]:
    """Routing with its consumer and relay running against the session's nats-server."""
    live = settings.model_copy(
        update={"nats_url": nats_url, "start_background": True, "webhooks_enabled": False}
    )
    app: FastAPI = create_app(live, clock=clock)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:

            async def ready() -> bool:
                return (await client.get("/readyz")).status_code == 200

            await eventually(ready, within=15)
            yield client


@pytest.fixture
async def nc(nats_url: str) -> AsyncIterator[Client]:
    client = await nats.connect(nats_url)
    yield client
    await client.close()


class DepartmentFeed:
    """A department's own durable pull consumer on `xinfang.*.*.<code>`, as the README shows."""

    def __init__(self, nc: Client, code: str) -> None:
        self.js, self.code = nc.jetstream(), code
        self.durable = f"dept-{code.lower()}-{secrets.token_hex(3)}"
        self.seen: list[tuple[str, Envelope]] = []

    async def start(self) -> None:
        config = ConsumerConfig(
            durable_name=self.durable,
            filter_subject=f"xinfang.*.*.{self.code}",
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy="new",  # type: ignore[arg-type]
        )
        await self.js.add_consumer("XINFANG", config)
        self.sub = await self.js.pull_subscribe_bind(self.durable, stream="XINFANG")

    async def drain(self) -> list[tuple[str, Envelope]]:
        try:
            for msg in await self.sub.fetch(batch=100, timeout=0.3):
                self.seen.append((msg.subject, Envelope.model_validate_json(msg.data)))
                await msg.ack()
        except (TimeoutError, nats.errors.TimeoutError):
            pass
        return self.seen

    def types_of(self, case_no: str) -> list[str]:
        return [e.type for _, e in self.seen if e.subject == case_no]


async def feed(nc: Client, code: str) -> DepartmentFeed:
    department = DepartmentFeed(nc, code)
    await department.start()
    return department


async def publish(
    nc: Client, petition: PetitionReceived, envelope_of: Callable[..., Envelope]
) -> None:
    envelope = envelope_of(petition)
    await nc.jetstream().publish(
        "xinfang.petition.received",
        envelope.model_dump_json().encode(),
        headers={"Nats-Msg-Id": envelope.id},
    )


RULE_KINDS: list[tuple[str, dict[str, Any], str, str]] = [
    (
        "locality",
        {"region_code": "369901001", "category_code": "140401"},
        "S01001_OFFICE",
        "locality:369901001",
    ),
    (
        "city table",
        {"region_code": "369902", "category_code": "170300"},
        "C_PSB",
        "category:170300",
    ),
    (
        "court-related",
        {"category_code": "170100", "flags": PetitionFlags(court_related=True)},
        "C_POLITICS_LAW",
        "flag:court_related",
    ),
    (
        "accusation",
        {"category_code": "040100", "matter_type": "accusation"},
        "C_DISCIPLINE",
        "matter:accusation",
    ),
]


@pytest.mark.parametrize(
    ("kind", "fields", "department", "rule"), RULE_KINDS, ids=[k[0] for k in RULE_KINDS]
)
async def test_each_rule_kind_routes_to_its_department_subject(
    api: httpx.AsyncClient,
    nc: Client,
    a_petition: Callable[..., PetitionReceived],
    envelope_of: Callable[..., Envelope],
    kind: str,
    fields: dict[str, Any],
    department: str,
    rule: str,
) -> None:
    department_feed = await feed(nc, department)
    petition = a_petition(**fields)

    await publish(nc, petition, envelope_of)

    async def routed() -> list[str]:
        await department_feed.drain()
        return department_feed.types_of(petition.case_no)

    assert await eventually(routed) == ["xinfang.petition.routed.v1"]
    [(subject, envelope)] = [s for s in department_feed.seen if s[1].subject == petition.case_no]
    assert subject == f"xinfang.petition.routed.{department}"
    assert envelope.data["rule"] == rule and envelope.data["reason"]


async def test_a_department_consumes_its_case_and_each_workbench_action_in_order(
    api: httpx.AsyncClient,
    nc: Client,
    a_petition: Callable[..., PetitionReceived],
    envelope_of: Callable[..., Envelope],
    bearer: Bearer,
) -> None:
    urban = await feed(nc, "C_URBAN")
    petition = a_petition()
    me = bearer(Role.HANDLER, department="C_URBAN")
    await publish(nc, petition, envelope_of)
    await eventually(lambda: _status(api, petition.case_no, me))

    await api.post(f"{BASE}/{petition.case_no}/accept", headers=me)
    await api.post(
        f"{BASE}/{petition.case_no}/extension",
        json={"days": 10, "reason": "需现场勘验"},
        headers=me,
    )
    await api.post(
        f"/api/v1/extensions/{petition.case_no}/decision",
        json={"approved": False, "reason": "不符合延期条件"},
        headers=bearer(Role.SUPERVISOR),
    )
    answer = {
        "request": "拆除",
        "facts_and_reasons": "已拆除",
        "outcome": "supported",
        "legal_basis": "城乡规划法",
    }
    await api.post(f"{BASE}/{petition.case_no}/answer", json=answer, headers=me)

    expected = [
        "xinfang.petition.routed.v1",
        "xinfang.assignment.accepted.v1",
        "xinfang.assignment.extension_requested.v1",
        "xinfang.assignment.extension_decided.v1",
        "xinfang.case.answered.v1",
    ]

    async def all_arrived() -> bool:
        await urban.drain()
        return urban.types_of(petition.case_no) == expected

    assert await eventually(all_arrived)


async def _status(api: httpx.AsyncClient, case_no: str, headers: dict[str, str]) -> bool:
    return (await api.get(f"{BASE}/{case_no}", headers=headers)).status_code == 200


async def test_the_accused_units_own_consumer_never_sees_the_accusation(
    api: httpx.AsyncClient,
    nc: Client,
    a_petition: Callable[..., PetitionReceived],
    envelope_of: Callable[..., Envelope],
) -> None:
    accused = await feed(nc, "D01_HOUSING")
    leader = await feed(nc, "D01_GOV")
    discipline = await feed(nc, "C_DISCIPLINE")
    petition = a_petition(
        region_code="369901",
        category_code="140201",
        matter_type="accusation",
        accused=AccusedRef(department_code="D01_HOUSING"),
    )
    control = a_petition(region_code="369901", category_code="140201")

    await publish(nc, petition, envelope_of)
    await publish(nc, control, envelope_of)

    async def control_arrived() -> list[str]:
        await accused.drain()
        return accused.types_of(control.case_no)

    await eventually(control_arrived)  # later than the accusation: had it come, it would be here
    await leader.drain()
    await discipline.drain()
    assert accused.types_of(petition.case_no) == []
    assert leader.types_of(petition.case_no) == ["xinfang.assignment.co_handling_requested.v1"]
    assert discipline.types_of(petition.case_no) == ["xinfang.petition.routed.v1"]
