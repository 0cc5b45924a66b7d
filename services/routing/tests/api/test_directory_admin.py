"""The directory's admin API: each change is a new version, old versions are kept, every change is
audited, and routing decides on the new version from then on."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from xinfang.common.auth import Role
from xinfang.common.events import PetitionReceived

Bearer = Callable[..., dict[str, str]]
Route = Callable[[PetitionReceived], Awaitable[None]]

DISTRICT_DISCIPLINE: dict[str, Any] = {
    "name": "江城区纪律检查委员会 江城区监察委员会",
    "level": "district",
    "kind": "discipline",
    "parent": None,
    "regions": ["369901"],
    "categories": ["040000"],
    "note": "区纪委监委接入平台",
}


async def test_the_demo_citys_departments_are_loaded_with_jurisdiction_and_categories(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/api/v1/departments/D01_HOUSING")

    assert response.status_code == 200
    body = response.json()
    assert (body["level"], body["kind"], body["parent"]) == ("district", "government", "D01_GOV")
    assert (body["regions"], body["categories"]) == (["369901"], ["140000"])
    assert (body["version"], body["changed_by"]) == (1, "reference-files")


async def test_an_admin_change_adds_a_version_keeps_the_old_one_and_is_audited(
    client: httpx.AsyncClient, bearer: Bearer
) -> None:
    change = {
        "name": "江城区住房和城乡建设局",
        "level": "district",
        "kind": "government",
        "parent": "D01_GOV",
        "regions": ["369901"],
        "categories": ["140000", "130000"],
        "note": "区住建局承接自然资源事项",
    }
    headers = bearer(Role.ADMIN)

    changed = await client.put(
        "/api/v1/admin/departments/D01_HOUSING", json=change, headers=headers
    )
    versions = await client.get("/api/v1/admin/departments/D01_HOUSING/versions", headers=headers)
    audit = await client.get("/api/v1/admin/audit/D01_HOUSING", headers=headers)

    assert changed.status_code == 200
    assert (changed.json()["version"], changed.json()["categories"]) == (2, ["140000", "130000"])
    assert [v["version"] for v in versions.json()] == [1, 2]
    assert versions.json()[0]["categories"] == ["140000"]
    assert versions.json()[1]["changed_by"] == "test-admin"
    [entry] = audit.json()
    assert (entry["actor"], entry["action"]) == ("test-admin", "directory.changed")
    assert "130000" in entry["detail_json"] and '"before"' in entry["detail_json"]


async def test_routing_uses_a_new_department_from_its_next_decision(
    client: httpx.AsyncClient,
    route: Route,
    a_petition: Callable[..., PetitionReceived],
    bearer: Bearer,
) -> None:
    before = a_petition(region_code="369901", category_code="040100", matter_type="accusation")
    await route(before)
    added = await client.put(
        "/api/v1/admin/departments/D01_DISCIPLINE",
        json=DISTRICT_DISCIPLINE,
        headers=bearer(Role.ADMIN),
    )
    after = a_petition(region_code="369901", category_code="040100", matter_type="accusation")
    await route(after)

    assert added.status_code == 200 and added.json()["version"] == 1
    supervisor = bearer(Role.SUPERVISOR)
    first = (await client.get(f"/api/v1/assignments/{before.case_no}", headers=supervisor)).json()
    second = (await client.get(f"/api/v1/assignments/{after.case_no}", headers=supervisor)).json()
    assert first["department_code"] == "C_DISCIPLINE"
    assert second["department_code"] == "D01_DISCIPLINE"


async def test_only_an_admin_changes_the_directory_and_bad_changes_store_nothing(
    client: httpx.AsyncClient, bearer: Bearer
) -> None:
    path = "/api/v1/admin/departments/D01_DISCIPLINE"
    as_clerk = await client.put(path, json=DISTRICT_DISCIPLINE, headers=bearer(Role.CLERK))
    no_parent = await client.put(
        path, json=DISTRICT_DISCIPLINE | {"parent": "NOPE"}, headers=bearer(Role.ADMIN)
    )
    bad_level = await client.put(
        path, json=DISTRICT_DISCIPLINE | {"level": "province"}, headers=bearer(Role.ADMIN)
    )
    retire_ruled = await client.put(
        "/api/v1/admin/departments/C_URBAN",
        json={
            "name": "江宁市城市管理局",
            "level": "city",
            "kind": "government",
            "parent": "C_GOV",
            "regions": ["369900"],
            "categories": ["140400"],
            "active": False,
            "note": "撤销",
        },
        headers=bearer(Role.ADMIN),
    )

    assert as_clerk.status_code == 403
    assert (no_parent.status_code, no_parent.json()["errors"][0]["field"]) == (422, "parent")
    assert (bad_level.status_code, bad_level.json()["errors"][0]["field"]) == (422, "level")
    assert (retire_ruled.status_code, retire_ruled.json()["errors"][0]["code"]) == (
        422,
        "named_by_rule",
    )
    assert (await client.get("/api/v1/departments/D01_DISCIPLINE")).status_code == 404
    assert (await client.get("/api/v1/departments/C_URBAN")).json()["version"] == 1
