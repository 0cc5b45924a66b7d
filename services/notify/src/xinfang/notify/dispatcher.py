"""The dispatcher: a worker that sends due notices, each under a lease.

Several notify instances may run it at once: a notice is leased in a short transaction of its
own before it is sent, so only one instance sends it; the outcome and its event commit together
afterwards. A crash between the channel accepting a message and that commit sends it again when
the lease runs out, with the same Message-ID (e-mail), ref (SMS) or delivery id (webhook), or
over the same file (letter).

Before a send: SMS in quiet hours waits for the morning; a channel whose circuit is open is not
tried (its notices wait for the cool-down, the other channels go on).
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

from xinfang.common.logging import get_logger
from xinfang.notify import handlers, repository
from xinfang.notify.breaker import STATE_VALUE
from xinfang.notify.channels import DeliveryError
from xinfang.notify.compose import compose
from xinfang.notify.models import Notice

if TYPE_CHECKING:
    from xinfang.notify.bootstrap import Notify

log = get_logger(__name__)

MEASURE_EVERY_SECONDS = 5.0


class Dispatcher:
    """Claims due notices, renders and sends each through its channel, records the outcome."""

    def __init__(self, notify: Notify) -> None:
        self.notify = notify
        self._measured_at = 0.0

    async def run(self) -> None:
        """Send forever: woken when notices are created, and every dispatch interval."""
        while True:
            try:
                claimed = await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # leased notices come back when their lease runs out
                log.warning("dispatch_round_failed", error=type(exc).__name__)
                claimed = 0
                await asyncio.sleep(1.0)
            if claimed < self.notify.settings.dispatch_batch:
                await self._wait()

    async def run_once(self) -> int:
        """Claim one batch of due notices and send them; returns how many were claimed."""
        paused = self.notify.breakers.open_channels(self.notify.clock.now())
        notice_ids = await handlers.claim_due_notices(self.notify, paused=paused)
        results = await asyncio.gather(
            *(self.deliver(notice_id) for notice_id in notice_ids), return_exceptions=True
        )
        for notice_id, result in zip(notice_ids, results, strict=True):
            if isinstance(result, Exception):
                log.error(
                    "notice_outcome_not_recorded", notice_id=notice_id, error=type(result).__name__
                )
        await self._measure(now=bool(notice_ids))
        return len(notice_ids)

    async def deliver(self, notice_id: str) -> None:
        """Send one claimed notice and record what happened."""
        notify = self.notify
        try:
            message, masked = await compose(notify, notice_id=notice_id)
        except DeliveryError as exc:
            self._count(await handlers.record_failure(notify, notice_id=notice_id, error=exc))
            return
        if await self._held_back(notice_id, message.channel, message.audience):
            return
        breaker = notify.breakers.of(message.channel)
        try:
            await notify.channels[message.channel].send(message)
        except DeliveryError as exc:
            if not exc.permanent:
                breaker.failed(notify.clock.now())
            notice = await handlers.record_failure(notify, notice_id=notice_id, error=exc)
        except Exception as exc:  # a bug costs one attempt instead of looping on the notice
            breaker.failed(notify.clock.now())
            error = DeliveryError("internal_error", type(exc).__name__)
            notice = await handlers.record_failure(notify, notice_id=notice_id, error=error)
        else:
            breaker.succeeded()
            notice = await handlers.record_delivery(notify, notice_id=notice_id, masked=masked)
        self._count(notice)

    async def _held_back(self, notice_id: str, channel: str, audience: str) -> bool:
        """Quiet hours (SMS) and an open circuit put the notice back untried."""
        notify = self.notify
        now = notify.clock.now()
        morning = notify.schedule(channel, now, audience=audience)
        if morning > now:
            await handlers.defer(notify, notice_id=notice_id, until=morning, reason="quiet_hours")
            return True
        breaker = notify.breakers.of(channel)
        if not breaker.allows(now):
            await handlers.release(notify, notice_id=notice_id, until=breaker.reopens_at(now))
            return True
        return False

    def _count(self, notice: Notice | None) -> None:
        if notice is None:
            return
        metrics = self.notify.notice_metrics
        result = "retry" if notice.status == "pending" else notice.status
        metrics.deliveries.labels(notice.channel, result).inc()
        if notice.delivered_at is not None:
            latency = (notice.delivered_at - notice.event_time).total_seconds()
            metrics.delivery_latency.labels(notice.channel).observe(max(latency, 0.0))

    async def _measure(self, *, now: bool) -> None:
        if not now and time.monotonic() - self._measured_at < MEASURE_EVERY_SECONDS:
            return
        self._measured_at = time.monotonic()
        notify = self.notify
        async with notify.db.reading() as session:
            pending = await repository.count_pending(session)
            oldest = await repository.oldest_pending(session)
            failed = await repository.count_failed(session)
            unprinted = await repository.count_unprinted(session)
        metrics = notify.notice_metrics
        metrics.queue_depth.set(pending)
        metrics.dead_letters.set(failed)
        metrics.print_queue.set(unprinted)
        clock_now = notify.clock.now()
        age = (clock_now - oldest).total_seconds() if oldest is not None else 0.0
        metrics.oldest_age.set(max(age, 0.0))
        for channel in notify.channels:
            state = notify.breakers.of(channel).state(clock_now)
            metrics.breaker_state.labels(channel).set(STATE_VALUE[state])

    async def _wait(self) -> None:
        wakeup = self.notify.wakeup
        try:
            await asyncio.wait_for(
                wakeup.wait(), timeout=self.notify.settings.dispatch_interval_seconds
            )
        except TimeoutError:
            pass
        wakeup.clear()


__all__ = ["Dispatcher", "compose"]
