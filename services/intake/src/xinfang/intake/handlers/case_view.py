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
    ReviewOpened,
)
from xinfang.intake import domain
from xinfang.intake.handlers.case_state import CaseState, add_step, case_state


async def _step(
    session: AsyncSession,
    envelope: Envelope,
    case_no: str,
    details: dict[str, Any],
    status: str | None = None,
) -> CaseState:
    """Move the case's status (never backwards) and add the public timeline entry."""
    case = await case_state(session, case_no)
    if status is not None:
        case.status, case.status_zh = domain.advance(case.status, case.status_zh, status)
    case.updated_at = envelope.time
    add_step(session, case, envelope, details)
    return case


async def on_placed(session: AsyncSession, event: Event, envelope: Envelope) -> None:
    """Routed or transferred: a timeline step, and the department unless a later placing
    already came (events may arrive out of order; both come from routing, so times compare)."""
    assert isinstance(event, PetitionRouted | AssignmentTransferred)
    late = (await case_state(session, event.case_no)).placed_after(envelope.time)
    case = await _step(
        session, envelope, event.case_no, {"department": event.department_name}, "routed"
    )
    if not late:
        case.department_code, case.department_name = event.department_code, event.department_name


async def on_triaged(session: AsyncSession, event: Event, envelope: Envelope) -> None:
    assert isinstance(event, PetitionTriaged)
    await _step(session, envelope, event.case_no, {}, "triaged")


async def on_accepted(session: AsyncSession, event: Event, envelope: Envelope) -> None:
    assert isinstance(event, AssignmentAccepted)
    case = await case_state(session, event.case_no)
    await _step(session, envelope, event.case_no, {"department": case.department_name}, "accepted")


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
    case = await _step(session, envelope, event.case_no, details, "answered")
    case.answered_at, case.answer_stage = event.answered_at, event.stage


async def on_status(session: AsyncSession, event: Event, envelope: Envelope) -> None:
    assert isinstance(event, CaseStatusChanged)
    case = await case_state(session, event.case_no)
    case.status, case.status_zh = event.status, event.status_zh
    case.updated_at = envelope.time
    add_step(session, case, envelope, {"status": event.status, "status_zh": event.status_zh})


async def on_finalised(session: AsyncSession, event: Event, envelope: Envelope) -> None:
    assert isinstance(event, CaseFinalised)
    case = await _step(session, envelope, event.case_no, {}, "finalised")
    case.finalised = True


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
    case = await _step(session, envelope, event.case_no, details)
    last = case.deadline_scheduled_at
    if last is None or envelope.time >= last:
        case.deadline_kind, case.deadline_due_on = event.kind, event.due_on
        case.deadline_scheduled_at = envelope.time


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
