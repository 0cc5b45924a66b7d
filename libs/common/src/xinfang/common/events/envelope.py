"""The CloudEvents 1.0 envelope and the registry of typed, versioned events."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, ClassVar, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from xinfang.common.tracing import current_traceparent

STREAM_PREFIX = "xinfang"


class PoisonMessage(Exception):
    """A message that can never be applied; it goes to the dead-letter table, not back to NATS."""


class Event(BaseModel):
    """Base of every typed event: its `data`. Subclasses set TYPE (`xinfang.<agg>.<verb>.v1`)."""

    TYPE: ClassVar[str]
    model_config = ConfigDict(extra="ignore", frozen=True)

    case_no: str | None = Field(
        default=None, description="the case number (信访件编号), when the event is about a case"
    )

    def nats_subject(self) -> str:
        """The NATS subject to publish on: the type without its version."""
        return subject_for(self.TYPE)


class CaseEvent(Event):
    """An event about one case; its case number is the envelope's subject."""

    case_no: str = Field(description="the case number (信访件编号) the event is about")


class DepartmentEvent(CaseEvent):
    """A case event a department receives: published on a subject ending in its code."""

    department_code: str = Field(description="the department the event is addressed to")

    def nats_subject(self) -> str:
        # The department code is the last token so a department can filter on its own events.
        return f"{subject_for(self.TYPE)}.{self.department_code}"


class Envelope(BaseModel):
    """CloudEvents 1.0 attributes in JSON; `subject` is the case number."""

    model_config = ConfigDict(extra="ignore")

    specversion: Literal["1.0"] = "1.0"
    id: str
    source: str
    type: str
    subject: str | None = None
    time: datetime
    datacontenttype: Literal["application/json"] = "application/json"
    traceparent: str | None = None
    data: dict[str, Any]


_REGISTRY: dict[str, type[Event]] = {}
E = TypeVar("E", bound=type[Event])


def register(cls: E) -> E:
    """Class decorator: make an event type known to parsers and the schema export."""
    if cls.TYPE in _REGISTRY:
        raise ValueError(f"event type {cls.TYPE} registered twice")
    _REGISTRY[cls.TYPE] = cls
    return cls


def event_types() -> dict[str, type[Event]]:
    """Every registered event type, by type name."""
    return dict(_REGISTRY)


def event_class(type_name: str) -> type[Event]:
    """The class registered for a type name; PoisonMessage if none is."""
    try:
        return _REGISTRY[type_name]
    except KeyError:
        raise PoisonMessage(f"unknown event type {type_name!r}") from None


def subject_for(type_name: str) -> str:
    """`xinfang.petition.received.v1` → `xinfang.petition.received`."""
    head, _, version = type_name.rpartition(".")
    return head if version.startswith("v") and version[1:].isdigit() else type_name


def new_envelope(event: Event, *, source: str, time: datetime) -> Envelope:
    """Wrap an event for publishing, with a fresh id and the current trace context."""
    return Envelope(
        id=str(uuid.uuid4()),
        source=source,
        type=event.TYPE,
        subject=event.case_no,
        time=time,
        traceparent=current_traceparent(),
        data=event.model_dump(mode="json"),
    )


def parse_event(envelope: Envelope) -> Event:
    """The typed event inside an envelope; PoisonMessage if the data does not fit its schema."""
    cls = event_class(envelope.type)
    try:
        return cls.model_validate(envelope.data)
    except ValidationError as exc:
        raise PoisonMessage(
            f"{envelope.type}: {exc.error_count()} invalid field(s): {exc}"
        ) from exc
