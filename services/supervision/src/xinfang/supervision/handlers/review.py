"""The review chain (regulations.md §6): answer → 复查 → 复核 → final (三级终结)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from xinfang.common.events import CaseAnswered, CaseFinalised, ReviewOpened, ReviewRequested
from xinfang.common.messaging.outbox import add_event
from xinfang.supervision import domain
from xinfang.supervision.context import Context
from xinfang.supervision.domain import CaseStatus, DeadlineKind
from xinfang.supervision.handlers.cases import known_case, note, set_status
from xinfang.supervision.handlers.clocks import settle, start_clock
from xinfang.supervision.store import CaseRow, Store

K, S = DeadlineKind, CaseStatus

# stage answered → (its clock, the status it reaches, the window it opens)
ANSWERS = {
    "handling": (K.HANDLING, S.ANSWERED, K.REVIEW_REQUEST),
    "review": (K.REVIEW_DECISION, S.REVIEWED, K.RE_REVIEW_REQUEST),
    "re_review": (K.RE_REVIEW_DECISION, S.RE_REVIEWED, None),
}
# level requested → (its window, the status, the decision clock)
REQUESTS = {
    "review": (K.REVIEW_REQUEST, S.IN_REVIEW, K.REVIEW_DECISION),
    "re_review": (K.RE_REVIEW_REQUEST, S.IN_RE_REVIEW, K.RE_REVIEW_DECISION),
}


async def answered(s: AsyncSession, event: CaseAnswered, *, ctx: Context) -> None:
    """Settle the answered stage; open the next window, or finalise after re-review."""
    clock, status, window = ANSWERS[event.stage]
    at, day = ctx.clock.now(), domain.china_day(event.answered_at)
    case = await known_case(s, event.case_no)
    set_status(s, case, status, at=at, source=ctx.source)
    if event.stage == "handling":
        case.answered_on = day
    await settle(s, case_no=event.case_no, kind=clock, ctx=ctx)
    if window is not None:
        await start_clock(
            s,
            case_no=event.case_no,
            kind=window,
            starts_on=day,
            ctx=ctx,
            profile=domain.PROFILES[case.profile],
        )
        return
    await finalise(
        s,
        case,
        reason="复核意见已作出，三级终结 (re-review decided: final)",
        at=at,
        source=ctx.source,
    )


async def requested(s: AsyncSession, event: ReviewRequested, *, ctx: Context) -> None:
    """Inside the window: 复查/复核 opens with the body one level up. Outside: noted, refused."""
    window, status, decision = REQUESTS[event.level]
    at, day = ctx.clock.now(), domain.china_day(event.requested_at)
    case = await known_case(s, event.case_no)
    row = await Store.of(s).deadline(event.case_no, window)
    if row is None or day > row.due_on or case.finalised:
        note(
            s,
            case_no=event.case_no,
            what=f"refused:{event.level}",
            at=at,
            text=f"{'复查' if event.level == 'review' else '复核'}申请不在申请期限内，不予受理",
        )
        return
    set_status(s, case, status, at=at, source=ctx.source)
    case.review_requests += 1
    await settle(s, case_no=event.case_no, kind=window, ctx=ctx)
    body = await _body_above(s, case, event.level, ctx)
    started = await start_clock(
        s,
        case_no=event.case_no,
        kind=decision,
        starts_on=day,
        ctx=ctx,
        profile=domain.PROFILES[case.profile],
        department_code=body,
    )
    if started is not None:
        opened = ReviewOpened(
            case_no=event.case_no,
            level=event.level,
            body_department_code=body,
            due_on=started.due_on,
        )
        add_event(s, opened, source=ctx.source, now=at)


async def _body_above(s: AsyncSession, case: CaseRow, level: str, ctx: Context) -> str:
    """The parent of the handler (复查), or of the review body (复核); itself at the top."""
    below = case.department_code or ""
    if level == "re_review":
        earlier = await Store.of(s).deadline(case.case_no, K.REVIEW_DECISION)
        below = (earlier.department_code if earlier else None) or below
    return ctx.parents.get(below) or below


async def finalise(
    s: AsyncSession, case: CaseRow, *, reason: str, at: datetime, source: str
) -> None:
    """审核认定办结: intake is told, and refuses the same facts and reasons from now on."""
    if case.finalised:
        return
    set_status(s, case, S.CONCLUDED, at=at, source=source)
    case.finalised = True
    add_event(
        s,
        CaseFinalised(case_no=case.case_no, reason=reason, finalised_at=at),
        source=source,
        now=at,
    )
