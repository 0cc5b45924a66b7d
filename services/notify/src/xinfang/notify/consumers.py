"""What notify consumes: durable name → subjects → event type → handler."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from xinfang.common.messaging.consumer import Subscription
from xinfang.common.messaging.provision import ConsumerSpec
from xinfang.notify import handlers

if TYPE_CHECKING:
    from xinfang.notify.bootstrap import Notify


# Every step that calls for a notice; department events carry the department's code last.
SUBJECTS = [
    "xinfang.petition.received",
    "xinfang.petition.routed.>",
    "xinfang.petition.refused",
    "xinfang.assignment.accepted.>",
    "xinfang.assignment.extension_decided.>",
    "xinfang.case.answered.>",
    "xinfang.supervision.order_issued",
    "xinfang.supervision.escalated",
    "xinfang.deadline.warned",
    "xinfang.deadline.missed",
    "xinfang.alert.raised",
]


def subscriptions(notify: Notify) -> list[Subscription]:
    settings = notify.settings
    return [
        Subscription(
            spec=ConsumerSpec(
                durable="notify-notices",
                subjects=SUBJECTS,
                max_deliver=settings.consumer_max_deliver,
                ack_wait_seconds=settings.consumer_ack_wait_seconds,
                description="makes the notices each step of a case calls for",
            ),
            handlers={
                type_name: partial(handler, notify)
                for type_name, handler in handlers.EVENT_HANDLERS.items()
            },
        )
    ]
