"""The smtp_server fixture receives real SMTP sessions, Chinese text included."""

from __future__ import annotations

import asyncio
import smtplib
from email.message import EmailMessage

import aiosmtplib

from xinfang.common.testing.plugin import SmtpServer

SUBJECT = "受理告知书：XF-2025-000123"
BODY = "张三同志：您反映的问题已于2025年3月1日受理，我们将在六十日内办结。"


def a_notice(**overrides: str) -> EmailMessage:
    """A notice e-mail in Chinese."""
    fields = {"From": "xinfang@example.gov.cn", "To": "zhangsan@example.com", "Subject": SUBJECT}
    fields |= overrides
    message = EmailMessage()
    for name, value in fields.items():
        message[name] = value
    message.set_content(BODY)
    return message


async def test_a_chinese_notice_sent_with_aiosmtplib_arrives_decoded(
    smtp_server: SmtpServer,
) -> None:
    await aiosmtplib.send(a_notice(), hostname=smtp_server.host, port=smtp_server.port)

    [mail] = smtp_server.messages
    assert mail.subject == SUBJECT
    assert mail.text.strip() == BODY
    assert mail.mail_from == "xinfang@example.gov.cn"
    assert mail.rcpt_tos == ["zhangsan@example.com"]


async def test_an_smtputf8_message_with_raw_utf8_headers_and_address_arrives_intact(
    smtp_server: SmtpServer,
) -> None:
    message = a_notice(To="张三@例子.中国")

    def send() -> None:
        with smtplib.SMTP(smtp_server.host, smtp_server.port) as client:
            # Non-ASCII addresses make smtplib use SMTPUTF8 and send the headers as raw UTF-8.
            client.send_message(message)

    await asyncio.to_thread(send)

    [mail] = smtp_server.messages
    assert mail.rcpt_tos == ["张三@例子.中国"]
    assert mail.message["To"] == "张三@例子.中国"
    assert mail.subject == SUBJECT
    assert mail.text.strip() == BODY
