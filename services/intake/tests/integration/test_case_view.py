"""Intake on a real nats-server: it emits petition.received and keeps the case view from events."""

import json
from datetime import UTC, date, datetime

import httpx
import nats
import pytest

from xinfang.common.crypto import Sealer
from xinfang.common.events import DeadlineScheduled, Envelope, NoticeDelivered
from xinfang.common.testing.builders import a_petition_routed, envelope_of, eventually, publish
from xinfang.intake.main import create_app
from xinfang.intake.settings import IntakeSettings

PETITION = {
    "channel": "letter",
    "petitioners": [
        {
            "name": "王小明",
            "phone": "13912345678",
            "address": "新港区港城街道8号",
            "email": "w@x.cn",
        }
    ],
    "region_code": "369902",
    "category_code": "060000",
    "title": "拖欠工资问题",
    "content": "某公司拖欠三个月工资未发放，请求督促支付。",
}


@pytest.fixture
async def running(database_url, nats_url):
    settings = IntakeSettings(database_url=database_url, nats_url=nats_url, environment="test")
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://intake") as client,
    ):
        await eventually(lambda: _ready(client), within=15)
        nc = await nats.connect(nats_url)
        yield app, client, nc
        await nc.close()


async def _ready(client) -> bool:
    return (await client.get("/readyz")).status_code == 200


async def _view(client, created) -> dict:
    response = await client.get(
        f"/api/v1/petitions/{created['case_no']}", headers={"X-Query-Code": created["query_code"]}
    )
    return response.json()


async def test_a_registered_petition_is_published_masked_with_contacts_sealed_for_notify(running):
    app, client, nc = running
    sub = await nc.subscribe("xinfang.petition.received")
    created = (await client.post("/api/v1/petitions", json=PETITION)).json()

    async def received():
        msg = await sub.next_msg(timeout=5)
        return msg if json.loads(msg.data)["subject"] == created["case_no"] else None

    msg = await eventually(received)
    assert msg.headers["Nats-Msg-Id"] == json.loads(msg.data)["id"]
    for clear in ("王小明", "13912345678", "港城街道8号", "w@x.cn"):
        assert clear not in msg.data.decode()
    data = Envelope.model_validate_json(msg.data).data
    assert data["petitioners"][0]["name_masked"] == "王*明"
    assert data["petitioners"][0]["phone_masked"] == "139****5678"
    sealed = json.loads(Sealer([app.state.intake.settings.notice_key]).open(data["contact_sealed"]))
    assert sealed["query_code"] == created["query_code"]
    assert sealed["contacts"][0]["email"] == "w@x.cn"


async def test_the_case_view_follows_routing_deadlines_and_notices(running):
    _app, client, nc = running
    js = nc.jetstream()
    created = (await client.post("/api/v1/petitions", json=PETITION)).json()
    case_no = created["case_no"]
    now = datetime.now(UTC)
    routed = a_petition_routed(case_no=case_no, department_name="江宁市人力资源和社会保障局")
    deadline = DeadlineScheduled(
        case_no=case_no,
        kind="acceptance_notice",
        starts_on=date(2026, 3, 2),
        due_on=date(2026, 3, 17),
        basis="15日",
    )
    notice = NoticeDelivered(
        case_no=case_no,
        notice_id="n1",
        notice_type="registration",
        channel="email",
        recipient_masked="w***@x.cn",
        delivered_at=now,
    )
    routed_envelope = envelope_of(routed, time=now)
    for event in (routed, deadline, notice):
        await publish(js, routed_envelope if event is routed else envelope_of(event, time=now))
    await publish(js, routed_envelope)  # redelivered: still one timeline entry

    async def complete():
        view = await _view(client, created)
        return view if len(view["timeline"]) == 4 else None

    view = await eventually(complete)
    assert view["status"] == "routed"
    assert view["department"] == "江宁市人力资源和社会保障局"
    assert [t["event"] for t in view["timeline"]] == [
        "xinfang.petition.received.v1",
        "xinfang.petition.routed.v1",
        "xinfang.deadline.scheduled.v1",
        "xinfang.notice.delivered.v1",
    ]
    assert view["timeline"][2]["details"]["due_on"] == "2026-03-17"


async def test_an_event_about_a_case_intake_never_registered_is_dead_lettered(running):
    app, _client, nc = running
    stray = envelope_of(a_petition_routed())
    await publish(nc.jetstream(), stray)

    async def dead_lettered():
        from sqlmodel import select

        from xinfang.common.messaging.tables import DeadLetter

        async with app.state.intake.db.reading() as session:
            rows = (await session.exec(select(DeadLetter))).all()
        return [r for r in rows if r.event_id == stray.id]

    letters = await eventually(dead_lettered)
    assert "no petition" in letters[0].error
