"""The public timeline of a case: only public facts, never personal data."""

from __future__ import annotations

import json
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from xinfang.common.events import Envelope
from xinfang.common.messaging.outbox import WrittenEvent
from xinfang.intake.models import TimelineEntry


def add_timeline(
    session: AsyncSession, envelope: Envelope | WrittenEvent, details: dict[str, Any]
) -> None:
    """Add a step to the case's public timeline (the event id keeps it unique)."""
    session.add(TimelineEntry(**timeline_row(envelope, details)))


def timeline_row(envelope: Envelope | WrittenEvent, details: dict[str, Any]) -> dict[str, Any]:
    """The timeline entry of an event, as a row."""
    return {
        "case_no": envelope.subject or "",
        "event_id": envelope.id,
        "event_type": envelope.type,
        "at": envelope.time,
        "details": json.dumps(details, ensure_ascii=False),
    }
