"""SMS through an HTTP gateway. The provider adapter posts `{to, text, ref}` signed with the
account's secret (HMAC over timestamp and body); `ref` is the notice id, so a gateway that keeps
refs can drop the duplicate a crash-and-resend would make."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from xinfang.notify.channels.base import OutboundMessage
from xinfang.notify.channels.http import post_signed

MAX_SMS_CHARS = 500  # a long message goes out as several parts; the gateway splits it


class SmsChannel:
    """Sends a notice's short text to a phone number through the configured gateway."""

    name = "sms"

    def __init__(
        self,
        *,
        url: str,
        account: str,
        secret: str,
        timeout: float,
        timestamp: Callable[[], str],
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.url, self.account, self.secret, self.timestamp = url, account, secret, timestamp
        self.client = httpx.AsyncClient(timeout=timeout, transport=transport)

    async def send(self, message: OutboundMessage) -> None:
        payload = {
            "to": message.recipient,
            "text": (message.sms or message.subject)[:MAX_SMS_CHARS],
            "ref": message.notice_id,
        }
        await post_signed(
            self.client,
            url=self.url,
            payload=payload,
            secret=self.secret,
            timestamp=self.timestamp(),
            headers={"X-Xinfang-Account": self.account},
            prefix="sms",
        )
