"""What intake consumes: durable name → subjects → event type → handler."""

from __future__ import annotations

from xinfang.common.messaging.consumer import Subscription
from xinfang.common.messaging.provision import ConsumerSpec
from xinfang.common.settings import BaseServiceSettings
from xinfang.intake import handlers


def subscriptions(settings: BaseServiceSettings) -> list[Subscription]:
    return [
        Subscription(
            spec=ConsumerSpec(
                durable="intake-case-view",
                subjects=[
                    "xinfang.petition.routed.>",
                    "xinfang.deadline.scheduled",
                    "xinfang.notice.delivered",
                    "xinfang.notice.failed",
                ],
                max_deliver=settings.consumer_max_deliver,
                ack_wait_seconds=settings.consumer_ack_wait_seconds,
                description="keeps intake's public view of each case",
            ),
            handlers=handlers.EVENT_HANDLERS,
        )
    ]
