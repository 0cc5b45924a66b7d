"""Webhooks: a department's system receives each notice as a signed JSON POST.

Headers: `X-Xinfang-Timestamp`, `X-Xinfang-Signature: sha256=<HMAC(secret, timestamp.body)>`, and
`X-Xinfang-Delivery` (the notice id, the same on every retry, so receivers can drop repeats).
"""

from __future__ import annotations

from collections.abc import Callable

import httpx

from xinfang.notify.channels.base import DeliveryError, OutboundMessage
from xinfang.notify.channels.http import post_signed


class WebhookChannel:
    name = "webhook"

    def __init__(
        self,
        *,
        timeout: float,
        timestamp: Callable[[], str],
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.timestamp = timestamp
        self.client = httpx.AsyncClient(timeout=timeout, transport=transport)

    async def send(self, message: OutboundMessage) -> None:
        if not message.secret:
            raise DeliveryError("webhook_unsigned", "no secret for this receiver", permanent=True)
        payload = {
            "notice_id": message.notice_id,
            "case_no": message.case_no,
            "notice_type": message.notice_type,
            "subject": message.subject,
            "body": message.body,
        }
        await post_signed(
            self.client,
            url=message.recipient,
            payload=payload,
            secret=message.secret,
            timestamp=self.timestamp(),
            headers={"X-Xinfang-Delivery": message.notice_id},
            prefix="webhook",
        )
