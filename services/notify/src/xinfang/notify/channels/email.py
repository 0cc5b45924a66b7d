"""E-mail over SMTP with aiosmtplib: formal UTF-8 notices with recognisable headers."""

from __future__ import annotations

import base64
import contextlib
import re
import time
from email.header import Header
from email.message import EmailMessage
from email.policy import SMTPUTF8
from email.utils import formataddr, formatdate

import aiosmtplib

from xinfang.common.privacy import mask_email
from xinfang.notify.channels.base import DeliveryError, OutboundMessage, not_tried

CRLF = "\r\n"
BODY_HEADERS = ("MIME-Version: 1.0", 'Content-Type: text/plain; charset="utf-8"')


def message_id(notice_id: str) -> str:
    """The same for every try of a notice, so a resend after a crash is seen as the same mail."""
    return f"<notice-{notice_id}@xinfang.notify>"


class EmailChannel:
    """Sends each notice as one plain-text e-mail; a batch shares one connection."""

    name = "email"

    def __init__(
        self, *, host: str, port: int, sender: str, sender_name: str, timeout: float
    ) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self.sender, self.sender_name = sender, sender_name
        self._from = formataddr((sender_name, sender), charset="utf-8")

    def build(self, message: OutboundMessage) -> bytes:
        """The e-mail for a notice, as it goes to the server: UTF-8 text in base64, the subject
        in encoded words, every line 7-bit.

        Written out here rather than by the email package's generator, whose header parsing and
        folding cost more than the rest of a notice's delivery: only the subject needs encoding,
        and the other headers are plain ASCII without line breaks (a line break is refused, so
        no value can start a header of its own). An internationalised address needs UTF-8
        headers (SMTPUTF8), and takes the email package's path (the body in base64 still).
        """
        if not message.recipient.isascii():
            return self._build_international(message)
        subject = Header(message.subject, "utf-8", header_name="Subject").encode(linesep=CRLF)
        headers = [
            f"From: {self._from}",
            f"To: {_plain(message.recipient)}",
            f"Subject: {subject}",
            f"Date: {formatdate(usegmt=True)}",
            f"Message-ID: {message_id(_plain(message.notice_id))}",
            f"X-Xinfang-Case: {_plain(message.case_no)}",
            f"X-Xinfang-Notice: {_plain(message.notice_type)}",
            *BODY_HEADERS,
            "Content-Transfer-Encoding: base64",
        ]
        body = base64.encodebytes(message.body.encode("utf-8")).replace(b"\n", b"\r\n")
        return (CRLF.join(headers) + CRLF + CRLF).encode("ascii") + body

    def _build_international(self, message: OutboundMessage) -> bytes:
        email = EmailMessage()
        email["From"] = formataddr((self.sender_name, self.sender))
        email["To"] = message.recipient
        email["Subject"] = message.subject
        email["Date"] = formatdate(usegmt=True)
        email["Message-ID"] = message_id(message.notice_id)
        email["X-Xinfang-Case"] = message.case_no
        email["X-Xinfang-Notice"] = message.notice_type
        email.set_content(message.body, charset="utf-8", cte="base64")
        return email.as_bytes(policy=SMTPUTF8)

    async def send(self, message: OutboundMessage) -> None:
        [error] = await self.send_many([message], within=self.timeout)
        if error is not None:
            raise error

    async def send_many(
        self, messages: list[OutboundMessage], *, within: float
    ) -> list[DeliveryError | None]:
        """Send in turn on one connection; what went wrong with each (None: accepted).

        After a connection failure, or once `within` seconds have passed (the lease must outlast
        the batch), the rest are left untried rather than sent late or to a dead server.
        """
        ends = time.monotonic() + within
        smtp = aiosmtplib.SMTP(hostname=self.host, port=self.port, timeout=self.timeout)
        results: list[DeliveryError | None] = []
        try:
            for message in messages:
                if results and (not smtp.is_connected or time.monotonic() > ends):
                    results.append(not_tried(message, "the batch's connection or time ran out"))
                    continue
                results.append(await self._send_on(smtp, message))
        finally:
            if smtp.is_connected:
                with contextlib.suppress(aiosmtplib.SMTPException, OSError):
                    await smtp.quit()
        return results

    async def _send_on(
        self, smtp: aiosmtplib.SMTP, message: OutboundMessage
    ) -> DeliveryError | None:
        try:
            if not smtp.is_connected:
                await smtp.connect()
            utf8 = [] if message.recipient.isascii() else ["SMTPUTF8"]
            mail = self.build(message)
            await smtp.sendmail(self.sender, [message.recipient], mail, mail_options=utf8)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            return _error("recipient_refused", exc, message, permanent=True)
        except aiosmtplib.SMTPResponseException as exc:
            return _error(f"smtp_{exc.code}", exc, message)
        except (aiosmtplib.SMTPException, OSError) as exc:  # refused, timed out, disconnected
            smtp.close()
            return _error("smtp_unavailable", exc, message)
        return None


def _plain(value: str) -> str:
    """A header's value as given, if it is one line of printable ASCII."""
    if not (value.isascii() and value.isprintable()):
        raise ValueError("a header value must be one line of printable ASCII")
    return value


def _error(
    reason: str, exc: Exception, message: OutboundMessage, *, permanent: bool = False
) -> DeliveryError:
    # A server's reply often quotes the address; operators see it masked.
    detail = re.sub(
        re.escape(message.recipient), mask_email(message.recipient), str(exc), flags=re.I
    )
    return DeliveryError(reason, f"{type(exc).__name__}: {detail}"[:500], permanent=permanent)
