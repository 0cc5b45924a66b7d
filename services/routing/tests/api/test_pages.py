"""The server-rendered pages without a browser: signed in by cookie, scoped like the API,
Chinese by default and English on request, forms that post and redirect."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx

from xinfang.common.auth import Role
from xinfang.common.events import AccusedRef, PetitionReceived

Bearer = Callable[..., dict[str, str]]
Route = Callable[[PetitionReceived], Awaitable[None]]


def signed_in(client: httpx.AsyncClient, headers: dict[str, str]) -> httpx.AsyncClient:
    token = headers["Authorization"].removeprefix("Bearer ")
    client.cookies.set("xinfang_routing_token", token)
    return client


async def test_the_sign_in_form_sets_the_cookie_and_leads_to_the_workbench(
    client: httpx.AsyncClient, bearer: Bearer
) -> None:
    form = await client.get("/signin")
    token = bearer(Role.HANDLER, department="C_URBAN")["Authorization"].removeprefix("Bearer ")

    response = await client.post("/signin", data={"token": token, "next": "/workbench"})

    assert '<html lang="zh-CN">' in form.text and '<label for="token">' in form.text
    assert (response.status_code, response.headers["location"]) == (303, "/workbench")
    assert "httponly" in response.headers["set-cookie"].lower()


async def test_a_page_without_sign_in_redirects_to_the_sign_in_form(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/workbench")

    assert (response.status_code, response.headers["location"]) == (303, "/signin")


async def test_the_workbench_page_lists_only_the_departments_cases_never_a_shielded_one(
    client: httpx.AsyncClient,
    route: Route,
    a_petition: Callable[..., PetitionReceived],
    bearer: Bearer,
) -> None:
    mine = a_petition(region_code="369901", category_code="140201")
    accusation = a_petition(
        region_code="369901",
        category_code="140201",
        matter_type="accusation",
        accused=AccusedRef(department_code="D01_HOUSING"),
    )
    for petition in (mine, accusation):
        await route(petition)
    signed_in(client, bearer(Role.HANDLER, department="D01_HOUSING"))

    page = await client.get("/workbench")
    english = await client.get("/workbench?lang=en")
    hidden = await client.get(f"/workbench/{accusation.case_no}")

    assert mine.case_no in page.text and accusation.case_no not in page.text
    assert "承办单位工作台" in page.text
    assert '<html lang="en">' in english.text and "Department workbench" in english.text
    assert hidden.status_code == 404


async def test_a_clerk_sees_the_queue_with_deadlines_and_assigns_from_the_page(
    client: httpx.AsyncClient,
    route: Route,
    a_petition: Callable[..., PetitionReceived],
    bearer: Bearer,
) -> None:
    petition = a_petition(category_code="990000")
    await route(petition)
    signed_in(client, bearer(Role.CLERK))

    page = await client.get("/triage")
    posted = await client.post(
        f"/triage/{petition.case_no}/assign",
        data={"department_code": "C_CIVIL", "reason": "民政事项"},
    )
    after = await client.get(f"/api/v1/assignments/{petition.case_no}", headers=bearer(Role.CLERK))

    assert petition.case_no in page.text and "2026-03-17" in page.text
    assert posted.status_code == 303
    assert (after.json()["department_code"], after.json()["reason"]) == (
        "C_CIVIL",
        "分流员指定：民政事项",
    )


async def test_a_workbench_form_with_too_many_fields_is_refused_with_400_and_changes_nothing(
    client: httpx.AsyncClient,
    route: Route,
    a_petition: Callable[..., PetitionReceived],
    bearer: Bearer,
) -> None:
    petition = a_petition(region_code="369901", category_code="140201")
    await route(petition)
    signed_in(client, bearer(Role.HANDLER, department="D01_HOUSING"))
    flood = {f"f{n}": "x" for n in range(500)}  # over the app's MAX_FORM_FIELDS (200)

    refused = await client.post(f"/workbench/{petition.case_no}/accept", data=flood)
    page = await client.get(f"/workbench/{petition.case_no}")
    accepted = await client.post(f"/workbench/{petition.case_no}/accept", data={})

    [error] = refused.json()["errors"]
    assert (refused.status_code, error["code"], error["field"]) == (400, "form_too_large", "body")
    assert page.status_code == 200
    assert accepted.status_code == 303
