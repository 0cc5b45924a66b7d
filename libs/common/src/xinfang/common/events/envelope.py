"""The CloudEvents 1.0 envelope and the registry of typed, versioned events."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, ClassVar, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

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
        id=new_event_id(),
        source=source,
        type=event.TYPE,
        subject=event.case_no,
        time=time,
        traceparent=current_traceparent(),
        data=event.model_dump(mode="json"),
    )


def envelope_json(
    event: Event, *, event_id: str, source: str, time: datetime, traceparent: str | None
) -> str:
    """The envelope of `event` in JSON, exactly as `Envelope(...).model_dump_json()` writes it,
    built around the event's own JSON: the outbox writes an envelope for every event, and a
    second model per event cost more than the rest of writing it."""
    return (
        f'{{"specversion":"1.0","id":"{event_id}",{_source_and_type(source, event.TYPE)}'
        f'"subject":{_text(event.case_no)},{_time_and_trace(time, time.utcoffset(), traceparent)}'
        f"{event.model_dump_json()}}}"
    )


_TIME = TypeAdapter(datetime)


@lru_cache(maxsize=64)
def _source_and_type(source: str, type_: str) -> str:
    return f'"source":{_text(source)},"type":"{type_}",'


@lru_cache(maxsize=256)
def _time_and_trace(time: datetime, offset: timedelta | None, traceparent: str | None) -> str:
    # Kept per moment and offset (one instant written in two zones is two texts): a tick
    # stamps thousands of events with one moment.
    return (
        f'"time":{_TIME.dump_json(time).decode()},"datacontenttype":"application/json",'
        f'"traceparent":{_text(traceparent)},"data":'
    )


def _text(value: str | None) -> str:
    """A JSON string (or null); ids, codes and sources need no escaping, the rest is dumped."""
    if value is None:
        return "null"
    if value.isascii() and value.isprintable() and '"' not in value and "\\" not in value:
        return f'"{value}"'
    return json.dumps(value, ensure_ascii=False)


def new_event_id() -> str:
    """A random (version 4) UUID as text, for an event's id."""
    return next(_event_ids)


def event_ids(per_read: int = 256) -> Iterator[str]:
    """Random (version 4) UUIDs as text, `per_read` from each read of the system's random source
    (`uuid.uuid4()` reads it once per id, which cost more than the rest of an event's row)."""
    while True:
        pool = os.urandom(16 * per_read)
        for start in range(0, len(pool), 16):
            n = int.from_bytes(pool[start : start + 16]) & _CLEAR | _VERSION_4
            h = f"{n:032x}"
            yield f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


_CLEAR = ~((0xF000 << 64) | (0xC000 << 48))  # the version and variant bits, as uuid.UUID sets
_VERSION_4 = (4 << 76) | (0x8000 << 48)
_event_ids = event_ids()


def _new_pool() -> None:
    global _event_ids
    _event_ids = event_ids()


os.register_at_fork(after_in_child=_new_pool)  # a forked child never reuses the parent's pool


def parse_event(envelope: Envelope) -> Event:
    """The typed event inside an envelope; PoisonMessage if the data does not fit its schema."""
    cls = event_class(envelope.type)
    try:
        return cls.model_validate(envelope.data)
    except ValidationError as exc:
        raise PoisonMessage(
            f"{envelope.type}: {exc.error_count()} invalid field(s): {exc}"
        ) from exc
