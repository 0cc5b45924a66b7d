"""Routing's command and event handlers; the table of event handlers is at the bottom."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from xinfang.common.events import PetitionReceived
from xinfang.common.messaging.consumer import Handler
from xinfang.routing.handlers.placing import on_petition_received

if TYPE_CHECKING:
    from xinfang.routing.bootstrap import Routing


def event_handlers(routing: Routing) -> dict[str, Handler]:
    """The table of event handlers, bound to routing's container."""
    return {
        PetitionReceived.TYPE: partial(on_petition_received, routing=routing),
    }
