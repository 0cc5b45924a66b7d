"""E-mail over SMTP with aiosmtplib: formal UTF-8 notices with recognisable headers."""

from __future__ import annotations

import re
from email.message import EmailMessage
from email.utils import formataddr, formatdate

import aiosmtplib

from xinfang.common.privacy import mask_email
from xinfang.notify.channels.base import DeliveryError, OutboundMessage


def message_id(notice_id: str) -> str:
    """The same for every try of a notice, so a resend after a crash is seen as the same mail."""
    return f"<notice-{notice_id}@xinfang.notify>"


class EmailChannel:
    """Sends each notice as one plain-text e-mail, on a connection of its own."""

    name = "email"

    def __init__(
        self, *, host: str, port: int, sender: str, sender_name: str, timeout: float
    ) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self.sender, self.sender_name = sender, sender_name

    def build(self, message: OutboundMessage) -> EmailMessage:
        """The e-mail for a notice."""
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
        try:
            await aiosmtplib.send(
                self.build(message),
                sender=self.sender,
                recipients=[message.recipient],
                hostname=self.host,
                port=self.port,
                timeout=self.timeout,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            raise _error("recipient_refused", exc, message, permanent=True) from exc
        except aiosmtplib.SMTPResponseException as exc:
            raise _error(f"smtp_{exc.code}", exc, message) from exc
        except (aiosmtplib.SMTPException, OSError) as exc:  # refused, timed out, disconnected
            raise _error("smtp_unavailable", exc, message) from exc


def _error(
    reason: str, exc: Exception, message: OutboundMessage, *, permanent: bool = False
) -> DeliveryError:
    # A server's reply often quotes the address; operators see it masked.
    detail = re.sub(
        re.escape(message.recipient), mask_email(message.recipient), str(exc), flags=re.I
    )
    return DeliveryError(reason, f"{type(exc).__name__}: {detail}"[:500], permanent=permanent)
