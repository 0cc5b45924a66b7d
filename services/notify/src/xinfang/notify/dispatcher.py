"""The dispatcher: a worker that sends due notices, each under a lease.

Several notify instances may run it at once: a notice is leased in a short transaction of its
own before it is sent, so only one instance sends it; the outcome and its event commit together
afterwards. A crash between the channel accepting a message and that commit sends it again when
the lease runs out, with the same Message-ID.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import TYPE_CHECKING

from xinfang.common.events import PoisonMessage
from xinfang.common.logging import get_logger
from xinfang.notify import domain, handlers, repository, templates
from xinfang.notify.channels import DeliveryError, OutboundMessage
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
                log.warning("dispatch_round_failed", error=repr(exc))
                claimed = 0
                await asyncio.sleep(1.0)
            if claimed < self.notify.settings.dispatch_batch:
                await self._wait()

    async def run_once(self) -> int:
        """Claim one batch of due notices and send them; returns how many were claimed."""
        notice_ids = await handlers.claim_due_notices(self.notify)
        results = await asyncio.gather(
            *(self.deliver(notice_id) for notice_id in notice_ids), return_exceptions=True
        )
        for notice_id, result in zip(notice_ids, results, strict=True):
            if isinstance(result, Exception):
                log.error("notice_outcome_not_recorded", notice_id=notice_id, error=repr(result))
        await self._measure(now=bool(notice_ids))
        return len(notice_ids)

    async def deliver(self, notice_id: str) -> None:
        """Send one claimed notice and record what happened."""
        notify = self.notify
        try:
            message = await compose(notify, notice_id=notice_id)
            await notify.channels[message.channel].send(message)
        except DeliveryError as exc:
            notice = await handlers.record_failure(notify, notice_id=notice_id, error=exc)
        except Exception as exc:  # a bug costs one attempt instead of looping on the notice
            error = DeliveryError("internal_error", type(exc).__name__)
            notice = await handlers.record_failure(notify, notice_id=notice_id, error=error)
        else:
            notice = await handlers.record_delivery(notify, notice_id=notice_id)
        if notice is not None:
            self._count(notice)

    def _count(self, notice: Notice) -> None:
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
        async with self.notify.db.reading() as session:
            pending = await repository.count_pending(session)
        self.notify.notice_metrics.queue_depth.set(pending)

    async def _wait(self) -> None:
        wakeup = self.notify.wakeup
        try:
            await asyncio.wait_for(
                wakeup.wait(), timeout=self.notify.settings.dispatch_interval_seconds
            )
        except TimeoutError:
            pass
        wakeup.clear()


async def compose(notify: Notify, *, notice_id: str) -> OutboundMessage:
    """Render a notice for its recipient, opening the sealed details for this moment only."""
    async with notify.db.reading() as session:
        notice = await repository.get_notice(session, notice_id=notice_id)
        case = await repository.get_case(session, case_no=notice.case_no) if notice else None
    if notice is None or case is None or notice.recipient_sealed is None:
        raise DeliveryError("not_deliverable", "notice, case or recipient missing", permanent=True)
    try:
        contacts = handlers.open_contacts(notify, case)
    except PoisonMessage as exc:
        raise DeliveryError("contacts_unreadable", str(exc)) from exc
    if contacts is None or notice.contact_position >= len(contacts.people):
        raise DeliveryError("not_deliverable", "the case's contacts lack the recipient")
    fields = domain.notice_fields(
        notice_type=notice.notice_type,
        facts=json.loads(notice.facts),
        case_no=case.case_no,
        title=case.title,
        received_at=case.received_at,
        name=contacts.people[notice.contact_position].name,
        query_code=contacts.query_code,
        authority=notify.settings.authority_name,
        portal_url=notify.settings.portal_url,
        today=notify.clock.now(),
    )
    rendered = templates.render(notice.template, fields)
    return OutboundMessage(
        notice_id=notice.id,
        case_no=notice.case_no,
        notice_type=notice.notice_type,
        channel=notice.channel,
        recipient=notify.sealer.open(notice.recipient_sealed),
        subject=rendered.subject,
        body=rendered.body,
    )
