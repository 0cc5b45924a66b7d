"""E-mail over SMTP with aiosmtplib: formal UTF-8 notices with recognisable headers."""

from __future__ import annotations

import contextlib
import re
import time
from email.header import Header
from email.message import EmailMessage, Message
from email.mime.text import MIMEText
from email.utils import formataddr, formatdate

import aiosmtplib

from xinfang.common.privacy import mask_email
from xinfang.notify.channels.base import DeliveryError, OutboundMessage, not_tried


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

    def build(self, message: OutboundMessage) -> Message:
        """The e-mail for a notice: UTF-8 text in base64, the subject in encoded words.

        Built with the email package's compat32 classes, which write headers as given: the
        modern `EmailMessage` parses and refolds every header, and cost more than the rest of a
        notice's delivery. Its recipient and identifying headers must be plain ASCII text (no line
        breaks); a notice whose are not (an internationalised address) takes the modern path.
        """
        if not all(_plain(v) for v in (message.recipient, message.case_no, message.notice_type)):
            return self._build_modern(message)
        email = MIMEText(message.body, "plain", "utf-8")
        email["From"] = self._from
        email["To"] = message.recipient
        email["Subject"] = Header(message.subject, "utf-8")  # type: ignore[assignment]
        email["Date"] = formatdate(usegmt=True)
        email["Message-ID"] = message_id(message.notice_id)
        email["X-Xinfang-Case"] = message.case_no
        email["X-Xinfang-Notice"] = message.notice_type
        return email

    def _build_modern(self, message: OutboundMessage) -> EmailMessage:
        email = EmailMessage()
        email["From"] = formataddr((self.sender_name, self.sender))
        email["To"] = message.recipient
        email["Subject"] = message.subject
        email["Date"] = formatdate(usegmt=True)
        email["Message-ID"] = message_id(message.notice_id)
        email["X-Xinfang-Case"] = message.case_no
        email["X-Xinfang-Notice"] = message.notice_type
        email.set_content(message.body, charset="utf-8")
        return email

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
            await smtp.send_message(
                self.build(message), sender=self.sender, recipients=[message.recipient]
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            return _error("recipient_refused", exc, message, permanent=True)
        except aiosmtplib.SMTPResponseException as exc:
            return _error(f"smtp_{exc.code}", exc, message)
        except (aiosmtplib.SMTPException, OSError) as exc:  # refused, timed out, disconnected
            smtp.close()
            return _error("smtp_unavailable", exc, message)
        return None


def _plain(value: str) -> bool:
    return value.isascii() and value.isprintable()


def _error(
    reason: str, exc: Exception, message: OutboundMessage, *, permanent: bool = False
) -> DeliveryError:
    # A server's reply often quotes the address; operators see it masked.
    detail = re.sub(
        re.escape(message.recipient), mask_email(message.recipient), str(exc), flags=re.I
    )
    return DeliveryError(reason, f"{type(exc).__name__}: {detail}"[:500], permanent=permanent)
