"""Intake on a real nats-server: it emits petition.received and keeps the case view from events."""

import json
from datetime import date, timedelta

from xinfang.common.crypto import Sealer
from xinfang.common.events import DeadlineScheduled, Envelope, NoticeDelivered
from xinfang.common.testing.builders import a_petition_routed, envelope_of, eventually, publish

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
    app, client, nc = running
    js = nc.jetstream()
    created = (await client.post("/api/v1/petitions", json=PETITION)).json()
    case_no = created["case_no"]
    now = app.state.intake.clock.now() + timedelta(minutes=1)
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

    await eventually(complete)
    view = await _view(client, created)  # read again: see the test below
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


async def test_the_case_view_follows_every_step_the_other_services_report(running):
    from xinfang.common.events import (
        AssignmentAccepted,
        AssignmentTransferred,
        CaseAnswered,
        CaseFinalised,
        CaseStatusChanged,
        ExtensionDecided,
        NoticeFailed,
        PetitionTriaged,
        ReviewOpened,
    )

    app, client, nc = running
    js = nc.jetstream()
    created = (await client.post("/api/v1/petitions", json=PETITION)).json()
    case_no = created["case_no"]
    now = app.state.intake.clock.now() + timedelta(minutes=1)
    steps = [
        PetitionTriaged(case_no=case_no, reason="规则冲突：内部说明", queued_at=now),
        a_petition_routed(case_no=case_no, department_code="C_HRSS", department_name="人社局"),
        AssignmentAccepted(case_no=case_no, department_code="C_HRSS", accepted_at=now),
        AssignmentTransferred(
            case_no=case_no,
            department_code="D02_GOV",
            from_department="C_HRSS",
            department_name="新港区人民政府",
            reason="属地管理",
            transferred_at=now,
        ),
        DeadlineScheduled(
            case_no=case_no,
            kind="handling",
            starts_on=date(2026, 3, 3),
            due_on=date(2026, 5, 2),
            basis="60日",
        ),
        ExtensionDecided(
            case_no=case_no,
            department_code="D02_GOV",
            approved=True,
            days=30,
            reason="案情复杂",
            decided_at=now,
        ),
        DeadlineScheduled(
            case_no=case_no,
            kind="handling",
            starts_on=date(2026, 3, 3),
            due_on=date(2026, 6, 1),
            basis="60日+延期30日",
        ),
        NoticeFailed(
            case_no=case_no,
            notice_id="n9",
            notice_type="extension",
            channel="email",
            reason="550 w@x.cn mailbox unavailable",
            attempts=5,
            failed_at=now,
        ),
        CaseAnswered(
            case_no=case_no,
            department_code="D02_GOV",
            outcome="supported",
            summary="责令公司限期支付工资",
            legal_basis="《劳动合同法》",
            answered_at=now,
        ),
        CaseStatusChanged(
            case_no=case_no, status="提出复查意见", status_zh="提出复查意见", changed_at=now
        ),
        ReviewOpened(
            case_no=case_no, level="review", body_department_code="C_GOV", due_on=date(2026, 7, 1)
        ),
        CaseFinalised(case_no=case_no, reason="复核终结", finalised_at=now),
    ]
    for n, event in enumerate(steps):
        await publish(js, envelope_of(event, time=now + timedelta(seconds=n)))

    async def complete():
        view = await _view(client, created)
        return view if len(view["timeline"]) == len(steps) + 1 else None

    await eventually(complete)
    # Read again: the view reads the case, then its timeline, each in a snapshot of its own, so
    # the read that saw the last step may hold the case as it was just before that commit.
    view = await _view(client, created)
    assert view["status"] == "finalised"
    assert view["department"] == "新港区人民政府"
    assert view["deadline"] == "2026-06-01"
    by_event = {t["event"].split(".", 1)[1]: t["details"] for t in view["timeline"]}
    assert by_event["petition.triaged.v1"] == {}  # the internal reason stays inside
    assert by_event["assignment.transferred.v1"] == {"department": "新港区人民政府"}
    assert by_event["assignment.extension_decided.v1"]["reason"] == "案情复杂"
    assert by_event["case.answered.v1"]["summary"] == "责令公司限期支付工资"
    assert by_event["notice.failed.v1"] == {
        "notice_type": "extension",
        "channel": "email",
        "delivered": False,
    }
    assert "w@x.cn" not in str(view)


async def test_internal_clocks_and_notices_to_staff_stay_off_the_petitioner_s_view(running):
    app, client, nc = running
    js = nc.jetstream()
    created = (await client.post("/api/v1/petitions", json=PETITION)).json()
    case_no = created["case_no"]
    now = app.state.intake.clock.now() + timedelta(minutes=1)

    def clock(kind: str, due: date) -> DeadlineScheduled:
        return DeadlineScheduled(
            case_no=case_no, kind=kind, starts_on=date(2026, 3, 2), due_on=due, basis="b"
        )

    def notice(notice_id: str, audience: str) -> NoticeDelivered:
        return NoticeDelivered(
            case_no=case_no,
            notice_id=notice_id,
            notice_type="supervision_order",
            channel="email",
            recipient_masked="x***@gov.example",
            delivered_at=now,
            audience=audience,
        )

    events = [
        clock("acceptance_notice", date(2026, 3, 17)),
        clock("objection", date(2026, 3, 9)),  # the department's own window, scheduled later
        notice("n-dept", "department"),
        notice("n-leader", "leader"),
        notice("n-portal", "portal"),
    ]
    for offset, event in enumerate(events):
        await publish(js, envelope_of(event, time=now + timedelta(seconds=offset)))

    async def shown():
        view = await _view(client, created)
        return (
            view if any(t["event"].startswith("xinfang.notice") for t in view["timeline"]) else None
        )

    await eventually(shown)
    await eventually(lambda: _applied(app, len(events)))
    view = await _view(client, created)
    details = [t["details"] for t in view["timeline"]]
    assert [d.get("kind") for d in details if "kind" in d] == ["acceptance_notice"]
    assert [d.get("notice_type") for d in details if "notice_type" in d] == ["supervision_order"]
    assert view["deadline"] == "2026-03-17"


async def _applied(app, at_least: int) -> bool:
    from sqlmodel import func, select

    from xinfang.common.messaging.tables import AppliedEvent

    async with app.state.intake.db.reading() as session:
        count = (await session.exec(select(func.count()).select_from(AppliedEvent))).one()
    return count >= at_least
