"""GET /api/v1/cases/{case_no}/notices: supervisors and operators see how notices stand."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from xinfang.common.auth import Role, issue_token
from xinfang.notify.channels.fake import FakeChannel
from xinfang.notify.main import create_app
from xinfang.notify.settings import NotifySettings


@pytest.fixture
async def app(tmp_path: Path):
    settings = NotifySettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'notify.db'}",
        environment="test",
        jwt_secret="notify-api-tests-jwt-secret-0123456789",
        start_background=False,
        letters_dir=str(tmp_path / "letters"),
    )
    app = create_app(settings, channels={"email": FakeChannel()})
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def client(app) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        yield c


def bearer(app, *roles: Role) -> dict[str, str]:
    token = issue_token(
        secret=app.state.notify.settings.jwt_secret,
        sub="tester",
        roles=list(roles),
        now=datetime.now(UTC),
    )
    return {"Authorization": f"Bearer {token}"}


async def a_case_with_notices(app, petitions) -> str:
    """A case with one petitioner reachable by e-mail and one without an address."""
    notify = app.state.notify
    [subscription] = notify.runtime.subscriptions
    case_no = petitions.case_no()
    without_email = petitions.person(name="李四", email=None)
    for event in (
        petitions.received(case_no, petitions.person(), without_email),
        petitions.routed(case_no),
    ):
        async with notify.db.transaction() as session:
            await subscription.handlers[event.TYPE](session, event, petitions.envelope(event))
    await notify.dispatcher.run_once()
    return case_no


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.OPERATOR])
async def test_supervisors_and_operators_see_each_notice_with_its_recipient_masked(
    app, client, petitions, role
) -> None:
    case_no = await a_case_with_notices(app, petitions)

    response = await client.get(f"/api/v1/cases/{case_no}/notices", headers=bearer(app, role))

    assert response.status_code == 200
    by_channel = {n["channel"]: n for n in response.json()}
    assert set(by_channel) == {"email", "letter", "portal"}
    email, letter = by_channel["email"], by_channel["letter"]
    assert (email["notice_type"], email["status"]) == ("registration", "delivered")
    assert email["recipient_masked"] == "z***@example.cn"
    assert (email["attempts"], email["last_error"]) == (1, None)
    assert [(a["channel"], a["result"]) for a in email["history"]] == [("email", "delivered")]
    assert email["delivered_at"] is not None
    assert (letter["recipient_masked"], letter["status"]) == ("letter:李*", "delivered")
    assert by_channel["portal"]["audience"] == "portal"
    assert "zhang.sanfeng" not in response.text and "张三丰" not in response.text
    assert "李四" not in response.text


async def test_the_notices_can_be_filtered_by_audience(app, client, petitions) -> None:
    case_no = await a_case_with_notices(app, petitions)

    response = await client.get(
        f"/api/v1/cases/{case_no}/notices",
        params={"audience": "petitioner"},
        headers=bearer(app, Role.OPERATOR),
    )

    assert sorted(n["channel"] for n in response.json()) == ["email", "letter"]


async def test_a_clerk_may_not_read_the_notices_of_a_case(app, client, petitions) -> None:
    case_no = await a_case_with_notices(app, petitions)

    response = await client.get(f"/api/v1/cases/{case_no}/notices", headers=bearer(app, Role.CLERK))

    assert response.status_code == 403
    assert response.json()["errors"][0]["code"] == "forbidden"


async def test_without_a_bearer_token_the_answer_is_401(client) -> None:
    response = await client.get("/api/v1/cases/XF20261122000001/notices")

    assert response.status_code == 401
    assert response.json()["errors"][0]["field"] == "Authorization"


async def test_a_case_notify_never_heard_of_is_404_in_the_standard_error_shape(app, client) -> None:
    response = await client.get(
        "/api/v1/cases/XF20261122999999/notices", headers=bearer(app, Role.SUPERVISOR)
    )

    assert response.status_code == 404
    [error] = response.json()["errors"]
    assert error["code"] == "not_found"
    assert error["message"]["zh"] and error["message"]["en"]


async def test_the_metrics_page_shows_notify_s_own_metrics(client) -> None:
    response = await client.get("/metrics")

    assert "xinfang_notify_queue_depth" in response.text
    assert "xinfang_notify_deliveries_total" in response.text
    assert "xinfang_notify_delivery_latency_seconds" in response.text
