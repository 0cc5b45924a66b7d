"""Supervision's event handlers: the clocks a case's events start; the table is at the bottom."""

from __future__ import annotations

from datetime import date
from functools import partial

from sqlmodel.ext.asyncio.session import AsyncSession

from xinfang.common.clock import Clock
from xinfang.common.events import (
    DeadlineScheduled,
    Envelope,
    Event,
    PetitionReceived,
    PetitionRouted,
)
from xinfang.common.logging import get_logger
from xinfang.common.messaging.consumer import Handler
from xinfang.common.messaging.outbox import add_event
from xinfang.supervision import domain, repository
from xinfang.supervision.domain import DeadlineKind, DeadlineStatus
from xinfang.supervision.models import Deadline

log = get_logger(__name__)


async def start_clock(
    session: AsyncSession,
    *,
    case_no: str,
    kind: DeadlineKind,
    starts_on: date,
    clock: Clock,
    source: str,
) -> Deadline | None:
    """Record a case's deadline of `kind` with its `deadline.scheduled`; once per case and kind."""
    if await repository.get_deadline(session, case_no=case_no, kind=kind) is not None:
        log.info("deadline_already_started", case_no=case_no, kind=kind.value)
        return None
    due = domain.schedule(kind, starts_on=starts_on)
    now = clock.now()
    deadline = Deadline(
        case_no=case_no,
        kind=kind.value,
        starts_on=due.starts_on,
        due_on=due.due_on,
        basis=due.basis,
        provisional=due.provisional,
        status=DeadlineStatus.OPEN.value,
        created_at=now,
    )
    session.add(deadline)
    await session.flush()  # a concurrent instance's row fails here; the runner retries the event
    event = DeadlineScheduled(
        case_no=case_no,
        kind=kind.value,
        starts_on=due.starts_on,
        due_on=due.due_on,
        basis=due.basis,
        provisional=due.provisional,
    )
    add_event(session, event, source=source, now=now)
    log.info("deadline_scheduled", case_no=case_no, kind=kind.value, due_on=str(due.due_on))
    return deadline


async def on_received(
    session: AsyncSession, event: Event, envelope: Envelope, *, clock: Clock, source: str
) -> None:
    """Registration starts the routing clock (转送/交办), counted from the day of registration."""
    assert isinstance(event, PetitionReceived)
    await start_clock(
        session,
        case_no=event.case_no,
        kind=DeadlineKind.ROUTING,
        starts_on=domain.china_day(event.received_at),
        clock=clock,
        source=source,
    )


async def on_routed(
    session: AsyncSession, event: Event, envelope: Envelope, *, clock: Clock, source: str
) -> None:
    """The department's receipt starts the acceptance-notice clock (受理告知)."""
    assert isinstance(event, PetitionRouted)
    await start_clock(
        session,
        case_no=event.case_no,
        kind=DeadlineKind.ACCEPTANCE_NOTICE,
        starts_on=domain.china_day(event.routed_at),
        clock=clock,
        source=source,
    )


def event_handlers(*, clock: Clock, source: str) -> dict[str, Handler]:
    """Event type → handler, bound to the clock and to the `source` of the events they emit."""
    return {
        PetitionReceived.TYPE: partial(on_received, clock=clock, source=source),
        PetitionRouted.TYPE: partial(on_routed, clock=clock, source=source),
    }
