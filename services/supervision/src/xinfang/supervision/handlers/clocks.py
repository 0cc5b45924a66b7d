"""Starting, settling and recounting a case's legal clocks; each change is announced."""

from __future__ import annotations

from datetime import date

from sqlmodel.ext.asyncio.session import AsyncSession

from xinfang.common.events import DeadlineScheduled
from xinfang.common.logging import get_logger
from xinfang.common.messaging.outbox import add_event
from xinfang.supervision import domain
from xinfang.supervision.context import Context
from xinfang.supervision.domain import NATIONAL, DeadlineKind, DeadlineStatus, Due, Profile
from xinfang.supervision.handlers.cases import note
from xinfang.supervision.store import AnyDeadline, DeadlineRow, Store

log = get_logger(__name__)

RUNNING = (DeadlineStatus.OPEN.value, DeadlineStatus.PAUSED.value, DeadlineStatus.OVERDUE.value)


async def start_clock(
    session: AsyncSession,
    *,
    case_no: str,
    kind: DeadlineKind,
    starts_on: date,
    clock: object | None = None,
    source: str | None = None,
    ctx: Context | None = None,
    profile: Profile = NATIONAL,
    department_code: str | None = None,
    due: Due | None = None,
) -> DeadlineRow | None:
    """Record a case's deadline of `kind` with its `deadline.scheduled`; once per case and kind,
    except that a clock closed by a return or transfer starts again for the next department.

    A new row is inserted when the transaction commits: one that a concurrent instance inserted
    first fails the transaction there, and the runner applies the event again, alone."""
    ctx = ctx or Context(clock=clock, source=source or "/xinfang/supervision")  # type: ignore[arg-type]
    store = Store.of(session)
    existing = await store.deadline(case_no, kind)
    if existing is not None and existing.status != DeadlineStatus.CLOSED.value:
        log.info("deadline_already_started", case_no=case_no, kind=kind.value)
        return None
    due = due or domain.schedule(kind, starts_on=starts_on, profile=profile, calendar=ctx.calendar)
    row = existing or store.new_deadline(
        case_no=case_no,
        kind=kind.value,
        created_at=ctx.clock.now(),
        starts_on=due.starts_on,
        due_on=due.due_on,
        basis=due.basis,
    )
    row.profile, row.department_code, row.fixed = (
        profile.code,
        department_code,
        due.basis[:2] == "交办",
    )
    row.paused_on, row.paused_days, row.extension_days = None, 0, 0
    row.status, row.settled_on, row.version = DeadlineStatus.OPEN.value, None, row.version + 1
    _apply_due(row, due, ctx)
    announce(session, row, ctx)
    await _alert_unknown_years(session, due, ctx)
    return row


async def _alert_unknown_years(session: AsyncSession, due: Due, ctx: Context) -> None:
    from xinfang.supervision.handlers.orders import raise_alert

    for year in due.unknown_years:
        await raise_alert(
            session,
            key=f"calendar:{year}",
            kind="calendar",
            ctx=ctx,
            summary=f"{year}年节假日安排未加载：期限暂按周末计算（暂定），请在 calendar_dir 加载"
            f" {year}.json。No calendar for {year}: deadlines are provisional.",
        )


def _apply_due(row: AnyDeadline, due: Due, ctx: Context) -> None:
    today = domain.china_day(ctx.clock.now())
    row.starts_on, row.due_on, row.basis, row.provisional = (
        due.starts_on,
        due.due_on,
        due.basis,
        due.provisional,
    )
    row.warned = domain.passed_count(
        ctx.levels, starts_on=row.starts_on, due_on=row.due_on, today=today
    )
    row.next_check_on = domain.next_check(
        ctx.levels, starts_on=row.starts_on, due_on=row.due_on, warned=row.warned
    )


def announce(session: AsyncSession, row: AnyDeadline, ctx: Context) -> None:
    """`deadline.scheduled` (start or recount) and a timeline line."""
    event = DeadlineScheduled(
        case_no=row.case_no,
        kind=row.kind,
        starts_on=row.starts_on,
        due_on=row.due_on,
        basis=row.basis,
        provisional=row.provisional,
        department_code=row.department_code,
    )
    add_event(session, event, source=ctx.source, now=ctx.clock.now())
    note(
        session,
        case_no=row.case_no,
        what=f"deadline:{row.kind}",
        at=ctx.clock.now(),
        text=f"{domain.RULES[DeadlineKind(row.kind)].name_zh}期限{row.due_on}：{row.basis}",
    )
    log.info("deadline_scheduled", case_no=row.case_no, kind=row.kind, due_on=str(row.due_on))


async def settle(
    session: AsyncSession, *, case_no: str, kind: DeadlineKind, ctx: Context, closed: bool = False
) -> DeadlineRow | None:
    """The step of `kind` was done (met, or late if overdue) or became moot (`closed`)."""
    store = Store.of(session)
    row = await store.deadline(case_no, kind)
    if row is None or row.status not in RUNNING:
        return None
    if closed:
        row.status = DeadlineStatus.CLOSED.value
    else:
        late = row.status == DeadlineStatus.OVERDUE.value
        row.status = (DeadlineStatus.LATE if late else DeadlineStatus.MET).value
    row.settled_on, row.next_check_on = domain.china_day(ctx.clock.now()), None
    row.version += 1
    case = await store.case(case_no)
    if case is None or case.overdue:  # a clock's orders are issued as it is missed, marking it
        store.resolve_orders(case_no=case_no, deadline_kind=kind.value, on=row.settled_on)
    return row


async def recount(session: AsyncSession, row: AnyDeadline, ctx: Context) -> AnyDeadline:
    """Count an open deadline again (extension, resume, a newly loaded calendar) and announce it."""
    if row.fixed:
        return row
    due = domain.schedule(
        DeadlineKind(row.kind),
        starts_on=row.starts_on,
        profile=domain.PROFILES[row.profile],
        calendar=ctx.calendar,
        paused_days=row.paused_days,
        extension_days=row.extension_days,
    )
    _apply_due(row, due, ctx)
    if row.status == DeadlineStatus.OVERDUE.value and row.due_on >= domain.china_day(
        ctx.clock.now()
    ):
        row.status = DeadlineStatus.OPEN.value
    row.version += 1
    announce(session, row, ctx)
    await _alert_unknown_years(session, due, ctx)
    return row


async def pause(session: AsyncSession, row: AnyDeadline, ctx: Context) -> AnyDeadline:
    """Stop the clock (a hearing): no timer fires while it stands still."""
    row.status, row.paused_on, row.next_check_on = DeadlineStatus.PAUSED.value, _today(ctx), None
    row.version += 1
    note(
        session,
        case_no=row.case_no,
        what=f"paused:{row.kind}",
        at=ctx.clock.now(),
        text=f"{domain.RULES[DeadlineKind(row.kind)].name_zh}期限中止计算（{row.paused_on}起）",
    )
    return row


async def resume(session: AsyncSession, row: AnyDeadline, ctx: Context) -> AnyDeadline:
    """Start the clock again; the days it stood still are added and the date recounted."""
    assert row.paused_on is not None
    row.paused_days += (_today(ctx) - row.paused_on).days
    row.status, row.paused_on = DeadlineStatus.OPEN.value, None
    return await recount(session, row, ctx)


def _today(ctx: Context) -> date:
    return domain.china_day(ctx.clock.now())
