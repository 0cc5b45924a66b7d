"""What routing consumes: durable name → subjects → event type → handler."""

from __future__ import annotations

from typing import TYPE_CHECKING

from xinfang.common.messaging.consumer import Subscription
from xinfang.common.messaging.provision import ConsumerSpec
from xinfang.routing import handlers

if TYPE_CHECKING:
    from xinfang.routing.bootstrap import Routing


def subscriptions(routing: Routing) -> list[Subscription]:
    settings = routing.settings
    return [
        Subscription(
            spec=ConsumerSpec(
                durable="routing-petitions",
                subjects=["xinfang.petition.received"],
                max_deliver=settings.consumer_max_deliver,
                ack_wait_seconds=settings.consumer_ack_wait_seconds,
                description="assigns each received petition to its lead department",
            ),
            handlers=handlers.event_handlers(routing),
        )
    ]
