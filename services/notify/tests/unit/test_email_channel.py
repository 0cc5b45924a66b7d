"""How a notice looks as an e-mail: UTF-8, from the bureau, with headers that identify it."""

from __future__ import annotations

from email import message_from_bytes
from email.policy import default as default_policy

import pytest

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
    email = a_channel().build(a_message())

    parsed = message_from_bytes(email.as_bytes(), policy=default_policy)
    assert parsed["Subject"] == SUBJECT
    assert parsed["From"].addresses[0].display_name == "江宁市信访局"
    assert parsed["From"].addresses[0].addr_spec == "xinfang@jiangning.gov.example"
    assert parsed["To"] == "zhang.sanfeng@example.cn"
    assert parsed.get_content_charset() == "utf-8"
    assert "您提出的信访事项已予登记" in parsed.get_content()


def test_every_try_of_a_notice_carries_the_same_message_id_and_identifying_headers() -> None:
    first, second = a_channel().build(a_message()), a_channel().build(a_message())

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
