"""A worker that keeps routing's queue gauges current from the database, so every instance
reports the same numbers: cases waiting for triage, webhook deliveries pending and failed."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from sqlalchemy import func
from sqlmodel import select

from xinfang.common.logging import get_logger
from xinfang.routing.models import Assignment, WebhookDelivery

if TYPE_CHECKING:
    from xinfang.routing.bootstrap import Routing

log = get_logger(__name__)


class QueueGauges:
    """Measures every `interval` seconds."""

    def __init__(self, routing: Routing, interval: float = 5.0) -> None:
        self.routing, self.interval = routing, interval

    async def measure(self) -> None:
        async with self.routing.db.reading() as session:
            triage = select(func.count()).where(Assignment.status == "triage")
            self.routing.triage_waiting.set((await session.exec(triage)).one())
            by_status = select(WebhookDelivery.status, func.count()).group_by(
                WebhookDelivery.status
            )
            counts = dict((await session.exec(by_status)).all())
        for status in ("pending", "failed"):
            self.routing.webhook_backlog.labels(status).set(counts.get(status, 0))

    async def run(self) -> None:
        while True:
            try:
                await self.measure()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.debug("routing_gauges_failed", error=repr(exc))
            await asyncio.sleep(self.interval)
