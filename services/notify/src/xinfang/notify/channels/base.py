"""What every delivery channel (e-mail, SMS, webhook, letter, portal) offers the dispatcher."""

from __future__ import annotations

import asyncio
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

    def __init__(
        self, reason: str, detail: str = "", *, permanent: bool = False, tried: bool = True
    ) -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason, self.detail, self.permanent, self.tried = reason, detail, permanent, tried


def not_tried(message: OutboundMessage, why: str) -> DeliveryError:
    """A message a batch left unsent (its connection broke or its time ran out): it goes back to
    the queue without counting as a try."""
    return DeliveryError("not_tried", f"{message.notice_id}: {why}", tried=False)


class Channel(Protocol):
    """Delivers messages one way; raises DeliveryError when it could not."""

    name: str

    async def send(self, message: OutboundMessage) -> None: ...


IN_FLIGHT = 10  # a batch's sends one channel has at once (an SMS gateway's or a webhook's load)


async def send_all(
    channel: Channel, messages: list[OutboundMessage], *, within: float
) -> list[BaseException | None]:
    """Send a batch: through the channel's `send_many` where it has one (e-mail: one connection
    for the batch), else each message concurrently, at most `IN_FLIGHT` at a time; what went
    wrong with each, None where sent."""
    send_many = getattr(channel, "send_many", None)
    if send_many is not None:
        return list(await send_many(messages, within=within))
    gate = asyncio.Semaphore(IN_FLIGHT)

    async def send(message: OutboundMessage) -> None:
        async with gate:
            await channel.send(message)

    return list(await asyncio.gather(*(send(m) for m in messages), return_exceptions=True))
