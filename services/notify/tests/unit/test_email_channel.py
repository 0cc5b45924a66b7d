"""How a notice looks as an e-mail: UTF-8, from the bureau, with headers that identify it."""

from __future__ import annotations

from collections.abc import Iterator
from email import message_from_bytes
from email.policy import default as default_policy

import pytest
from aiosmtpd.controller import Controller

from xinfang.common.testing.nats_server import free_port
from xinfang.notify.channels import DeliveryError, OutboundMessage
from xinfang.notify.channels.email import EmailChannel
from xinfang.notify.channels.fake import FakeChannel

SUBJECT = "【江宁市信访局】信访事项登记告知（XF20261122000001）"


def a_message(**overrides: str) -> OutboundMessage:
    fields = {
        "notice_id": "9f1c2a",
        "case_no": "XF20261122000001",
        "notice_type": "registration",
        "channel": "email",
        "recipient": "zhang.sanfeng@example.cn",
        "subject": SUBJECT,
        "body": "张三丰：\n\n　　您提出的信访事项已予登记。\n",
    }
    return OutboundMessage(**(fields | overrides))


def a_channel() -> EmailChannel:
    return EmailChannel(
        host="127.0.0.1",
        port=1025,
        sender="xinfang@jiangning.gov.example",
        sender_name="江宁市信访局",
        timeout=1,
    )


def test_an_email_notice_is_utf8_from_the_bureau_and_reads_back_intact() -> None:
    parsed = message_from_bytes(a_channel().build(a_message()), policy=default_policy)
    assert parsed["Subject"] == SUBJECT
    assert parsed["From"].addresses[0].display_name == "江宁市信访局"
    assert parsed["From"].addresses[0].addr_spec == "xinfang@jiangning.gov.example"
    assert parsed["To"] == "zhang.sanfeng@example.cn"
    assert parsed.get_content_charset() == "utf-8"
    assert "您提出的信访事项已予登记" in parsed.get_content()


def test_a_long_body_and_subject_read_back_intact_through_any_mail_server() -> None:
    line = "　　经查，" + "该路段雨后积水的原因已经查明，" * 80  # one line of ~3,000 bytes
    subject = "【江宁市信访局】" + "信访事项处理意见书" * 8 + "（XF20261122000001）"
    raw = a_channel().build(a_message(subject=subject, body=line + "\n"))

    parsed = message_from_bytes(raw, policy=default_policy)
    assert raw.isascii()  # so a server without 8BITMIME takes it as it is
    assert max(len(row) for row in raw.splitlines()) <= 78
    assert parsed["Subject"] == subject
    assert parsed.get_content() == line + "\n"


def test_a_notice_to_an_internationalised_address_keeps_it_in_utf8() -> None:
    raw = a_channel().build(a_message(recipient="张三@例子.中国"))

    parsed = message_from_bytes(raw, policy=default_policy)
    assert parsed["To"] == "张三@例子.中国"
    assert parsed["Subject"] == SUBJECT
    assert parsed["Message-ID"] == "<notice-9f1c2a@xinfang.notify>"


def test_a_line_break_in_an_address_never_becomes_a_header_of_its_own() -> None:
    with pytest.raises(ValueError):
        a_channel().build(a_message(recipient="a@example.cn\r\nBcc: b@example.cn"))


def test_a_line_break_in_a_subject_stays_inside_the_subject() -> None:
    raw = a_channel().build(a_message(subject="登记告知\r\nBcc: b@example.cn"))

    parsed = message_from_bytes(raw, policy=default_policy)
    assert parsed["Bcc"] is None
    assert "Bcc: b@example.cn" in parsed["Subject"]


def test_every_try_of_a_notice_carries_the_same_message_id_and_identifying_headers() -> None:
    first, second = (
        message_from_bytes(a_channel().build(a_message()), policy=default_policy) for _ in range(2)
    )

    assert first["Message-ID"] == second["Message-ID"] == "<notice-9f1c2a@xinfang.notify>"
    assert first["X-Xinfang-Case"] == "XF20261122000001"
    assert first["X-Xinfang-Notice"] == "registration"


def test_a_message_never_shows_its_recipient_or_body_in_its_repr() -> None:
    shown = repr(a_message())

    assert "zhang.sanfeng" not in shown
    assert "张三丰" not in shown


async def test_an_unreachable_server_is_a_transient_error_that_does_not_quote_the_address() -> None:
    channel = a_channel()
    channel.port = free_port()  # nothing listens there

    with pytest.raises(DeliveryError) as failure:
        await channel.send(a_message())

    assert failure.value.reason == "smtp_unavailable"
    assert not failure.value.permanent
    assert "zhang.sanfeng@example.cn" not in str(failure.value)


async def test_the_fake_channel_fails_as_often_as_told_then_keeps_what_it_is_given() -> None:
    channel = FakeChannel()
    channel.fail_next(2)

    for _ in range(2):
        with pytest.raises(DeliveryError):
            await channel.send(a_message())
    await channel.send(a_message())

    assert channel.tries == 3
    assert [m.notice_id for m in channel.sent] == ["9f1c2a"]


class Recorder:
    """An SMTP server's handler that notes the client connection each message came over, and
    refuses the addresses it is told to."""

    def __init__(self, refuse: str = "") -> None:
        self.peers: list[object] = []
        self.refuse = refuse

    async def handle_RCPT(self, server, session, envelope, address, options) -> str:  # type: ignore[no-untyped-def]
        if address == self.refuse:
            return "550 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:  # type: ignore[no-untyped-def]
        self.peers.append(session.peer)
        return "250 OK"


@pytest.fixture
def recorder() -> Iterator[tuple[Recorder, int]]:
    handler, port = Recorder(refuse="nobody@example.cn"), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


async def test_a_batch_of_notices_goes_over_one_connection_and_a_refused_address_spoils_none_else(
    recorder: tuple[Recorder, int],
) -> None:
    handler, port = recorder
    channel = a_channel()
    channel.port = port
    batch = [a_message(notice_id=f"n{i}") for i in range(5)]
    batch[2] = a_message(notice_id="n2", recipient="nobody@example.cn")

    errors = await channel.send_many(batch, within=30)

    assert [e.reason if e else None for e in errors] == [
        None,
        None,
        "recipient_refused",
        None,
        None,
    ]
    assert errors[2] is not None and errors[2].permanent
    assert len(handler.peers) == 4
    assert len(set(handler.peers)) == 1  # one client socket for the whole batch


async def test_when_the_server_is_down_only_the_first_of_a_batch_counts_as_tried() -> None:
    channel = a_channel()
    channel.port = free_port()  # nothing listens there

    errors = await channel.send_many([a_message(notice_id=f"n{i}") for i in range(3)], within=30)

    assert errors[0] is not None and errors[0].reason == "smtp_unavailable" and errors[0].tried
    assert all(e is not None and not e.tried for e in errors[1:])


class Keeper:
    """An SMTP server's handler that keeps each message's bytes."""

    def __init__(self) -> None:
        self.mails: list[bytes] = []

    async def handle_DATA(self, server, session, envelope) -> str:  # type: ignore[no-untyped-def]
        self.mails.append(envelope.content)
        return "250 OK"


async def test_a_batch_mixing_plain_and_internationalised_addresses_arrives_intact() -> None:
    keeper, port = Keeper(), free_port()
    controller = Controller(keeper, hostname="127.0.0.1", port=port, enable_SMTPUTF8=True)
    controller.start()
    try:
        channel = a_channel()
        channel.port = port
        batch = [a_message(notice_id="n1"), a_message(notice_id="n2", recipient="张三@例子.中国")]

        errors = await channel.send_many(batch, within=30)
    finally:
        controller.stop()

    assert errors == [None, None]
    parsed = [message_from_bytes(mail, policy=default_policy) for mail in keeper.mails]
    assert [p["To"] for p in parsed] == ["zhang.sanfeng@example.cn", "张三@例子.中国"]
    assert {p["Subject"] for p in parsed} == {SUBJECT}
    assert all("您提出的信访事项已予登记" in p.get_content() for p in parsed)
