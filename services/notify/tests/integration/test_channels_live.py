"""Every channel against a real receiver: an SMTP server, a local HTTP server playing the SMS
gateway and a department's webhook receiver (failing, then recovering), and PDF letters read back
with pypdf. Driven by the dispatcher with a manual clock."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from pypdf import PdfReader

from xinfang.common.clock import ManualClock
from xinfang.common.events import AssignmentAccepted, CaseAnswered, PetitionRefused
from xinfang.common.testing.nats_server import free_port
from xinfang.notify import repository
from xinfang.notify.bootstrap import Notify, bootstrap
from xinfang.notify.channels.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from xinfang.notify.channels.sms import SmsChannel
from xinfang.notify.directory import Directory, Endpoint
from xinfang.notify.gateway import Receiver
from xinfang.notify.settings import NotifySettings

DAYTIME = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)  # 10:00 in China
SMS_SECRET = "sms-secret-for-tests"
HOOK_SECRET = "hook-secret-for-tests"


@pytest.fixture
def gateway() -> Iterator[Receiver]:
    receiver = Receiver(free_port(), secret=SMS_SECRET).start()
    yield receiver
    receiver.stop()


@pytest.fixture
def hook() -> Iterator[Receiver]:
    receiver = Receiver(free_port(), secret=HOOK_SECRET).start()
    yield receiver
    receiver.stop()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(DAYTIME)


@pytest.fixture
async def notify(
    tmp_path: Path, database_url, smtp_server, gateway, hook, clock
) -> AsyncIterator[Notify]:
    settings = NotifySettings(
        database_url=database_url,
        environment="test",
        smtp_host=smtp_server.host,
        smtp_port=smtp_server.port,
        sms_gateway_url=f"{gateway.url}/sms",
        sms_secret=SMS_SECRET,
        letters_dir=str(tmp_path / "letters"),
        http_timeout=2,
        smtp_timeout=2,
    )
    directory = Directory(
        departments={
            "D-HOOK": Endpoint(
                ref="D-HOOK",
                name="江宁区城市管理局",
                webhook_url=f"{hook.url}/hooks/xinfang",
                webhook_secret=HOOK_SECRET,
                email="cgj@gov.example",
                channel="webhook",
            )
        },
        leaders=[],
    )
    notify = bootstrap(settings, clock=clock, directory=directory)
    await notify.db.create_all()
    yield notify
    await notify.db.dispose()


async def apply(notify: Notify, petitions, *events) -> None:
    [subscription] = notify.runtime.subscriptions
    for event in events:
        async with notify.db.transaction() as session:
            await subscription.handlers[event.TYPE](session, event, petitions.envelope(event))


async def drain(notify: Notify, clock: ManualClock, rounds: int = 8) -> None:
    """Dispatch until nothing is due, moving the clock past each back-off."""
    for _ in range(rounds):
        await notify.dispatcher.run_once()
        clock.advance(timedelta(seconds=30))


async def notice_of(notify: Notify, case_no: str, notice_type: str, audience: str = "petitioner"):
    async with notify.db.reading() as session:
        notices = await repository.notices_of_case(session, case_no=case_no)
    [notice] = [n for n in notices if n.notice_type == notice_type and n.audience == audience]
    return notice


async def test_the_smtp_server_receives_the_acceptance_and_decision_in_formal_chinese(
    notify, petitions, smtp_server, clock
) -> None:
    case_no = petitions.case_no()
    accepted = AssignmentAccepted(case_no=case_no, department_code="D-HOOK", accepted_at=DAYTIME)
    answered = CaseAnswered(
        case_no=case_no,
        department_code="D-HOOK",
        outcome="supported",
        summary="已安排疏通排水管道",
        legal_basis="《城镇排水与污水处理条例》",
        answered_at=DAYTIME,
    )
    routed = petitions.routed(case_no, department_code="D-HOOK", department_name="江宁区城市管理局")
    await apply(notify, petitions, petitions.received(case_no), routed, accepted, answered)

    await drain(notify, clock, rounds=2)

    mails = {m.message["X-Xinfang-Notice"]: m for m in smtp_server.messages}
    assert mails["acceptance"].subject == f"【江宁市信访局】信访事项受理告知书（{case_no}）"
    assert "江宁区城市管理局已于2026年11月25日依法受理" in mails["acceptance"].text
    assert "送达方式：电子邮件" in mails["acceptance"].text
    decision = mails["decision"]
    assert decision.subject == f"【江宁市信访局】信访处理意见书（{case_no}）"
    assert "已安排疏通排水管道" in decision.text and "2026年12月25日前" in decision.text
    assert "查询码：QRSTUV2345" in mails["rating_invitation"].text
    assert {tuple(m.rcpt_tos) for m in smtp_server.messages} == {("zhang.sanfeng@example.cn",)}


async def test_an_sms_through_the_gateway_is_signed_and_sent_once_after_the_gateway_recovers(
    notify, petitions, gateway, clock
) -> None:
    case_no = petitions.case_no()
    texter = petitions.person(preferred_channel="sms")
    await apply(notify, petitions, petitions.received(case_no, texter), petitions.routed(case_no))
    gateway.fail_next(2)

    await drain(notify, clock)

    [sms] = gateway.received
    assert (sms["to"], sms["ref"]) == (
        "13800138000",
        (await notice_of(notify, case_no, "registration")).id,
    )
    assert sms["text"].startswith("【江宁市信访局】张三丰：您的信访事项")
    notice = await notice_of(notify, case_no, "registration")
    assert (notice.status, notice.channel, notice.attempts) == ("delivered", "sms", 3)
    assert notice.recipient_masked == "138****8000"
    assert gateway.requests == 3


async def test_a_gateway_refusing_the_signature_makes_the_notice_fall_back_to_email(
    notify, petitions, gateway, smtp_server, clock
) -> None:
    gateway.secret = "another-secret"
    case_no = petitions.case_no()
    texter = petitions.person(preferred_channel="sms")
    await apply(notify, petitions, petitions.received(case_no, texter), petitions.routed(case_no))

    await drain(notify, clock, rounds=2)

    notice = await notice_of(notify, case_no, "registration")
    assert (notice.status, notice.channel) == ("delivered", "email")
    assert gateway.received == []
    assert [m.message["X-Xinfang-Case"] for m in smtp_server.messages] == [case_no]


async def test_a_department_webhook_gets_a_signed_notice_after_failing_and_recovering(
    notify, petitions, hook, clock
) -> None:
    case_no = petitions.case_no()
    hook.fail_next(3)
    routed = petitions.routed(case_no, department_code="D-HOOK", department_name="江宁区城市管理局")

    await apply(notify, petitions, petitions.received(case_no), routed)
    await drain(notify, clock)

    [payload] = hook.received
    assert payload["notice_type"] == "new_assignment" and payload["case_no"] == case_no
    assert payload["subject"] == f"【江宁市信访局】信访事项转送通知（{case_no}）"
    assert "江宁区城市管理局：" in payload["body"] and "张三丰" not in payload["body"]
    notice = await notice_of(notify, case_no, "new_assignment", audience="department")
    assert (notice.status, notice.channel, notice.attempts) == ("delivered", "webhook", 4)


def test_the_signature_covers_timestamp_and_body() -> None:
    body = b'{"a": 1}'
    receiver = Receiver(free_port(), secret="k")
    try:
        good = {
            TIMESTAMP_HEADER: "100",
            SIGNATURE_HEADER: sign(secret="k", timestamp="100", body=body),
        }
        assert receiver.accept(body, good) == 200
        assert receiver.accept(b'{"a": 2}', good) == 401
        assert receiver.accept(body, good | {TIMESTAMP_HEADER: "101"}) == 401
    finally:
        receiver.server_close()


async def test_a_letter_is_a_pdf_in_chinese_queued_for_the_clerk_until_printed(
    notify, petitions, clock
) -> None:
    case_no = petitions.case_no()
    by_post = petitions.person(email=None, address="江宁市秣陵街道天元路1号")
    refused = PetitionRefused(
        case_no=case_no,
        kind="not_accepted",
        reason="该事项已进入行政复议程序",
        basis="《信访工作条例》第三十一条",
        refused_at=DAYTIME,
    )
    await apply(notify, petitions, petitions.received(case_no, by_post), refused)

    await drain(notify, clock, rounds=1)

    notice = await notice_of(notify, case_no, "not_accepted")
    assert (notice.status, notice.channel) == ("delivered", "letter")
    path = Path(notify.settings.letters_dir) / f"{notice.id}.pdf"
    text = "".join(page.extract_text() for page in PdfReader(path).pages)
    for fact in (
        "江宁市秣陵街道天元路1号",
        "张三丰",
        "不予受理告知书",
        case_no,
        "该事项已进入行政复议程序",
        "送达方式：邮寄送达",
    ):
        assert fact in text


def test_the_sms_gateway_stand_in_runs_as_a_command_and_records_what_it_receives(
    tmp_path: Path,
) -> None:
    port = free_port()
    stand_in = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "xinfang.notify",
            "sms-gateway",
            "--port",
            str(port),
            "--dir",
            str(tmp_path / "sms"),
            "--secret",
            SMS_SECRET,
        ],
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/", timeout=0.5)
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, "the stand-in did not start"
                time.sleep(0.1)
        body = json.dumps({"to": "13800138000", "text": "测试", "ref": "n1"}).encode()
        headers = {
            TIMESTAMP_HEADER: "1",
            SIGNATURE_HEADER: sign(secret=SMS_SECRET, timestamp="1", body=body),
        }
        assert (
            httpx.post(f"http://127.0.0.1:{port}/sms", content=body, headers=headers).status_code
            == 200
        )
        assert httpx.post(f"http://127.0.0.1:{port}/sms", content=body).status_code == 401
    finally:
        stand_in.terminate()
        stand_in.wait(10)
    recorded = json.loads((tmp_path / "sms" / "n1.json").read_text(encoding="utf-8"))
    assert recorded["text"] == "测试"


async def test_the_sms_adapter_sends_what_the_gateway_expects(gateway) -> None:
    sms = SmsChannel(
        url=f"{gateway.url}/sms", account="a", secret=SMS_SECRET, timeout=2, timestamp=lambda: "5"
    )
    from xinfang.notify.channels import OutboundMessage

    await sms.send(
        OutboundMessage(
            notice_id="n9",
            case_no="c",
            notice_type="t",
            channel="sms",
            recipient="13900000000",
            subject="s",
            body="b",
            sms="短信正文",
        )
    )

    assert gateway.received[0]["text"] == "短信正文"


async def test_a_full_delivery_over_every_channel_never_writes_contact_details_to_the_logs(
    notify, petitions, gateway, hook, smtp_server, clock, capsys, caplog
) -> None:
    caplog.set_level(logging.INFO)
    case_no = petitions.case_no()
    person = petitions.person(preferred_channel="sms", address="江宁市秣陵街道天元路1号")
    other = petitions.person(name="李小龙", email="li.xiaolong@example.cn", phone="13911112222")
    gateway.fail_next(100)  # SMS keeps failing: retries, then e-mail
    hook.fail_next(1)
    steps = [
        petitions.received(case_no, person, other),
        petitions.routed(case_no, department_code="D-HOOK", department_name="江宁区城市管理局"),
        AssignmentAccepted(case_no=case_no, department_code="D-HOOK", accepted_at=DAYTIME),
    ]
    await apply(notify, petitions, *steps)
    smtp_server.stop()  # the mail server is down for a while too
    await drain(notify, clock, rounds=4)
    smtp_server.start()
    await drain(notify, clock, rounds=12)

    assert len(smtp_server.messages) >= 2 and len(hook.received) == 1
    async with notify.db.reading() as session:
        attempts = await repository.attempts_of(
            session,
            notice_ids=[n.id for n in await repository.notices_of_case(session, case_no=case_no)],
        )
    errors = " ".join(a.error or "" for found in attempts.values() for a in found)
    ours = [
        r.getMessage() for r in caplog.records if not r.name.startswith("mail.")
    ]  # not aiosmtpd
    logged = capsys.readouterr().out + " ".join(ours) + errors
    assert "notice_delivered" in logged and "notice_retry" in logged
    for secret in (
        "zhang.sanfeng",
        "13800138000",
        "张三丰",
        "QRSTUV2345",
        "天元路",
        "李小龙",
        "li.xiaolong",
        "13911112222",
        HOOK_SECRET,
        SMS_SECRET,
    ):
        assert secret not in logged, secret
