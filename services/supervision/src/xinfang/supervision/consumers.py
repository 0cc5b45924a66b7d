"""What supervision consumes: durable name → subjects → event type → handler."""

from __future__ import annotations

from xinfang.common.clock import Clock
from xinfang.common.messaging.consumer import Subscription
from xinfang.common.messaging.provision import ConsumerSpec
from xinfang.supervision import handlers
from xinfang.supervision.settings import SupervisionSettings


def subscriptions(settings: SupervisionSettings, *, clock: Clock) -> list[Subscription]:
    return [
        Subscription(
            spec=ConsumerSpec(
                durable="supervision-all",
                subjects=["xinfang.petition.received", "xinfang.petition.routed.>"],
                max_deliver=settings.consumer_max_deliver,
                ack_wait_seconds=settings.consumer_ack_wait_seconds,
                description="starts the legal clocks of each case",
            ),
            handlers=handlers.event_handlers(clock=clock, source=settings.event_source),
        )
    ]
