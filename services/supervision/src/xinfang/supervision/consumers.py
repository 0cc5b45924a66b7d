"""What supervision consumes: durable name → subjects → event type → handler."""

from __future__ import annotations

from xinfang.common.messaging.consumer import Subscription
from xinfang.common.messaging.provision import ConsumerSpec
from xinfang.supervision import handlers
from xinfang.supervision.context import Context
from xinfang.supervision.settings import SupervisionSettings

SUBJECTS = [
    "xinfang.petition.received",
    "xinfang.petition.refused",
    "xinfang.petition.evaluated",
    "xinfang.petition.review_requested",
    "xinfang.petition.routed.>",
    "xinfang.assignment.>",
    "xinfang.case.answered.>",
]


def subscriptions(settings: SupervisionSettings, *, ctx: Context) -> list[Subscription]:
    return [
        Subscription(
            spec=ConsumerSpec(
                durable="supervision-all",
                subjects=SUBJECTS,
                max_deliver=settings.consumer_max_deliver,
                ack_wait_seconds=settings.consumer_ack_wait_seconds,
                description="the legal clocks and status of each case",
            ),
            handlers=handlers.event_handlers(ctx=ctx),
        )
    ]
