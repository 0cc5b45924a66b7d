"""Notify's event and command handlers; the table of event handlers is at the bottom.

Event handlers (`events`) run in the consumer runner's transaction and plan notices. The delivery
handlers (`delivery`) own their transactions: each outcome and the event reporting it commit
together.
"""

from __future__ import annotations

from xinfang.common.events import (
    AlertRaised,
    AssignmentAccepted,
    CaseAnswered,
    DeadlineMissed,
    DeadlineWarned,
    ExtensionDecided,
    PetitionReceived,
    PetitionRefused,
    PetitionRouted,
    SupervisionEscalated,
    SupervisionOrderIssued,
)
from xinfang.notify.handlers.delivery import (
    Outcome,
    claim_due_notices,
    defer,
    mark_printed,
    record_delivery,
    record_failure,
    record_outcomes,
    release,
    resend,
)
from xinfang.notify.handlers.events import EventHandler, on_received, on_step, open_contacts

__all__ = [
    "EVENT_HANDLERS",
    "Outcome",
    "claim_due_notices",
    "defer",
    "mark_printed",
    "open_contacts",
    "record_delivery",
    "record_failure",
    "record_outcomes",
    "release",
    "resend",
]

EVENT_HANDLERS: dict[str, EventHandler] = {
    PetitionReceived.TYPE: on_received,
    PetitionRouted.TYPE: on_step,
    AssignmentAccepted.TYPE: on_step,
    PetitionRefused.TYPE: on_step,
    ExtensionDecided.TYPE: on_step,
    CaseAnswered.TYPE: on_step,
    SupervisionOrderIssued.TYPE: on_step,
    SupervisionEscalated.TYPE: on_step,
    DeadlineWarned.TYPE: on_step,
    DeadlineMissed.TYPE: on_step,
    AlertRaised.TYPE: on_step,
}
