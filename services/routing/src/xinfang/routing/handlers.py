"""Routing's event handlers; the table of handlers is at the bottom."""

from __future__ import annotations

import uuid
from functools import partial
from typing import TYPE_CHECKING

from sqlmodel.ext.asyncio.session import AsyncSession

from xinfang.common.events import Envelope, Event, PetitionReceived, PetitionRouted
from xinfang.common.logging import get_logger
from xinfang.common.messaging.consumer import Handler
from xinfang.common.messaging.outbox import add_event
from xinfang.routing import domain, repository
from xinfang.routing.models import Assignment

if TYPE_CHECKING:
    from xinfang.routing.bootstrap import Routing

log = get_logger(__name__)


async def on_petition_received(
    session: AsyncSession, event: Event, envelope: Envelope, *, routing: Routing
) -> None:
    """Assign a received petition to its lead department and announce it, in one transaction."""
    assert isinstance(event, PetitionReceived)
    if await repository.get_assignment(session, case_no=event.case_no) is not None:
        # Another event for a routed case (re-sent by intake, say): the first decision stands.
        log.info("petition_already_routed", case_no=event.case_no, event_id=envelope.id)
        return
    decision = domain.decide(routing.directory, category_code=event.category_code)
    now = routing.clock.now()
    session.add(
        Assignment(
            id=str(uuid.uuid4()),
            case_no=event.case_no,
            department_code=decision.department.code,
            department_name=decision.department.name,
            mode=decision.mode,
            status=decision.status,
            rule=decision.rule,
            reason=decision.reason,
            category_code=event.category_code,
            region_code=event.region_code,
            routed_at=now,
        )
    )
    routed = PetitionRouted(
        case_no=event.case_no,
        department_code=decision.department.code,
        department_name=decision.department.name,
        mode=decision.mode,
        rule=decision.rule,
        reason=decision.reason,
        routed_at=now,
    )
    add_event(session, routed, source=routing.source, now=now)
    log.info(
        "petition_routed",
        case_no=event.case_no,
        department=decision.department.code,
        rule=decision.rule,
    )


def event_handlers(routing: Routing) -> dict[str, Handler]:
    """The table of event handlers, bound to routing's container."""
    return {
        PetitionReceived.TYPE: partial(on_petition_received, routing=routing),
    }
