"""Event contracts: the CloudEvents 1.0 envelope, typed versioned events, the registry, schemas."""

from xinfang.common.events.envelope import (
    Envelope,
    Event,
    PoisonMessage,
    event_class,
    event_types,
    new_envelope,
    parse_event,
    register,
    subject_for,
)
from xinfang.common.events.notice import NoticeDelivered, NoticeFailed
from xinfang.common.events.petition import PetitionerRef, PetitionReceived
from xinfang.common.events.routing import PetitionRouted
from xinfang.common.events.supervision import DeadlineScheduled

__all__ = [
    "DeadlineScheduled",
    "Envelope",
    "Event",
    "NoticeDelivered",
    "NoticeFailed",
    "PetitionReceived",
    "PetitionRouted",
    "PetitionerRef",
    "PoisonMessage",
    "event_class",
    "event_types",
    "new_envelope",
    "parse_event",
    "register",
    "subject_for",
]
