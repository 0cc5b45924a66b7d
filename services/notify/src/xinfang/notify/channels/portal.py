"""In-portal notices: nothing to send. Intake shows the `notice.delivered` event (channel portal)
on the case's timeline, which the petitioner reads with the query code."""

from __future__ import annotations

from xinfang.notify.channels.base import OutboundMessage


class PortalChannel:
    name = "portal"

    async def send(self, message: OutboundMessage) -> None:
        return None
