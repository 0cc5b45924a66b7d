"""A batch through a channel without a batch of its own (SMS, webhooks, letters): concurrent, but
never more at once than the receiving end was given before batches grew."""

from __future__ import annotations

import asyncio

from xinfang.notify.channels import DeliveryError, OutboundMessage
from xinfang.notify.channels.base import IN_FLIGHT, send_all


class Gateway:
    """Counts how many sends it has at once; refuses the numbers it is told to."""

    name = "sms"

    def __init__(self, refuse: str = "") -> None:
        self.at_once = self.most = 0
        self.refuse = refuse

    async def send(self, message: OutboundMessage) -> None:
        self.at_once += 1
        self.most = max(self.most, self.at_once)
        await asyncio.sleep(0.001)  # the request in flight
        self.at_once -= 1
        if message.recipient == self.refuse:
            raise DeliveryError("sms_400", "receiver refused", permanent=True)


def texts(count: int) -> list[OutboundMessage]:
    return [
        OutboundMessage(
            notice_id=f"n{i}",
            case_no="XF20261122000001",
            notice_type="registration",
            channel="sms",
            recipient=f"1380013{i:04d}",
            subject="登记告知",
            body="",
        )
        for i in range(count)
    ]


async def test_a_batch_of_fifty_texts_has_at_most_ten_requests_in_flight() -> None:
    gateway = Gateway()

    errors = await send_all(gateway, texts(50), within=30)

    assert errors == [None] * 50
    assert gateway.most == IN_FLIGHT == 10


async def test_one_refused_text_spoils_none_of_the_others() -> None:
    gateway = Gateway(refuse="13800130003")

    errors = await send_all(gateway, texts(12), within=30)

    assert [i for i, e in enumerate(errors) if e is not None] == [3]
