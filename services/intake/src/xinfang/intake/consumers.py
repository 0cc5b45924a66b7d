"""What intake consumes: durable name → subjects → event type → handler."""

from __future__ import annotations

from xinfang.common.messaging.consumer import Subscription
from xinfang.common.messaging.provision import ConsumerSpec
from xinfang.common.settings import BaseServiceSettings
from xinfang.intake import handlers

# Department events end in `.<DEPT>`, hence the `>` wildcards.
CASE_VIEW_SUBJECTS = [
    "xinfang.petition.routed.>",
    "xinfang.petition.triaged",
    "xinfang.assignment.>",
    "xinfang.case.>",
    "xinfang.review.>",
    "xinfang.deadline.scheduled",
    "xinfang.notice.delivered",
    "xinfang.notice.failed",
]


def subscriptions(settings: BaseServiceSettings) -> list[Subscription]:
    return [
        Subscription(
            spec=ConsumerSpec(
                durable="intake-case-view",
                subjects=CASE_VIEW_SUBJECTS,
                max_deliver=settings.consumer_max_deliver,
                ack_wait_seconds=settings.consumer_ack_wait_seconds,
                description="keeps intake's public view of each case",
            ),
            handlers=handlers.EVENT_HANDLERS,
        )
    ]
