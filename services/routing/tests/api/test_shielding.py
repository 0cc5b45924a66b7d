"""Conflict-of-interest shielding on every path: an accusation never reaches, is never copied to,
and is never visible to the accused unit or a unit under its leadership."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from xinfang.common.auth import Role
from xinfang.common.events import AccusedRef, AssignmentAccepted, PetitionReceived
from xinfang.routing.bootstrap import Routing
from xinfang.routing.domain.shielding import ConflictOfInterest, shield_for
from xinfang.routing.handlers.feed import emit

Bearer = Callable[..., dict[str, str]]
Route = Callable[[PetitionReceived], Awaitable[None]]
Outbox = Callable[[str], Awaitable[list[tuple[str, dict[str, Any]]]]]
BASE = "/api/v1/workbench/assignments"
SHIELDED_D01 = ("D01_GOV", "D01_HOUSING", "D01_PETITION", "S01001_OFFICE", "S01002_OFFICE")


def accusation(
    a_petition: Callable[..., PetitionReceived], accused: str, **kw: Any
) -> PetitionReceived:
    fields = {
        "region_code": "369901001",
        "category_code": "140401",
        "matter_type": "accusation",
        "accused": AccusedRef(department_code=accused, unit_name="被检举单位"),
    }
    return a_petition(**(fields | kw))


async def never_reached(outbox_of: Outbox, case_no: str, *codes: str) -> bool:
    subjects = [s for s, _ in await outbox_of(case_no)]
    return bool(subjects) and not any(s.endswith(f".{c}") for s in subjects for c in codes)


async def test_routing_sends_an_accusation_up_past_the_accused_unit_and_all_it_leads(
    client: httpx.AsyncClient,
    route: Route,
    a_petition: Callable[..., PetitionReceived],
    bearer: Bearer,
    outbox_of: Outbox,
) -> None:
    petition = accusation(a_petition, "D01_GOV")

    await route(petition)

    body = (
        await client.get(f"/api/v1/assignments/{petition.case_no}", headers=bearer(Role.SUPERVISOR))
    ).json()
    assert (body["department_code"], body["co_handlers"]) == ("C_DISCIPLINE", ["C_URBAN"])
    assert "回避" in body["reason"]
    assert await never_reached(outbox_of, petition.case_no, *SHIELDED_D01)
    subjects = [s for s, _ in await outbox_of(petition.case_no)]
    assert "xinfang.assignment.co_handling_requested.C_URBAN" in subjects


async def test_the_accused_unit_and_its_subordinates_never_list_nor_read_the_case(
    client: httpx.AsyncClient,
    route: Route,
    a_petition: Callable[..., PetitionReceived],
    bearer: Bearer,
) -> None:
    petition = accusation(a_petition, "D01_GOV")
    await route(petition)

    for code in SHIELDED_D01:
        me = bearer(Role.HANDLER, department=code)
        listed = (await client.get(BASE, headers=me)).json()
        assert petition.case_no not in [a["case_no"] for a in listed], code
        assert (await client.get(f"{BASE}/{petition.case_no}", headers=me)).status_code == 404, code
        assert (
            await client.get(f"/api/v1/assignments/{petition.case_no}", headers=me)
        ).status_code == 404


async def test_a_co_handler_shielded_by_the_rules_is_replaced_one_level_up(
    client: httpx.AsyncClient,
    route: Route,
    a_petition: Callable[..., PetitionReceived],
    bearer: Bearer,
    outbox_of: Outbox,
) -> None:
    petition = accusation(a_petition, "D01_HOUSING", region_code="369901", category_code="140201")

    await route(petition)

    body = (
        await client.get(f"/api/v1/assignments/{petition.case_no}", headers=bearer(Role.SUPERVISOR))
    ).json()
    assert body["co_handlers"] == ["D01_GOV"]  # the accused bureau's leading unit
    assert await never_reached(outbox_of, petition.case_no, "D01_HOUSING")


async def test_a_transfer_to_the_accused_unit_or_a_unit_it_leads_is_refused(
    client: httpx.AsyncClient,
    route: Route,
    a_petition: Callable[..., PetitionReceived],
    bearer: Bearer,
    outbox_of: Outbox,
) -> None:
    petition = accusation(a_petition, "D01_GOV")
    await route(petition)
    discipline = bearer(Role.HANDLER, department="C_DISCIPLINE")

    for target in ("D01_GOV", "S01001_OFFICE"):
        response = await client.post(
            f"{BASE}/{petition.case_no}/transfer",
            json={"department_code": target, "reason": "转交"},
            headers=discipline,
        )
        assert (response.status_code, response.json()["errors"][0]["code"]) == (
            409,
            "conflict_of_interest",
        )
    assert await never_reached(outbox_of, petition.case_no, *SHIELDED_D01)


async def test_a_clerk_cannot_assign_or_copy_a_queued_accusation_to_the_accused(
    client: httpx.AsyncClient,
    route: Route,
    a_petition: Callable[..., PetitionReceived],
    bearer: Bearer,
) -> None:
    petition = accusation(a_petition, "C_DISCIPLINE", category_code="040100", region_code="369902")
    await route(petition)
    path = f"/api/v1/triage/{petition.case_no}/assign"

    as_lead = await client.post(
        path, json={"department_code": "C_DISCIPLINE", "reason": "指定"}, headers=bearer(Role.CLERK)
    )
    as_copy = await client.post(
        path,
        json={"department_code": "C_GOV", "co_handlers": ["C_DISCIPLINE"], "reason": "指定"},
        headers=bearer(Role.CLERK),
    )

    queue = (await client.get("/api/v1/triage", headers=bearer(Role.CLERK))).json()
    assert petition.case_no in [
        a["case_no"] for a in queue
    ]  # no discipline body above: a clerk decides
    assert as_lead.status_code == as_copy.status_code == 409


async def test_re_routing_after_an_objection_still_shields_the_accused(
    client: httpx.AsyncClient,
    route: Route,
    a_petition: Callable[..., PetitionReceived],
    bearer: Bearer,
    outbox_of: Outbox,
) -> None:
    district_discipline = {
        "name": "江城区纪委监委",
        "level": "district",
        "kind": "discipline",
        "regions": ["369901"],
        "categories": ["040000"],
        "note": "区纪委监委接入",
    }
    await client.put(
        "/api/v1/admin/departments/D01_DISCIPLINE",
        json=district_discipline,
        headers=bearer(Role.ADMIN),
    )
    petition = accusation(a_petition, "D01_HOUSING", region_code="369901", category_code="140201")
    await route(petition)

    response = await client.post(
        f"{BASE}/{petition.case_no}/object",
        json={"reason": "被检举人属市管干部"},
        headers=bearer(Role.HANDLER, department="D01_DISCIPLINE"),
    )

    assert (response.json()["department_code"], response.json()["co_handlers"]) == (
        "C_DISCIPLINE",
        ["D01_GOV"],
    )
    assert await never_reached(outbox_of, petition.case_no, "D01_HOUSING")


async def test_the_feed_refuses_any_event_addressed_to_a_shielded_unit(routing: Routing) -> None:
    async with routing.db.reading() as session:
        directory = await routing.store.current(session)
    shield = shield_for(directory, accused="D01_GOV", accusation=True)
    event = AssignmentAccepted(
        case_no="XF1", department_code="S01002_OFFICE", accepted_at=routing.clock.now()
    )

    with pytest.raises(ConflictOfInterest):
        async with routing.db.transaction() as session:
            await emit(session, event, source="/t", now=routing.clock.now(), shield=shield)
