"""Schemathesis against routing's OpenAPI, with every role's token (the handler of the department
a placed petition went to) and that petition's case number among the values tried."""

from collections.abc import Callable
from typing import Any

from xinfang.common.events import Envelope, PetitionReceived
from xinfang.common.testing.fuzz import Fuzzing
from xinfang.routing.bootstrap import Routing
from xinfang.routing.handlers.placing import on_petition_received
from xinfang.routing.main import create_app
from xinfang.routing.settings import RoutingSettings

DEPARTMENT = "C_URBAN"  # where the builder's petition (an illegal building in the city) goes


async def place(routing: Routing, event: PetitionReceived, envelope: Envelope) -> None:
    async with routing.db.transaction() as session:
        await on_petition_received(session, event, envelope, routing=routing)


def test_every_operation_answers_every_role_within_its_documented_schema(
    database_url: str,
    nats_url: str,
    a_petition: Callable[..., PetitionReceived],
    envelope_of: Callable[[Any], Envelope],
) -> None:
    settings = RoutingSettings(
        database_url=database_url,
        nats_url=nats_url,
        environment="test",
        webhooks_enabled=False,  # fuzzed webhook URLs are never called
    )
    petition = a_petition()
    with Fuzzing(create_app(settings)) as fuzz:
        fuzz.run(place, fuzz.app.state.routing, petition, envelope_of(petition))
        known = {"case_no": [petition.case_no], "code": [DEPARTMENT, "C_HRSS"]}
        failures = fuzz.every_operation(callers=fuzz.callers(department=DEPARTMENT), known=known)
    print(fuzz.summary())
    assert not failures, "\n\n".join(failures)
    assert fuzz.answered[("GET /api/v1/workbench/assignments/{case_no}", 200)] > 0
