"""Event handlers: what each step of a case calls for, as notices made once per
(case, notice type, recipient, step). Run in the consumer runner's transaction, which applies a
batch of events: the cases and notice keys they read are kept for the rest of the batch, and the
rows they make are written together when it commits (`xinfang.notify.rows`)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlmodel.ext.asyncio.session import AsyncSession

from xinfang.common.crypto import keyed_hash
from xinfang.common.db import after_commit
from xinfang.common.events import (
    Envelope,
    Event,
    NoticeDelivered,
    PetitionReceived,
    PetitionRouted,
    PoisonMessage,
)
from xinfang.common.logging import get_logger
from xinfang.common.messaging.outbox import add_event
from xinfang.notify import domain, repository, rows, templates
from xinfang.notify.handlers.delivery import about, add_attempt, fail
from xinfang.notify.models import CaseRecord, NoticeRecord
from xinfang.notify.plans import Plan, plans_for

if TYPE_CHECKING:
    from xinfang.notify.bootstrap import Notify

log = get_logger(__name__)

EventHandler = Callable[["Notify", AsyncSession, Event, Envelope], Awaitable[None]]


@dataclass(frozen=True)
class Recipient:
    """Whom a notice is for, as stored: a key to de-duplicate, never an address in clear."""

    audience: str
    identity: str
    chain: list[str]
    masked: str | None
    ref: str = ""
    position: int = -1


async def on_received(
    notify: Notify, session: AsyncSession, event: Event, envelope: Envelope
) -> None:
    """Keep what a notice about the case will need; its contacts stay sealed."""
    assert isinstance(event, PetitionReceived)
    if await _case(session, event.case_no) is not None:
        return  # the same petition again, under another event id
    case = CaseRecord(
        case_no=event.case_no,
        title=event.title,
        channel=event.channel,
        received_at=event.received_at,
        contact_sealed=event.contact_sealed,
        confidential=event.flags.confidential or event.matter_type == "accusation",
        petitioners_masked="、".join(p.name_masked for p in event.petitioners)[:200],
        department_names="{}",
    )
    _cases(session)[case.case_no] = case
    rows.add_case(session, case)


async def on_step(notify: Notify, session: AsyncSession, event: Event, envelope: Envelope) -> None:
    """Make the notices a step calls for: to petitioners, departments or leaders."""
    case = None
    if event.case_no:
        case = await _case(session, event.case_no)
        if case is None and event.TYPE != "xinfang.alert.raised.v1":
            raise domain.CaseNotReceived(f"{event.case_no}: {event.TYPE} before the case")
    if isinstance(event, PetitionRouted) and case is not None:
        _remember_department(session, case, event.department_code, event.department_name)
    for plan in plans_for(event):
        for recipient in _recipients(notify, plan, case):
            await _add_notice(
                notify,
                session,
                case_no=event.case_no or "",
                plan=plan,
                recipient=recipient,
                event_time=envelope.time,
            )


def _cases(session: AsyncSession) -> dict[str, CaseRecord | None]:
    known: dict[str, CaseRecord | None] = session.info.setdefault("notice_cases", {})
    return known


async def _case(session: AsyncSession, case_no: str) -> CaseRecord | None:
    """The case, read once per transaction with its notices' keys (`_notice_keys`); one received
    earlier in the transaction is known without a read."""
    known = _cases(session)
    if case_no not in known:
        found = await repository.case_and_notice_keys(session, case_no=case_no)
        known[case_no] = found[0] if found else None
        if found:
            _known_keys(session).setdefault(case_no, found[1])
    return known[case_no]


def _remember_department(session: AsyncSession, case: CaseRecord, code: str, name: str) -> None:
    names = json.loads(case.department_names or "{}")
    if names.get(code) != name:
        case.department_names = json.dumps(names | {code: name}, ensure_ascii=False)
        rows.name_departments(session, case)


def _recipients(notify: Notify, plan: Plan, case: CaseRecord | None) -> list[Recipient]:
    if plan.audience == "petitioner":
        return _petitioners(notify, case) if case is not None else []
    directory = notify.directory
    endpoints = (
        [directory.department(code) for code in plan.refs]
        if plan.audience == "department"
        else list(directory.leaders)
    )
    found = [endpoint for endpoint in endpoints if endpoint is not None]
    if len(found) < len(endpoints):
        log.warning("notice_recipient_unknown", notice_type=plan.notice_type, refs=plan.refs)
    return [
        Recipient(
            audience=plan.audience,
            identity=f"{plan.audience}:{endpoint.ref}",
            chain=domain.staff_chain(endpoint.channel, endpoint.available()),
            masked=endpoint.ref,
            ref=endpoint.ref,
        )
        for endpoint in found
    ]


def _petitioners(notify: Notify, case: CaseRecord) -> list[Recipient]:
    """Each reachable petitioner once, and the in-portal copy intake shows on the timeline."""
    settings = notify.settings
    portal = Recipient(audience=domain.PORTAL, identity="portal", chain=["portal"], masked="portal")
    contacts = open_contacts(notify, case)
    if contacts is None:
        return [portal]
    people = []
    for contact in domain.recipients(contacts):
        chain = domain.petitioner_chain(
            contact, default=settings.default_channel, order=settings.fallback_order
        )
        masked = contact.masked_for(chain[0]) if chain else None
        people.append(
            Recipient("petitioner", contact.identity, chain, masked, position=contact.position)
        )
    return [*people, portal]


def open_contacts(notify: Notify, case: CaseRecord) -> domain.Contacts | None:
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
    plan: Plan,
    recipient: Recipient,
    event_time: datetime,
) -> None:
    recipient_hash = keyed_hash(recipient.identity, key=notify.settings.hash_key)
    key = (plan.notice_type, recipient_hash, plan.step)
    told = await _notice_keys(session, case_no)
    if key in told:
        return  # the step was told already: a redelivery, or the same step from another path
    told.add(key)
    now = notify.clock.now()
    channel = recipient.chain[0] if recipient.chain else "email"
    notice = NoticeRecord(
        id=uuid.uuid4().hex,
        case_no=case_no,
        notice_type=plan.notice_type,
        audience=recipient.audience,
        recipient_ref=recipient.ref,
        chain=",".join(recipient.chain) or channel,
        step=plan.step,
        template=templates.LATEST[plan.notice_type],
        channel=channel,
        recipient_hash=recipient_hash,
        recipient_masked=recipient.masked,
        contact_position=recipient.position,
        facts=json.dumps(plan.facts, ensure_ascii=False),
        event_time=event_time,
        created_at=now,
        next_attempt_at=notify.schedule(channel, now, audience=recipient.audience),
    )
    rows.add_notice(session, notice)
    if not recipient.chain:
        fail(notify, session, notice, reason="no_address", now=now)
        log.warning("notice_failed", **about(notice), reason="no_address")
    elif channel == "portal":
        _deliver_in_portal(notify, session, notice, now=now)
    else:
        after_commit(session, notify.wakeup.set)


async def _notice_keys(session: AsyncSession, case_no: str) -> set[tuple[str, str, str]]:
    """The unique keys of the case's notices, read once per transaction (with the case, as a
    rule) and kept up to date by `_add_notice` (its rows are written at commit), so a step with
    several recipients costs no query of its own."""
    known = _known_keys(session)
    if case_no not in known:  # notices about no stored case (an alert's)
        known[case_no] = await repository.notice_keys(session, case_no=case_no)
    return known[case_no]


def _known_keys(session: AsyncSession) -> dict[str, set[tuple[str, str, str]]]:
    known: dict[str, set[tuple[str, str, str]]] = session.info.setdefault("notice_keys", {})
    return known


def _deliver_in_portal(
    notify: Notify, session: AsyncSession, notice: NoticeRecord, *, now: datetime
) -> None:
    """A portal notice needs no sending: it is delivered with the step that made it."""
    notice.status, notice.delivered_at, notice.attempts = "delivered", now, 1
    add_attempt(session, notice, result="delivered", now=now)
    event = NoticeDelivered(
        case_no=notice.case_no,
        notice_id=notice.id,
        notice_type=notice.notice_type,
        channel="portal",
        recipient_masked="portal",
        delivered_at=now,
        audience="portal",
        template=notice.template,
    )
    add_event(session, event, source=notify.source, now=now)
    after_commit(session, _count_portal(notify))


def _count_portal(notify: Notify) -> Callable[[], None]:
    def count() -> None:
        notify.notice_metrics.deliveries.labels("portal", "delivered").inc()

    return count
