"""What every delivery channel (e-mail, SMS, webhook, letter, portal) offers the dispatcher."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class OutboundMessage:
    """A rendered notice for one recipient. The address is in clear here, and only in memory."""

    notice_id: str
    case_no: str
    notice_type: str
    channel: str
    recipient: str = field(repr=False)
    subject: str
    body: str = field(repr=False)
    sms: str = field(default="", repr=False)
    audience: str = "petitioner"
    locale: str = "zh"
    secret: str | None = field(default=None, repr=False)  # a webhook's signing key


class DeliveryError(Exception):
    """A message was not delivered.

    `reason` is a short code fit for events and metrics; `detail` is for operators and must not
    carry the address in clear. A permanent error (the address is refused) is not retried.
    """

    def __init__(self, reason: str, detail: str = "", *, permanent: bool = False) -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason, self.detail, self.permanent = reason, detail, permanent


class Channel(Protocol):
    """Delivers messages one way; raises DeliveryError when it could not."""

    name: str

    async def send(self, message: OutboundMessage) -> None: ...
