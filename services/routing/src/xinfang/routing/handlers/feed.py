"""Every event routing emits goes through `emit`: shielding is checked, the event is written to
the outbox (NATS, on the department's subject) and, for a department with a webhook, to the
webhook delivery outbox, all in the caller's transaction."""

from __future__ import annotations

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from xinfang.common.events import DepartmentEvent, Event
from xinfang.common.messaging.outbox import add_event
from xinfang.routing import repository
from xinfang.routing.domain.shielding import Shield, guard
from xinfang.routing.models import WebhookDelivery


async def emit(
    session: AsyncSession, event: Event, *, source: str, now: datetime, shield: Shield
) -> None:
    """Publish `event` (outbox) and owe it to the addressee's webhook; never to a shielded unit."""
    if isinstance(event, DepartmentEvent):
        guard(shield, event.department_code)
    envelope = add_event(session, event, source=source, now=now)
    if not isinstance(event, DepartmentEvent):
        return
    if not await repository.has_webhook(session, department=event.department_code):
        return
    session.add(
        WebhookDelivery(
            id=envelope.id,
            department_code=event.department_code,
            event_type=event.TYPE,
            case_no=event.case_no,
            body=envelope.payload,
            next_attempt_at=now,
            created_at=now,
        )
    )
