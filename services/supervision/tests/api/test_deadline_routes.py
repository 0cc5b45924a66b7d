"""The deadline routes over a real database, with the clocks started through the handlers and
messaging left off."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func
from sqlmodel import select

from xinfang.common.auth import Role, issue_token
from xinfang.common.clock import ManualClock
from xinfang.common.messaging.tables import OutboxEvent
from xinfang.supervision import handlers
from xinfang.supervision.bootstrap import Supervision
from xinfang.supervision.domain import DeadlineKind
from xinfang.supervision.main import create_app
from xinfang.supervision.settings import SupervisionSettings

NOW = datetime(2026, 9, 16, 2, 0, tzinfo=UTC)


@pytest.fixture
async def app(database_url: str) -> AsyncIterator[FastAPI]:
    settings = SupervisionSettings(
        database_url=database_url, environment="test", start_background=False
    )
    app = create_app(settings, clock=ManualClock(NOW))
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        yield client


def a_case_no() -> str:
    return f"XF20260916{secrets.randbelow(10**6):06d}"


def auth(app: FastAPI, *roles: Role, department: str | None = None) -> dict[str, str]:
    # Wall time, not the manual clock: verify_token checks expiry against the real time.
    token = issue_token(
        secret=app.state.supervision.settings.jwt_secret,
        sub="someone",
        roles=list(roles),
        now=datetime.now(UTC),
        department=department,
    )
    return {"Authorization": f"Bearer {token}"}


async def start(supervision: Supervision, case_no: str, kind: DeadlineKind, starts_on: date) -> Any:
    async with supervision.db.transaction() as session:
        return await handlers.start_clock(
            session,
            case_no=case_no,
            kind=kind,
            starts_on=starts_on,
            clock=supervision.clock,
            source=supervision.source,
        )


async def test_a_supervisor_reads_a_cases_deadlines_soonest_first(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    case_no = a_case_no()
    await start(app.state.supervision, case_no, DeadlineKind.ACCEPTANCE_NOTICE, date(2026, 10, 9))
    await start(app.state.supervision, case_no, DeadlineKind.ROUTING, date(2026, 9, 16))

    response = await client.get(
        f"/api/v1/cases/{case_no}/deadlines", headers=auth(app, Role.SUPERVISOR)
    )

    assert response.status_code == 200
    body = response.json()
    assert [(d["kind"], d["due_on"]) for d in body] == [
        ("routing", "2026-10-08"),
        ("acceptance_notice", "2026-10-26"),
    ]
    assert body[0]["kind_zh"] == "转送/交办"
    assert body[0]["status"] == "open"
    assert body[0]["provisional"] is False
    assert "顺延至2026-10-08" in body[0]["basis"]


async def test_starting_a_clock_twice_records_one_deadline_and_one_event(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    supervision: Supervision = app.state.supervision
    case_no = a_case_no()

    first = await start(supervision, case_no, DeadlineKind.ROUTING, date(2026, 9, 16))
    second = await start(supervision, case_no, DeadlineKind.ROUTING, date(2026, 9, 17))

    assert first is not None and second is None
    async with supervision.db.reading() as session:
        events = (
            await session.exec(
                select(func.count()).select_from(OutboxEvent).where(OutboxEvent.case_no == case_no)
            )
        ).one()
    assert events == 1
    response = await client.get(f"/api/v1/cases/{case_no}/deadlines", headers=auth(app, Role.CLERK))
    assert [d["due_on"] for d in response.json()] == ["2026-10-08"]


async def test_a_case_without_deadlines_has_an_empty_list(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    response = await client.get(
        f"/api/v1/cases/{a_case_no()}/deadlines", headers=auth(app, Role.LEADER)
    )
    assert (response.status_code, response.json()) == (200, [])


async def test_open_deadlines_are_listed_by_due_day_and_kind(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    supervision: Supervision = app.state.supervision
    early, late = a_case_no(), a_case_no()
    await start(supervision, late, DeadlineKind.ROUTING, date(2026, 10, 9))  # due 10-26
    await start(supervision, early, DeadlineKind.ROUTING, date(2026, 3, 2))  # due 03-17
    await start(supervision, early, DeadlineKind.ACCEPTANCE_NOTICE, date(2026, 3, 6))  # due 03-23
    headers = auth(app, Role.OPERATOR)

    async def listed(**params: Any) -> list[tuple[str, str, str]]:
        response = await client.get("/api/v1/deadlines", params=params, headers=headers)
        assert response.status_code == 200, response.text
        return [(d["case_no"], d["kind"], d["due_on"]) for d in response.json()]

    assert await listed(due_before="2026-03-23") == [
        (early, "routing", "2026-03-17"),
        (early, "acceptance_notice", "2026-03-23"),
    ]
    assert await listed(due_before="2026-03-22") == [(early, "routing", "2026-03-17")]
    assert await listed(kind="routing") == [
        (early, "routing", "2026-03-17"),
        (late, "routing", "2026-10-26"),
    ]
    assert await listed(limit=1) == [(early, "routing", "2026-03-17")]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"due_before": "2026-13-01"}, "due_before"),
        ({"kind": "lunch_break"}, "kind"),
        ({"limit": 0}, "limit"),
    ],
    ids=["impossible date", "unknown clock", "limit below one"],
)
async def test_a_bad_filter_is_refused_with_the_field_named(
    app: FastAPI, client: httpx.AsyncClient, params: dict[str, Any], field: str
) -> None:
    response = await client.get(
        "/api/v1/deadlines", params=params, headers=auth(app, Role.SUPERVISOR)
    )
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["field"] == field
    assert error["message"]["zh"] and error["message"]["en"]


@pytest.mark.parametrize("role", [Role.HANDLER, Role.PETITIONER], ids=["handler", "petitioner"])
async def test_roles_outside_the_bureau_are_forbidden(
    app: FastAPI, client: httpx.AsyncClient, role: Role
) -> None:
    headers = auth(app, role, department="D001" if role is Role.HANDLER else None)
    for path in (f"/api/v1/cases/{a_case_no()}/deadlines", "/api/v1/deadlines"):
        response = await client.get(path, headers=headers)
        assert response.status_code == 403
        assert response.json()["errors"][0]["code"] == "forbidden"


async def test_reading_deadlines_needs_a_bearer_token(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/deadlines")
    assert response.status_code == 401
    assert response.json()["errors"][0]["field"] == "Authorization"
