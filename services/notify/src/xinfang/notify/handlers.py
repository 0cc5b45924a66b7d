"""Notify's event and command handlers; the table of event handlers is at the bottom.

Event handlers run in the consumer runner's transaction. The delivery handlers own theirs: each
outcome and the event that reports it commit together.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlmodel.ext.asyncio.session import AsyncSession

from xinfang.common.crypto import keyed_hash
from xinfang.common.db import after_commit
from xinfang.common.events import (
    Envelope,
    Event,
    NoticeDelivered,
    NoticeFailed,
    PetitionReceived,
    PetitionRouted,
    PoisonMessage,
)
from xinfang.common.logging import get_logger
from xinfang.common.messaging.outbox import add_event
from xinfang.common.privacy import mask_email
from xinfang.notify import domain, repository, templates
from xinfang.notify.channels import DeliveryError
from xinfang.notify.models import Notice, NoticeCase

if TYPE_CHECKING:
    from xinfang.notify.bootstrap import Notify

log = get_logger(__name__)

EventHandler = Callable[["Notify", AsyncSession, Event, Envelope], Awaitable[None]]


# --- event handlers: what a case's steps call for ---------------------------------------------


async def on_received(
    notify: Notify, session: AsyncSession, event: Event, envelope: Envelope
) -> None:
    """Keep what a notice about the case will need; its contacts stay sealed."""
    assert isinstance(event, PetitionReceived)
    if await repository.get_case(session, case_no=event.case_no) is not None:
        return  # the same petition again, under another event id
    session.add(
        NoticeCase(
            case_no=event.case_no,
            title=event.title,
            channel=event.channel,
            received_at=event.received_at,
            contact_sealed=event.contact_sealed,
        )
    )


async def on_routed(
    notify: Notify, session: AsyncSession, event: Event, envelope: Envelope
) -> None:
    """Tell each petitioner the case was registered and where it went (登记/转送告知)."""
    assert isinstance(event, PetitionRouted)
    case = await repository.get_case(session, case_no=event.case_no)
    if case is None:
        raise domain.CaseNotReceived(f"{event.case_no} routed before notify saw it received")
    contacts = open_contacts(notify, case)
    if contacts is None:
        log.info("notice_not_needed", case_no=case.case_no, reason="no_contact_details")
        return
    facts = domain.registration_facts(
        department_code=event.department_code,
        department_name=event.department_name,
        mode=event.mode,
        routed_at=event.routed_at,
    )
    for contact in domain.recipients(contacts):
        await _add_notice(
            notify,
            session,
            case_no=case.case_no,
            notice_type=domain.REGISTRATION,
            step=domain.registration_step(event.department_code),
            contact=contact,
            facts=facts,
            event_time=envelope.time,
        )


def open_contacts(notify: Notify, case: NoticeCase) -> domain.Contacts | None:
    """The case's contacts in clear, for this moment only; None if intake sent none."""
    if case.contact_sealed is None:
        return None
    try:
        return domain.read_contacts(notify.sealer.open(case.contact_sealed))
    except ValueError as exc:  # a key intake does not share: no retry will open it
        raise PoisonMessage(f"{case.case_no}: contact details cannot be opened: {exc}") from exc


async def _add_notice(
    notify: Notify,
    session: AsyncSession,
    *,
    case_no: str,
    notice_type: str,
    step: str,
    contact: domain.Contact,
    facts: dict[str, str],
    event_time: datetime,
) -> None:
    recipient_hash = keyed_hash(contact.identity, key=notify.settings.hash_key)
    key = {"notice_type": notice_type, "recipient_hash": recipient_hash, "step": step}
    if await repository.find_notice(session, case_no=case_no, **key) is not None:
        return  # the step was told already: a redelivery, or the same step from another path
    now = notify.clock.now()
    notice = Notice(
        id=uuid.uuid4().hex,
        case_no=case_no,
        template=templates.LATEST[notice_type],
        channel="email",
        recipient_sealed=notify.sealer.seal(contact.email) if contact.email else None,
        recipient_masked=mask_email(contact.email) if contact.email else None,
        contact_position=contact.position,
        facts=json.dumps(facts, ensure_ascii=False),
        event_time=event_time,
        created_at=now,
        next_attempt_at=now,
        **key,
    )
    session.add(notice)
    if contact.email is None:
        _fail(notify, session, notice, reason="no_email", now=now)
        log.warning("notice_failed", **_about(notice), reason="no_email")
        return
    after_commit(session, notify.wakeup.set)


# --- delivery: the dispatcher's claims and outcomes ---------------------------------------------


async def claim_due_notices(notify: Notify) -> list[str]:
    """Lease a batch of due notices to this instance, in a short transaction of its own."""
    now = notify.clock.now()
    until = now + timedelta(seconds=notify.settings.lease_seconds)
    async with notify.db.reading() as session:
        if not await repository.any_due(session, now=now):
            return []
    async with notify.db.transaction() as session:
        return await repository.claim_due(
            session, now=now, until=until, limit=notify.settings.dispatch_batch
        )


async def record_delivery(notify: Notify, *, notice_id: str) -> Notice | None:
    """Mark a sent notice delivered and emit `notice.delivered`; None if it was settled already."""
    async with notify.db.transaction() as session:
        notice = await _pending(session, notice_id)
        if notice is None:
            return None
        now = notify.clock.now()
        notice.status, notice.delivered_at, notice.locked_until = "delivered", now, None
        notice.attempts += 1
        session.add(notice)
        event = NoticeDelivered(
            case_no=notice.case_no,
            notice_id=notice.id,
            notice_type=notice.notice_type,
            channel=notice.channel,
            recipient_masked=notice.recipient_masked or "",
            delivered_at=now,
        )
        add_event(session, event, source=notify.source, now=now)
    log.info("notice_delivered", **_about(notice))
    return notice


async def record_failure(notify: Notify, *, notice_id: str, error: DeliveryError) -> Notice | None:
    """Count a failed try: schedule the next with back-off, or give up and emit `notice.failed`."""
    settings = notify.settings
    async with notify.db.transaction() as session:
        notice = await _pending(session, notice_id)
        if notice is None:
            return None
        now = notify.clock.now()
        notice.attempts += 1
        notice.last_error = f"{error.reason}: {error.detail}"[:1000]
        notice.locked_until = None
        if domain.gives_up(
            attempts=notice.attempts, max_attempts=settings.max_attempts, permanent=error.permanent
        ):
            _fail(notify, session, notice, reason=error.reason, now=now)
        else:
            delay = domain.retry_delay(
                notice.attempts, base=settings.retry_base_seconds, cap=settings.retry_max_seconds
            )
            notice.next_attempt_at = now + delay
            session.add(notice)
    outcome = "notice_failed" if notice.status == "failed" else "notice_retry_scheduled"
    log.warning(outcome, **_about(notice), reason=error.reason)
    return notice


async def _pending(session: AsyncSession, notice_id: str) -> Notice | None:
    notice = await repository.get_notice(session, notice_id=notice_id, for_update=True)
    return notice if notice is not None and notice.status == "pending" else None


def _fail(
    notify: Notify, session: AsyncSession, notice: Notice, *, reason: str, now: datetime
) -> None:
    notice.status, notice.failed_at, notice.locked_until = "failed", now, None
    notice.last_error = notice.last_error or reason
    session.add(notice)
    event = NoticeFailed(
        case_no=notice.case_no,
        notice_id=notice.id,
        notice_type=notice.notice_type,
        channel=notice.channel,
        recipient_masked=notice.recipient_masked,
        reason=reason,
        attempts=notice.attempts,
        failed_at=now,
    )
    add_event(session, event, source=notify.source, now=now)


def _about(notice: Notice) -> dict[str, object]:
    """What a log line may say about a notice: never its recipient."""
    return {
        "case_no": notice.case_no,
        "notice_id": notice.id,
        "notice_type": notice.notice_type,
        "channel": notice.channel,
        "attempts": notice.attempts,
    }


EVENT_HANDLERS: dict[str, EventHandler] = {
    PetitionReceived.TYPE: on_received,
    PetitionRouted.TYPE: on_routed,
}
