"""What each event of a case does to its clocks and status."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from xinfang.common.events import (
    AssignmentAccepted,
    AssignmentObjected,
    AssignmentTransferred,
    CaseAnswered,
    CompletionReported,
    Envelope,
    Event,
    ExtensionDecided,
    PetitionEvaluated,
    PetitionReceived,
    PetitionRefused,
    PetitionRouted,
    ReviewRequested,
)
from xinfang.common.logging import get_logger
from xinfang.supervision import domain
from xinfang.supervision.context import Context
from xinfang.supervision.domain import CaseStatus, DeadlineKind, TooEarly
from xinfang.supervision.handlers import early, review
from xinfang.supervision.handlers.cases import case_of, known_case, note, set_status
from xinfang.supervision.handlers.clocks import recount, settle, start_clock
from xinfang.supervision.store import Store

log = get_logger(__name__)

K = DeadlineKind


async def on_received(s: AsyncSession, event: Event, _: Envelope, *, ctx: Context) -> None:
    """Registration: the case is under review and the routing clock (转送/交办) starts."""
    assert isinstance(event, PetitionReceived)
    at = ctx.clock.now()
    case = await case_of(s, event.case_no, at=at)
    profile = ctx.jurisdictions.profile_for(event.region_code)
    case.profile, case.channel, case.region_code = profile.code, event.channel, event.region_code
    case.category_code, case.title = event.category_code, event.title[:200]
    case.people_involved, case.collective = event.people_involved, event.flags.collective
    case.repeat, case.received_on = event.repeat_of is not None, domain.china_day(event.received_at)
    set_status(s, case, CaseStatus.REVIEWING, at=at, source=ctx.source)
    await start_clock(
        s,
        case_no=event.case_no,
        kind=K.ROUTING,
        starts_on=case.received_on,
        ctx=ctx,
        profile=profile,
    )
    await early.check_petition(s, event, ctx=ctx)


async def on_refused(s: AsyncSession, event: Event, _: Envelope, *, ctx: Context) -> None:
    """不予受理 / 不再受理 closes the case's clocks; intake refuses only what it registered."""
    assert isinstance(event, PetitionRefused)
    case = await known_case(s, event.case_no)
    target = (
        CaseStatus.NOT_REACCEPTED if event.kind == "not_reaccepted" else CaseStatus.NOT_ACCEPTED
    )
    set_status(s, case, target, at=ctx.clock.now(), source=ctx.source)
    await settle(s, case_no=event.case_no, kind=K.ROUTING, ctx=ctx)


async def on_routed(s: AsyncSession, event: Event, _: Envelope, *, ctx: Context) -> None:
    """The department's receipt: routing is met; the acceptance-notice and objection clocks
    start, and for 交办 the report-back clock."""
    assert isinstance(event, PetitionRouted)
    if event.stage != "handling":
        return  # a review body's receipt: the review clocks started with the request
    case = await known_case(s, event.case_no)
    if case.status != CaseStatus.REVIEWING.value:  # accepted or beyond: late news, or a replay
        log.info("late_routing_ignored", case_no=event.case_no, status=case.status)
        return
    profile = domain.PROFILES[case.profile]
    day = domain.china_day(event.routed_at)
    case.department_code, case.routed_on, case.mode = event.department_code, day, event.mode
    await settle(s, case_no=event.case_no, kind=K.ROUTING, ctx=ctx)
    for kind in (K.ACCEPTANCE_NOTICE, K.OBJECTION):
        await start_clock(
            s,
            case_no=event.case_no,
            kind=kind,
            starts_on=day,
            ctx=ctx,
            profile=profile,
            department_code=event.department_code,
        )
    if event.mode == "assign" and (event.report_due_on or profile.report_back_default):
        due = None
        if event.report_due_on is not None:
            due = domain.fixed(
                K.REPORT_BACK, starts_on=day, due_on=event.report_due_on, set_by=event.rule
            )
        await start_clock(
            s,
            case_no=event.case_no,
            kind=K.REPORT_BACK,
            starts_on=day,
            ctx=ctx,
            profile=profile,
            department_code=event.department_code,
            due=due,
        )


async def on_accepted(s: AsyncSession, event: Event, _: Envelope, *, ctx: Context) -> None:
    """受理: the notice clock is met, the objection window closes, handling starts."""
    assert isinstance(event, AssignmentAccepted)
    case = await known_case(s, event.case_no)
    set_status(s, case, CaseStatus.ACCEPTED, at=ctx.clock.now(), source=ctx.source)
    if case.routed_on is None:  # its routing is still on its way here: undo all, retry later
        raise TooEarly(f"case {event.case_no}: accepted before it was routed here")
    case.accepted_on = day = domain.china_day(event.accepted_at)
    case.department_code = event.department_code
    await settle(s, case_no=event.case_no, kind=K.ACCEPTANCE_NOTICE, ctx=ctx)
    await settle(s, case_no=event.case_no, kind=K.OBJECTION, ctx=ctx, closed=True)
    await start_clock(
        s,
        case_no=event.case_no,
        kind=K.HANDLING,
        starts_on=day,
        ctx=ctx,
        profile=domain.PROFILES[case.profile],
        department_code=event.department_code,
    )


async def on_objected(s: AsyncSession, event: Event, _: Envelope, *, ctx: Context) -> None:
    """异议: the department's clocks close and the case goes back to routing (a misroute)."""
    assert isinstance(event, AssignmentObjected)
    case = await known_case(s, event.case_no)
    case.objections += 1
    if case.status == CaseStatus.ACCEPTED.value:
        set_status(s, case, CaseStatus.REVIEWING, at=ctx.clock.now(), source=ctx.source)
    for kind in (K.ACCEPTANCE_NOTICE, K.OBJECTION, K.HANDLING, K.REPORT_BACK):
        await settle(s, case_no=event.case_no, kind=kind, ctx=ctx, closed=True)
    note(
        s,
        case_no=event.case_no,
        what="objected",
        at=ctx.clock.now(),
        text=f"{event.department_code}提出异议：{event.reason}",
    )


async def on_transferred(s: AsyncSession, event: Event, _: Envelope, *, ctx: Context) -> None:
    """A transfer: the new department's receipt starts its own notice clock."""
    assert isinstance(event, AssignmentTransferred)
    case = await known_case(s, event.case_no)
    case.department_code = event.department_code
    day = domain.china_day(event.transferred_at)
    await settle(s, case_no=event.case_no, kind=K.ACCEPTANCE_NOTICE, ctx=ctx, closed=True)
    for kind in (K.HANDLING, K.REPORT_BACK):  # running duties follow the case to its new holder
        row = await Store.of(s).deadline(event.case_no, kind)
        if row is not None and row.settled_on is None:
            row.department_code = event.department_code
    await start_clock(
        s,
        case_no=event.case_no,
        kind=K.ACCEPTANCE_NOTICE,
        starts_on=day,
        ctx=ctx,
        profile=domain.PROFILES[case.profile],
        department_code=event.department_code,
    )


async def on_extension(s: AsyncSession, event: Event, _: Envelope, *, ctx: Context) -> None:
    """An approved extension (延期) lengthens the handling clock once, within the profile's cap."""
    assert isinstance(event, ExtensionDecided)
    if not event.approved:
        return
    case = await known_case(s, event.case_no)
    row = await Store.of(s).deadline(event.case_no, K.HANDLING)
    if row is None:
        raise TooEarly(f"case {event.case_no}: extension before the handling clock started")
    if row.extension_days:
        return  # once only
    row.extension_days = min(event.days, domain.PROFILES[case.profile].max_extension_days)
    await recount(s, row, ctx)


async def on_answered(s: AsyncSession, event: Event, env: Envelope, *, ctx: Context) -> None:
    """An answer settles the stage's clock and opens the petitioner's next window."""
    assert isinstance(event, CaseAnswered)
    await review.answered(s, event, ctx=ctx)


async def on_completion(s: AsyncSession, event: Event, _: Envelope, *, ctx: Context) -> None:
    """A 交办 case's completion report meets the report-back clock."""
    assert isinstance(event, CompletionReported)
    await settle(s, case_no=event.case_no, kind=K.REPORT_BACK, ctx=ctx)


async def on_evaluated(s: AsyncSession, event: Event, _: Envelope, *, ctx: Context) -> None:
    """The petitioner's rating, for the satisfaction KPIs."""
    assert isinstance(event, PetitionEvaluated)
    if event.party == "department":
        case = await known_case(s, event.case_no)
        case.rating = event.rating


async def on_review_requested(s: AsyncSession, event: Event, _: Envelope, *, ctx: Context) -> None:
    """复查 / 复核 requested: checked against its window and sent one level up."""
    assert isinstance(event, ReviewRequested)
    await review.requested(s, event, ctx=ctx)
