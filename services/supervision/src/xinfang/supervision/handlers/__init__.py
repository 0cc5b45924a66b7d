"""Supervision's event handlers; the table from event type to handler is at the bottom."""

from __future__ import annotations

from functools import partial

from xinfang.common.events import (
    AssignmentAccepted,
    AssignmentObjected,
    AssignmentTransferred,
    CaseAnswered,
    CompletionReported,
    ExtensionDecided,
    PetitionEvaluated,
    PetitionReceived,
    PetitionRefused,
    PetitionRouted,
    ReviewRequested,
)
from xinfang.common.messaging.consumer import Handler
from xinfang.supervision.context import Context
from xinfang.supervision.handlers import events
from xinfang.supervision.handlers.clocks import pause, recount, resume, settle, start_clock

__all__ = ["event_handlers", "pause", "recount", "resume", "settle", "start_clock"]


def event_handlers(*, ctx: Context) -> dict[str, Handler]:
    """Event type → handler, bound to the shared context."""
    table = {
        PetitionReceived.TYPE: events.on_received,
        PetitionRefused.TYPE: events.on_refused,
        PetitionRouted.TYPE: events.on_routed,
        AssignmentAccepted.TYPE: events.on_accepted,
        AssignmentObjected.TYPE: events.on_objected,
        AssignmentTransferred.TYPE: events.on_transferred,
        ExtensionDecided.TYPE: events.on_extension,
        CaseAnswered.TYPE: events.on_answered,
        CompletionReported.TYPE: events.on_completion,
        PetitionEvaluated.TYPE: events.on_evaluated,
        ReviewRequested.TYPE: events.on_review_requested,
    }
    return {t: partial(h, ctx=ctx) for t, h in table.items()}
