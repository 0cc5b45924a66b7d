"""The operators' and the mailing clerk's API: dead letters and re-sending, the print queue of
letters (list, download, mark printed), and the metrics of the queue and the circuits."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from pypdf import PdfReader

from xinfang.common.auth import Role, issue_token
from xinfang.common.clock import ManualClock
from xinfang.notify.channels.fake import FakeChannel
from xinfang.notify.main import create_app
from xinfang.notify.settings import NotifySettings


@pytest.fixture
def email() -> FakeChannel:
    return FakeChannel("email")


@pytest.fixture
async def app(tmp_path: Path, email: FakeChannel):
    settings = NotifySettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'notify.db'}",
        environment="test",
        jwt_secret="notify-api-tests-jwt-secret-0123456789",
        start_background=False,
        letters_dir=str(tmp_path / "letters"),
        max_attempts=1,
    )
    app = create_app(settings, channels={"email": email})
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def client(app) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        yield c


def bearer(app, *roles: Role) -> dict[str, str]:
    token = issue_token(
        secret=app.state.notify.settings.jwt_secret,
        sub="clerk-7",
        roles=list(roles),
        now=datetime.now(UTC),
    )
    return {"Authorization": f"Bearer {token}"}


async def a_routed_case(app, petitions, *people) -> str:
    notify = app.state.notify
    [subscription] = notify.runtime.subscriptions
    case_no = petitions.case_no()
    for event in (petitions.received(case_no, *people), petitions.routed(case_no)):
        async with notify.db.transaction() as session:
            await subscription.handlers[event.TYPE](session, event, petitions.envelope(event))
    return case_no


async def test_a_notice_failing_everywhere_is_listed_as_a_dead_letter_and_re_sent_on_request(
    app, client, petitions, email
) -> None:
    notify = app.state.notify
    notify.settings.fallback_order = ["sms", "email"]  # no letter: e-mail is the only way
    case_no = await a_routed_case(app, petitions)
    email.fail_next(1)
    await notify.dispatcher.run_once()
    operator = bearer(app, Role.OPERATOR)

    [dead] = (await client.get("/api/v1/notices/dead-letters", headers=operator)).json()
    assert (dead["status"], dead["last_error"]) == ("failed", "fake_failure: told to fail")
    assert dead["recipient_masked"] == "z***@example.cn"

    response = await client.post(f"/api/v1/notices/{dead['id']}/resend", headers=operator)
    assert response.status_code == 202 and response.json()["status"] == "pending"
    await notify.dispatcher.run_once()

    assert (await client.get("/api/v1/notices/dead-letters", headers=operator)).json() == []
    assert [m.case_no for m in email.sent] == [case_no]
    again = await client.post(f"/api/v1/notices/{dead['id']}/resend", headers=operator)
    assert again.status_code == 404 and again.json()["errors"][0]["code"] == "not_found"


async def test_only_operators_see_dead_letters(app, client) -> None:
    response = await client.get(
        "/api/v1/notices/dead-letters", headers=bearer(app, Role.SUPERVISOR)
    )

    assert response.status_code == 403


async def test_the_mailing_clerk_lists_downloads_and_marks_letters_printed(
    app, client, petitions
) -> None:
    case_no = await a_routed_case(app, petitions, petitions.person(email=None))
    await app.state.notify.dispatcher.run_once()
    clerk = bearer(app, Role.CLERK)

    [job] = (await client.get("/api/v1/letters", headers=clerk)).json()
    assert (job["case_no"], job["notice_type"], job["printed_at"]) == (
        case_no,
        "registration",
        None,
    )
    pdf = await client.get(f"/api/v1/letters/{job['notice_id']}.pdf", headers=clerk)
    assert pdf.headers["content-type"] == "application/pdf"
    path = Path(app.state.notify.settings.letters_dir) / "copy.pdf"
    path.write_bytes(pdf.content)
    assert "信访事项登记告知" in PdfReader(path).pages[0].extract_text()

    printed = await client.post(f"/api/v1/letters/{job['notice_id']}/printed", headers=clerk)
    assert printed.json()["printed_by"] == "clerk-7"
    assert (await client.get("/api/v1/letters", headers=clerk)).json() == []
    done = await client.get("/api/v1/letters", params={"printed": "true"}, headers=clerk)
    assert [j["notice_id"] for j in done.json()] == [job["notice_id"]]


async def test_a_letter_that_does_not_exist_is_404_and_a_malformed_id_422(app, client) -> None:
    clerk = bearer(app, Role.CLERK)

    missing = await client.get("/api/v1/letters/abc123.pdf", headers=clerk)
    malformed = await client.get("/api/v1/letters/..%2Fnotify.pdf", headers=clerk)

    assert missing.status_code == 404
    assert malformed.status_code in (404, 422)


async def test_the_metrics_show_queue_depth_oldest_notice_and_circuit_state(
    app, client, petitions
) -> None:
    notify = app.state.notify
    notify.clock = clock = ManualClock()
    await a_routed_case(app, petitions, petitions.person(preferred_channel="sms"))
    clock.set(datetime(2026, 3, 2, 15, 0, tzinfo=UTC))  # 23:00 in China: the SMS waits
    await notify.dispatcher.run_once()

    text = (await client.get("/metrics")).text

    assert "xinfang_notify_queue_depth 1.0" in text
    assert "xinfang_notify_queue_oldest_age_seconds 21600.0" in text
    assert 'xinfang_notify_circuit_state{channel="email"} 0.0' in text
    assert "xinfang_notify_notice_dead_letters 0.0" in text
    assert "xinfang_notify_print_queue_depth 0.0" in text
