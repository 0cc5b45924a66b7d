"""Event handlers that keep intake's public view of each case from the other services' events.

A timeline entry holds only what the petitioner may see: dates, departments, notice kinds,
decisions' public summaries — never internal reasons, recipients or personal data.
"""

from __future__ import annotations

from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from xinfang.common.events import (
    AssignmentAccepted,
    AssignmentTransferred,
    CaseAnswered,
    CaseFinalised,
    CaseStatusChanged,
    DeadlineScheduled,
    Envelope,
    Event,
    ExtensionDecided,
    NoticeDelivered,
    NoticeFailed,
    PetitionRouted,
    PetitionTriaged,
    PoisonMessage,
    ReviewOpened,
)
from xinfang.intake import domain, repository
from xinfang.intake.handlers.timeline import add_timeline
from xinfang.intake.models import Petition


async def _case(session: AsyncSession, case_no: str) -> Petition:
    petition = await repository.get_petition(session, case_no=case_no)
    if petition is None:
        raise PoisonMessage(f"no petition {case_no} in intake")
    return petition


async def _placed_later(session: AsyncSession, case_no: str, envelope: Envelope) -> bool:
    """A placement that arrives after a later one (late news, a replay) must not undo it; both
    come from routing, so their times compare."""
    return await repository.placed_after(
        session,
        case_no=case_no,
        at=envelope.time,
        placements=(PetitionRouted.TYPE, AssignmentTransferred.TYPE),
    )


async def _step(
    session: AsyncSession,
    envelope: Envelope,
    case_no: str,
    details: dict[str, Any],
    status: str | None = None,
) -> Petition:
    """Move the case's status (never backwards) and add the public timeline entry."""
    petition = await _case(session, case_no)
    if status is not None:
        petition.status, petition.status_zh = domain.advance(
            petition.status, petition.status_zh, status
        )
    petition.updated_at = envelope.time
    session.add(petition)
    add_timeline(session, envelope, details)
    return petition


async def on_placed(session: AsyncSession, event: Event, envelope: Envelope) -> None:
    """Routed or transferred: a timeline step, and the department unless a later placing
    already came (events may arrive out of order)."""
    assert isinstance(event, PetitionRouted | AssignmentTransferred)
    late = await _placed_later(session, event.case_no, envelope)
    petition = await _step(
        session, envelope, event.case_no, {"department": event.department_name}, "routed"
    )
    if not late:
        petition.department_code, petition.department_name = (
            event.department_code,
            event.department_name,
        )


async def on_triaged(session: AsyncSession, event: Event, envelope: Envelope) -> None:
    assert isinstance(event, PetitionTriaged)
    await _step(session, envelope, event.case_no, {}, "triaged")


async def on_accepted(session: AsyncSession, event: Event, envelope: Envelope) -> None:
    assert isinstance(event, AssignmentAccepted)
    petition = await _case(session, event.case_no)
    await _step(
        session, envelope, event.case_no, {"department": petition.department_name}, "accepted"
    )


async def on_extension(session: AsyncSession, event: Event, envelope: Envelope) -> None:
    assert isinstance(event, ExtensionDecided)
    details: dict[str, Any] = {"approved": event.approved}
    if event.approved:  # the petitioner must be told the reason of an extension (Art. 34)
        details |= {"days": event.days, "reason": event.reason}
    await _step(session, envelope, event.case_no, details)


async def on_answered(session: AsyncSession, event: Event, envelope: Envelope) -> None:
    assert isinstance(event, CaseAnswered)
    details = {
        "stage": event.stage,
        "outcome": event.outcome,
        "summary": event.summary,
        "review_body": event.review_body,
    }
    petition = await _step(session, envelope, event.case_no, details, "answered")
    petition.answered_at = event.answered_at
    petition.answer_stage = event.stage


async def on_status(session: AsyncSession, event: Event, envelope: Envelope) -> None:
    assert isinstance(event, CaseStatusChanged)
    petition = await _case(session, event.case_no)
    petition.status, petition.status_zh = event.status, event.status_zh
    petition.updated_at = envelope.time
    session.add(petition)
    add_timeline(session, envelope, {"status": event.status, "status_zh": event.status_zh})


async def on_finalised(session: AsyncSession, event: Event, envelope: Envelope) -> None:
    assert isinstance(event, CaseFinalised)
    petition = await _step(session, envelope, event.case_no, {}, "finalised")
    petition.finalised = True


async def on_review(session: AsyncSession, event: Event, envelope: Envelope) -> None:
    assert isinstance(event, ReviewOpened)
    details = {"level": event.level, "due_on": event.due_on.isoformat()}
    await _step(session, envelope, event.case_no, details, event.level)


# The clocks a petitioner is owed; the department's objection window and a 交办 report-back
# deadline are between the bureau and the department.
PUBLIC_CLOCKS = frozenset(
    {
        "routing",
        "acceptance_notice",
        "handling",
        "review_request",
        "review_decision",
        "re_review_request",
        "re_review_decision",
    }
)
PUBLIC_AUDIENCES = frozenset({"petitioner", "portal"})  # not notices to departments or leaders


async def on_deadline(session: AsyncSession, event: Event, envelope: Envelope) -> None:
    """Keep the case's current deadline: the public clock scheduled last."""
    assert isinstance(event, DeadlineScheduled)
    if event.kind not in PUBLIC_CLOCKS:
        return
    details = {"kind": event.kind, "due_on": event.due_on.isoformat()}
    details["provisional"] = event.provisional
    petition = await _step(session, envelope, event.case_no, details)
    last = petition.deadline_scheduled_at
    if last is None or envelope.time >= last:
        petition.deadline_kind, petition.deadline_due_on = event.kind, event.due_on
        petition.deadline_scheduled_at = envelope.time


async def on_notice(session: AsyncSession, event: Event, envelope: Envelope) -> None:
    assert isinstance(event, NoticeDelivered | NoticeFailed)
    if event.audience not in PUBLIC_AUDIENCES:
        return
    details = {
        "notice_type": event.notice_type,
        "channel": event.channel,
        "delivered": isinstance(event, NoticeDelivered),
    }
    await _step(session, envelope, event.case_no, details)


CASE_VIEW_HANDLERS = {
    PetitionRouted.TYPE: on_placed,
    PetitionTriaged.TYPE: on_triaged,
    AssignmentAccepted.TYPE: on_accepted,
    AssignmentTransferred.TYPE: on_placed,
    ExtensionDecided.TYPE: on_extension,
    CaseAnswered.TYPE: on_answered,
    CaseStatusChanged.TYPE: on_status,
    CaseFinalised.TYPE: on_finalised,
    ReviewOpened.TYPE: on_review,
    DeadlineScheduled.TYPE: on_deadline,
    NoticeDelivered.TYPE: on_notice,
    NoticeFailed.TYPE: on_notice,
}
