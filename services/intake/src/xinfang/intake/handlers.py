"""Intake's command and event handlers; the tables of handlers are at the bottom."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from xinfang.common.crypto import keyed_hash
from xinfang.common.errors import ApiError
from xinfang.common.events import (
    DeadlineScheduled,
    Envelope,
    Event,
    NoticeDelivered,
    NoticeFailed,
    PetitionerRef,
    PetitionReceived,
    PetitionRouted,
    PoisonMessage,
)
from xinfang.common.logging import get_logger
from xinfang.common.messaging.consumer import Handler
from xinfang.common.messaging.outbox import add_event
from xinfang.common.privacy import mask_name, mask_phone
from xinfang.intake import domain, repository
from xinfang.intake.models import (
    Petition,
    PetitionCreate,
    PetitionCreated,
    Petitioner,
    TimelineEntry,
)

if TYPE_CHECKING:
    from xinfang.intake.bootstrap import Intake

log = get_logger(__name__)


def check_reference(intake: Intake, cmd: PetitionCreate) -> None:
    """Refuse codes the city's reference data does not know."""
    if cmd.category_code not in intake.categories:
        raise ApiError(
            422,
            "unknown_category",
            f"未知的内容分类代码 {cmd.category_code}",
            f"unknown category code {cmd.category_code}",
            field="category_code",
        )
    if cmd.region_code not in intake.regions:
        raise ApiError(
            422,
            "unknown_region",
            f"未知的问题属地代码 {cmd.region_code}",
            f"unknown division code {cmd.region_code}",
            field="region_code",
        )


async def register_petition(intake: Intake, cmd: PetitionCreate) -> PetitionCreated:
    """Register a petition: store it, its sealed petitioners and `petition.received`, at once."""
    check_reference(intake, cmd)
    for attempt in range(3):
        try:
            return await _register(intake, cmd)
        except IntegrityError:  # two instances opened the same day's counter; take the next
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


async def _register(intake: Intake, cmd: PetitionCreate) -> PetitionCreated:
    now = intake.clock.now()
    query_code = domain.new_query_code()
    async with intake.db.transaction() as session:
        serial = await repository.next_serial(session, day=domain.case_day(now))
        case_no = domain.case_number(domain.case_day(now), serial)
        session.add(
            Petition(
                case_no=case_no,
                query_code_hash=keyed_hash(query_code, key=intake.settings.hash_key),
                channel=cmd.channel,
                region_code=cmd.region_code,
                category_code=cmd.category_code,
                title=cmd.title,
                content=cmd.content,
                people_involved=max(cmd.people_involved, len(cmd.petitioners)),
                received_at=now,
            )
        )
        await session.flush()
        refs = _add_petitioners(intake, session, case_no, cmd)
        event = PetitionReceived(
            case_no=case_no,
            channel=cmd.channel,
            received_at=now,
            region_code=cmd.region_code,
            category_code=cmd.category_code,
            title=cmd.title,
            content=cmd.content,
            petitioners=refs,
            people_involved=max(cmd.people_involved, len(cmd.petitioners)),
            contact_sealed=_seal_contacts(intake, cmd, query_code),
        )
        envelope = add_event(session, event, source=intake.source, now=now)
        _add_timeline(session, envelope, {"channel": cmd.channel})
    log.info("petition_registered", case_no=case_no, channel=cmd.channel)
    return PetitionCreated(case_no=case_no, query_code=query_code)


def _add_petitioners(
    intake: Intake, session: AsyncSession, case_no: str, cmd: PetitionCreate
) -> list[PetitionerRef]:
    refs = []
    for position, p in enumerate(cmd.petitioners, start=1):
        ref = keyed_hash(f"{p.name}|{p.phone or p.address}", key=intake.settings.hash_key)[:24]
        seal = intake.pii.seal
        session.add(
            Petitioner(
                case_no=case_no,
                position=position,
                ref=ref,
                name_sealed=seal(p.name),
                phone_sealed=seal(p.phone) if p.phone else None,
                address_sealed=seal(p.address),
                email_sealed=seal(p.email) if p.email else None,
            )
        )
        phone = mask_phone(p.phone) if p.phone else None
        refs.append(PetitionerRef(ref=ref, name_masked=mask_name(p.name), phone_masked=phone))
    return refs


def _seal_contacts(intake: Intake, cmd: PetitionCreate, query_code: str) -> str:
    """What notify needs to write to the petitioners, readable by notify only."""
    contacts = [{"name": p.name, "email": p.email, "phone": p.phone} for p in cmd.petitioners]
    sealed = {"query_code": query_code, "contacts": contacts}
    return intake.notice_sealer.seal(json.dumps(sealed, ensure_ascii=False))


def _add_timeline(session: AsyncSession, envelope: Envelope, details: dict[str, Any]) -> None:
    session.add(
        TimelineEntry(
            case_no=envelope.subject or "",
            event_id=envelope.id,
            event_type=envelope.type,
            at=envelope.time,
            details=json.dumps(details, ensure_ascii=False),
        )
    )


# --- event handlers: keep the public view of each case ---------------------------------------


async def _case(session: AsyncSession, case_no: str) -> Petition:
    petition = await repository.get_petition(session, case_no=case_no)
    if petition is None:
        raise PoisonMessage(f"no petition {case_no} in intake")
    return petition


async def on_routed(session: AsyncSession, event: Event, envelope: Envelope) -> None:
    assert isinstance(event, PetitionRouted)
    petition = await _case(session, event.case_no)
    petition.status = domain.next_status(petition.status, envelope.type)
    petition.department_name = event.department_name
    session.add(petition)
    _add_timeline(session, envelope, {"department": event.department_name, "mode": event.mode})


async def on_deadline(session: AsyncSession, event: Event, envelope: Envelope) -> None:
    assert isinstance(event, DeadlineScheduled)
    await _case(session, event.case_no)
    details = {
        "kind": event.kind,
        "due_on": event.due_on.isoformat(),
        "provisional": event.provisional,
    }
    _add_timeline(session, envelope, details)


async def on_notice(session: AsyncSession, event: Event, envelope: Envelope) -> None:
    assert isinstance(event, NoticeDelivered | NoticeFailed)
    await _case(session, event.case_no)
    details: dict[str, Any] = {"notice_type": event.notice_type, "channel": event.channel}
    if isinstance(event, NoticeFailed):
        details["reason"] = event.reason
    _add_timeline(session, envelope, details)


EVENT_HANDLERS: dict[str, Handler] = {
    PetitionRouted.TYPE: on_routed,
    DeadlineScheduled.TYPE: on_deadline,
    NoticeDelivered.TYPE: on_notice,
    NoticeFailed.TYPE: on_notice,
}
