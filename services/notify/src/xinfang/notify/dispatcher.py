"""The dispatcher: a worker that sends due notices in batches, each notice under a lease.

Several notify instances may run it at once: a batch of notices is leased in a short transaction
of its own before it is sent, so only one instance sends each; the e-mails of a batch share one
SMTP connection, and the batch's outcomes and their events commit together in one transaction
afterwards. A crash between the channel accepting a message and that commit sends it again when
the lease runs out (at-least-once: at most one batch, `dispatch_batch` notices, sent twice), with
the same Message-ID (e-mail), ref (SMS) or delivery id (webhook), or over the same file (letter),
so the recipient's side can tell the copy.

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
from xinfang.notify.channels import DeliveryError, OutboundMessage
from xinfang.notify.channels.base import send_all
from xinfang.notify.compose import compose, compose_all
from xinfang.notify.models import NoticeRecord

if TYPE_CHECKING:
    from xinfang.notify.bootstrap import Notify

log = get_logger(__name__)

MEASURE_EVERY_SECONDS = 5.0


class Dispatcher:
    """Claims due notices, renders and sends each through its channel, records the outcome."""

    def __init__(self, notify: Notify) -> None:
        self.notify = notify
        self._measured_at = -MEASURE_EVERY_SECONDS  # the first round measures

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
        """Claim one batch of due notices, send them and record every outcome in one
        transaction; returns how many were claimed."""
        paused = self.notify.breakers.open_channels(self.notify.clock.now())
        notice_ids = await handlers.claim_due_notices(self.notify, paused=paused)
        if notice_ids:
            outcomes = await self.deliver_all(notice_ids)
            try:
                for notice in await handlers.record_outcomes(self.notify, outcomes):
                    self._count(notice)
            except Exception as exc:  # their leases run out and they are sent again
                log.error("notice_outcomes_not_recorded", count=len(outcomes), error=repr(exc))
        await self._measure()
        return len(notice_ids)

    async def deliver_all(self, notice_ids: list[str]) -> list[handlers.Outcome]:
        """Render the claimed notices and send them, each channel's share together."""
        outcomes: list[handlers.Outcome] = []
        by_channel: dict[str, list[tuple[OutboundMessage, str | None]]] = {}
        for notice_id, composed in (await compose_all(self.notify, notice_ids=notice_ids)).items():
            if isinstance(composed, DeliveryError):
                outcomes.append(handlers.Outcome(notice_id, "failed", error=composed))
                continue
            held = self._held_back(composed[0])
            if held is not None:
                outcomes.append(held)
            else:
                by_channel.setdefault(composed[0].channel, []).append(composed)
        sent = await asyncio.gather(*(self._send(c, batch) for c, batch in by_channel.items()))
        return outcomes + [outcome for batch in sent for outcome in batch]

    async def _send(
        self, channel: str, batch: list[tuple[OutboundMessage, str | None]]
    ) -> list[handlers.Outcome]:
        notify = self.notify
        errors = await send_all(
            notify.channels[channel],
            [message for message, _ in batch],
            within=notify.settings.lease_seconds / 2,  # the lease must outlast the batch
        )
        return [
            self._outcome(message, masked, error)
            for (message, masked), error in zip(batch, errors, strict=True)
        ]

    def _outcome(
        self, message: OutboundMessage, masked: str | None, error: BaseException | None
    ) -> handlers.Outcome:
        """What one send's result means for the notice and for its channel's breaker."""
        now = self.notify.clock.now()
        breaker = self.notify.breakers.of(message.channel)
        if error is None:
            breaker.succeeded()
            return handlers.Outcome(message.notice_id, "delivered", masked=masked)
        if isinstance(error, DeliveryError) and not error.tried:
            return handlers.Outcome(message.notice_id, "released", until=now)
        if not isinstance(error, DeliveryError):  # a bug costs one attempt, not a loop
            error = DeliveryError("internal_error", type(error).__name__)
            breaker.failed(now)
        elif not error.permanent:
            breaker.failed(now)
        return handlers.Outcome(message.notice_id, "failed", error=error)

    def _held_back(self, message: OutboundMessage) -> handlers.Outcome | None:
        """Quiet hours (SMS) and an open circuit put the notice back untried."""
        notify = self.notify
        now = notify.clock.now()
        morning = notify.schedule(message.channel, now, audience=message.audience)
        if morning > now:
            return handlers.Outcome(
                message.notice_id, "deferred", until=morning, note="quiet_hours"
            )
        breaker = notify.breakers.of(message.channel)
        if not breaker.allows(now):
            return handlers.Outcome(message.notice_id, "released", until=breaker.reopens_at(now))
        return None

    def _count(self, notice: NoticeRecord | None) -> None:
        if notice is None:
            return
        metrics = self.notify.notice_metrics
        result = "retry" if notice.status == "pending" else notice.status
        metrics.deliveries.labels(notice.channel, result).inc()
        if notice.delivered_at is not None:
            latency = (notice.delivered_at - notice.event_time).total_seconds()
            metrics.delivery_latency.labels(notice.channel).observe(max(latency, 0.0))

    async def _measure(self) -> None:
        """The gauges: the circuits every round (they live in memory), the queue from the
        database at most every `MEASURE_EVERY_SECONDS` (four counts; Prometheus scrapes far less
        often than a busy dispatcher sends a batch)."""
        notify = self.notify
        clock_now = notify.clock.now()
        for channel in notify.channels:
            state = notify.breakers.of(channel).state(clock_now)
            notify.notice_metrics.breaker_state.labels(channel).set(STATE_VALUE[state])
        if time.monotonic() - self._measured_at < MEASURE_EVERY_SECONDS:
            return
        self._measured_at = time.monotonic()
        async with notify.db.reading() as session:
            pending = await repository.count_pending(session)
            oldest = await repository.oldest_pending(session)
            failed = await repository.count_failed(session)
            unprinted = await repository.count_unprinted(session)
        metrics = notify.notice_metrics
        metrics.queue_depth.set(pending)
        metrics.dead_letters.set(failed)
        metrics.print_queue.set(unprinted)
        age = (notify.clock.now() - oldest).total_seconds() if oldest is not None else 0.0
        metrics.oldest_age.set(max(age, 0.0))

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
