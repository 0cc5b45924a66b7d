"""Event contracts: the CloudEvents 1.0 envelope, typed versioned events, the registry, schemas."""

from xinfang.common.events.catalogue import (
    DeadlineScheduled,
    NoticeDelivered,
    NoticeFailed,
    PetitionerRef,
    PetitionReceived,
    PetitionRouted,
)
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
