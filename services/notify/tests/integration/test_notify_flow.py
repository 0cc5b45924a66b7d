"""The whole flow against a real nats-server, a real database and a real SMTP server: a routed
petition becomes one formal e-mail to the petitioner and one `notice.delivered` event."""

from __future__ import annotations

import asyncio
import inspect
import json
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import httpx
import nats
from aiosmtpd.controller import Controller
from sqlmodel import select

from xinfang.common.auth import Role, issue_token
from xinfang.common.events import AssignmentAccepted, Envelope, Event
from xinfang.common.messaging.tables import AppliedEvent
from xinfang.common.testing.nats_server import free_port
from xinfang.notify.main import create_app
from xinfang.notify.settings import NotifySettings

JWT_SECRET = "notify-flow-tests-jwt-secret-0123456789"


WAIT_SECONDS = 20.0


async def eventually(check: Callable[[], Any]) -> Any:
    """Poll `check` (plain or async) until it returns something truthy, and return that."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        value = check()
        if inspect.isawaitable(value):
            value = await value
        if value or time.monotonic() > deadline:
            assert value, f"still {value!r} after {WAIT_SECONDS} s"
            return value
        await asyncio.sleep(0.05)


class Running:
    """A running notify app, an HTTP client for it, and a NATS client to play the other services."""

    def __init__(self, app: Any, http: httpx.AsyncClient, nc: Any) -> None:
        self.app, self.http, self.nc, self.js = app, http, nc, nc.jetstream()
        self.events: list[dict[str, Any]] = []

    async def watch(self, subject: str) -> None:
        async def keep(msg: Any) -> None:
            self.events.append(json.loads(msg.data))

        await self.nc.subscribe(subject, cb=keep)

    def events_of(
        self, case_no: str, event_type: str, channel: str | None = "email"
    ) -> list[dict[str, Any]]:
        """Events of a case and type; by default those of e-mail notices (not the portal's)."""
        return [
            e
            for e in self.events
            if e["subject"] == case_no
            and e["type"] == event_type
            and (channel is None or e["data"]["channel"] == channel)
        ]

    async def publish(self, event: Event, envelope: Envelope) -> Any:
        return await self.js.publish(
            event.nats_subject(),
            envelope.model_dump_json().encode(),
            headers={"Nats-Msg-Id": envelope.id},
        )

    async def applied(self, envelope: Envelope) -> bool:
        async with self.app.state.notify.db.reading() as session:
            query = select(AppliedEvent).where(AppliedEvent.event_id == envelope.id)
            return (await session.exec(query)).first() is not None

    async def notices(self, case_no: str) -> list[dict[str, Any]]:
        token = issue_token(
            secret=JWT_SECRET, sub="flow-test", roles=[Role.OPERATOR], now=datetime.now(UTC)
        )
        response = await self.http.get(
            f"/api/v1/cases/{case_no}/notices", headers={"Authorization": f"Bearer {token}"}
        )
        found = response.json() if response.status_code == 200 else []
        return [n for n in found if n["audience"] == "petitioner"]


@asynccontextmanager
async def running_notify(**settings: Any) -> AsyncIterator[Running]:
    settings.setdefault("letters_dir", tempfile.mkdtemp(prefix="notify-letters-"))
    app = create_app(NotifySettings(environment="test", jwt_secret=JWT_SECRET, **settings))
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://t") as http,
    ):
        nc = await nats.connect(settings["nats_url"])
        try:
            running = Running(app, http, nc)
            await running.watch("xinfang.notice.>")

            async def ready() -> bool:
                return (await http.get("/readyz")).status_code == 200

            await eventually(ready)
            yield running
        finally:
            await nc.close()


def mails_of(messages: list[Any], case_no: str) -> list[Any]:
    return [m for m in messages if m.message["X-Xinfang-Case"] == case_no]


async def test_a_routed_petition_reaches_the_petitioner_in_one_formal_email_reported_delivered(
    nats_url, database_url, smtp_server, petitions
) -> None:
    async with running_notify(
        nats_url=nats_url,
        database_url=database_url,
        smtp_host=smtp_server.host,
        smtp_port=smtp_server.port,
    ) as notify:
        case_no = petitions.case_no()
        received, routed = petitions.received(case_no), petitions.routed(case_no)
        await notify.publish(received, petitions.envelope(received))
        await notify.publish(routed, petitions.envelope(routed))

        [mail] = await eventually(lambda: mails_of(smtp_server.messages, case_no))
        assert mail.rcpt_tos == ["zhang.sanfeng@example.cn"]
        assert mail.subject == f"【江宁市信访局】信访事项登记告知（{case_no}）"
        for fact in (
            "张三丰",
            case_no,
            "江宁区住房和城乡建设局",
            "QRSTUV2345",
            "小区门口道路长期积水",
        ):
            assert fact in mail.text
        assert mail.message["X-Xinfang-Notice"] == "registration"
        assert mail.message["Message-ID"].startswith("<notice-")

        delivered = await eventually(
            lambda: notify.events_of(case_no, "xinfang.notice.delivered.v1")
        )
        assert delivered[0]["data"]["recipient_masked"] == "z***@example.cn"
        assert delivered[0]["data"]["channel"] == "email"
        notice_id = delivered[0]["data"]["notice_id"]
        assert mail.message["Message-ID"] == f"<notice-{notice_id}@xinfang.notify>"


async def test_a_routed_event_published_again_sends_no_second_email(
    nats_url, database_url, smtp_server, petitions
) -> None:
    async with running_notify(
        nats_url=nats_url,
        database_url=database_url,
        smtp_host=smtp_server.host,
        smtp_port=smtp_server.port,
    ) as notify:
        case_no = petitions.case_no()
        received, routed = petitions.received(case_no), petitions.routed(case_no)
        first = petitions.envelope(routed)
        await notify.publish(received, petitions.envelope(received))
        await notify.publish(routed, first)
        await eventually(lambda: notify.events_of(case_no, "xinfang.notice.delivered.v1"))

        again = petitions.envelope(routed)  # the same step from another path: a new event id
        await notify.publish(routed, again)
        duplicate = await notify.publish(routed, first)  # the very same event once more
        await eventually(lambda: notify.applied(again))

        assert duplicate.duplicate
        [notice] = await notify.notices(case_no)
        assert (notice["status"], notice["attempts"]) == ("delivered", 1)
        assert len(mails_of(smtp_server.messages, case_no)) == 1
        assert len(notify.events_of(case_no, "xinfang.notice.delivered.v1")) == 1


async def test_every_step_is_also_delivered_in_the_portal_for_the_case_timeline(
    nats_url, database_url, smtp_server, petitions
) -> None:
    async with running_notify(
        nats_url=nats_url,
        database_url=database_url,
        smtp_host=smtp_server.host,
        smtp_port=smtp_server.port,
    ) as notify:
        case_no = petitions.case_no()
        received = petitions.received(case_no, contact_sealed=None)  # anonymous: no contacts
        routed = petitions.routed(case_no)
        await notify.publish(received, petitions.envelope(received))
        await notify.publish(routed, petitions.envelope(routed))

        [event] = await eventually(
            lambda: notify.events_of(case_no, "xinfang.notice.delivered.v1", channel="portal")
        )
        assert (event["data"]["notice_type"], event["data"]["recipient_masked"]) == (
            "registration",
            "portal",
        )
        assert mails_of(smtp_server.messages, case_no) == []


class Inbox:
    """An SMTP server of the test's own, so the test can start it late."""

    def __init__(self) -> None:
        self.recipients: list[list[str]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 OK"


async def test_a_notice_is_retried_while_the_mail_server_is_down_and_delivered_once_it_is_back(
    nats_url, database_url, petitions
) -> None:
    port = free_port()
    async with running_notify(
        nats_url=nats_url,
        database_url=database_url,
        smtp_port=port,
        retry_base_seconds=0.05,
        retry_max_seconds=0.2,
        max_attempts=1000,
    ) as notify:
        case_no = petitions.case_no()
        received, routed = petitions.received(case_no), petitions.routed(case_no)
        await notify.publish(received, petitions.envelope(received))
        await notify.publish(routed, petitions.envelope(routed))

        async def tried_twice() -> bool:
            notices = await notify.notices(case_no)
            return bool(notices) and notices[0]["attempts"] >= 2

        await eventually(tried_twice)
        [notice] = await notify.notices(case_no)
        assert notice["status"] == "pending"
        assert notice["last_error"].startswith("smtp_unavailable")

        inbox = Inbox()
        controller = Controller(inbox, hostname="127.0.0.1", port=port)
        controller.start()
        try:
            await eventually(lambda: notify.events_of(case_no, "xinfang.notice.delivered.v1"))
        finally:
            controller.stop()

        assert inbox.recipients == [["zhang.sanfeng@example.cn"]]
        [notice] = await notify.notices(case_no)
        assert notice["status"] == "delivered"
        assert notice["attempts"] >= 3


async def test_the_same_event_delivered_three_times_sends_one_email_per_recipient(
    nats_url, database_url, smtp_server, petitions
) -> None:
    async with running_notify(
        nats_url=nats_url,
        database_url=database_url,
        smtp_host=smtp_server.host,
        smtp_port=smtp_server.port,
    ) as notify:
        case_no = petitions.case_no()
        people = (petitions.person(), petitions.person(name="李四", email="li.si@example.cn"))
        received = petitions.received(case_no, *people)
        accepted = AssignmentAccepted(
            case_no=case_no, department_code="320115-ZJJ", accepted_at=datetime.now(UTC)
        )
        await notify.publish(received, petitions.envelope(received))
        envelope = petitions.envelope(accepted)
        for _ in range(3):  # three copies in the stream, past its de-duplication: one event id
            await notify.js.publish(
                accepted.nats_subject(),
                envelope.model_dump_json().encode(),
                headers={"Nats-Msg-Id": uuid.uuid4().hex},
            )
        await eventually(lambda: len(notify.events_of(case_no, "xinfang.notice.delivered.v1")) >= 2)
        await asyncio.sleep(0.5)

        mails = mails_of(smtp_server.messages, case_no)
        assert sorted((m.message["X-Xinfang-Notice"], tuple(m.rcpt_tos)) for m in mails) == [
            ("acceptance", ("li.si@example.cn",)),
            ("acceptance", ("zhang.sanfeng@example.cn",)),
        ]
        assert len(notify.events_of(case_no, "xinfang.notice.delivered.v1", channel=None)) == 3
