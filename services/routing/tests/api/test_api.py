"""The HTTP API: the public directory, and assignments behind a bearer token."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx

from xinfang.common.auth import Role
from xinfang.common.events import PetitionReceived

Bearer = Callable[..., dict[str, str]]
Route = Callable[[PetitionReceived], Awaitable[None]]


async def test_the_department_directory_is_public_with_codes_names_levels_kinds_and_parents(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/api/v1/departments")

    assert response.status_code == 200
    by_code = {d["code"]: d for d in response.json()}
    assert by_code["C_URBAN"] == {
        "code": "C_URBAN",
        "name": "江宁市城市管理局",
        "level": "city",
        "kind": "government",
        "parent": "C_GOV",
    }
    assert by_code["C_PETITION"]["kind"] == "petition_bureau"
    assert by_code["C_COURT"]["parent"] is None


async def test_a_supervisor_reads_where_a_petition_went_by_which_rule_why_and_when(
    client: httpx.AsyncClient,
    route: Route,
    a_petition: Callable[..., PetitionReceived],
    bearer: Bearer,
) -> None:
    petition = a_petition(category_code="140401")
    await route(petition)

    response = await client.get(
        f"/api/v1/assignments/{petition.case_no}", headers=bearer(Role.SUPERVISOR)
    )

    assert response.status_code == 200
    assert response.json() == {
        "case_no": petition.case_no,
        "status": "assigned",
        "department_code": "C_URBAN",
        "department_name": "江宁市城市管理局",
        "co_handlers": [],
        "mode": "forward",
        "rule": "category:140400",
        "reason": "内容分类「城乡建设/城市建设和市政管理/违法建设」"
        "属于「城乡建设/城市建设和市政管理」，由江宁市城市管理局主管",
        "category_code": "140401",
        "region_code": "369900",
        "matter_type": "appeal",
        "received_at": "2026-03-02T01:30:00Z",
        "route_due_on": "2026-03-17",
        "routed_at": "2026-03-02T01:30:00Z",
        "object_due_on": "2026-03-09",
        "report_due_on": None,
        "accepted_at": None,
        "answer_due_on": None,
        "extension_status": None,
        "extension_days": None,
        "outcome": None,
        "misroutes": 0,
    }


async def test_clerks_leaders_operators_and_admins_read_any_assignment(
    client: httpx.AsyncClient,
    route: Route,
    a_petition: Callable[..., PetitionReceived],
    bearer: Bearer,
) -> None:
    petition = a_petition()
    await route(petition)

    for role in (Role.CLERK, Role.LEADER, Role.OPERATOR, Role.ADMIN):
        response = await client.get(f"/api/v1/assignments/{petition.case_no}", headers=bearer(role))
        assert response.status_code == 200, role


async def test_a_handler_reads_the_assignments_of_its_own_department(
    client: httpx.AsyncClient,
    route: Route,
    a_petition: Callable[..., PetitionReceived],
    bearer: Bearer,
) -> None:
    petition = a_petition(category_code="060101")
    await route(petition)

    response = await client.get(
        f"/api/v1/assignments/{petition.case_no}",
        headers=bearer(Role.HANDLER, department="C_HRSS"),
    )

    assert response.status_code == 200
    assert response.json()["department_code"] == "C_HRSS"


async def test_a_handler_of_another_department_gets_the_same_404_as_for_an_unknown_case(
    client: httpx.AsyncClient,
    route: Route,
    a_petition: Callable[..., PetitionReceived],
    bearer: Bearer,
) -> None:
    petition = a_petition(category_code="060101")
    await route(petition)
    headers = bearer(Role.HANDLER, department="C_HOUSING")

    other = await client.get(f"/api/v1/assignments/{petition.case_no}", headers=headers)
    unknown = await client.get("/api/v1/assignments/XF20260302999999", headers=headers)

    assert other.status_code == unknown.status_code == 404
    assert other.json() == unknown.json()
    assert other.json()["errors"][0]["code"] == "not_found"
    assert other.json()["errors"][0]["message"]["zh"] == "未找到该信访件的转送记录"


async def test_a_handler_without_a_department_sees_no_assignment(
    client: httpx.AsyncClient,
    route: Route,
    a_petition: Callable[..., PetitionReceived],
    bearer: Bearer,
) -> None:
    petition = a_petition()
    await route(petition)

    response = await client.get(
        f"/api/v1/assignments/{petition.case_no}", headers=bearer(Role.HANDLER)
    )

    assert response.status_code == 404


async def test_a_petitioner_is_forbidden_and_a_caller_without_a_token_unauthorised(
    client: httpx.AsyncClient,
    route: Route,
    a_petition: Callable[..., PetitionReceived],
    bearer: Bearer,
) -> None:
    petition = a_petition()
    await route(petition)
    path = f"/api/v1/assignments/{petition.case_no}"

    forbidden = await client.get(path, headers=bearer(Role.PETITIONER))
    anonymous = await client.get(path)
    forged = await client.get(path, headers={"Authorization": "Bearer not-a-token"})

    assert forbidden.status_code == 403
    assert forbidden.json()["errors"][0]["code"] == "forbidden"
    assert anonymous.status_code == forged.status_code == 401
    assert anonymous.json()["errors"][0]["field"] == "Authorization"


async def test_the_routes_are_described_in_openapi_with_the_one_error_shape(
    client: httpx.AsyncClient,
) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]

    assignment = paths["/api/v1/assignments/{case_no}"]["get"]
    assert "a department handler only its own" in assignment["description"]
    assert assignment["responses"]["404"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorBody"
    }
    assert "xinfang.petition.routed.<code>" in paths["/api/v1/departments"]["get"]["description"]
