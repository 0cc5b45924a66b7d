"""Supervision's events into the outbox, in the caller's transaction, in the order emitted.

`emit` does what `xinfang.common.messaging.outbox.add_event` does, the envelope built as JSON
text around the event's own (validated, pydantic-serialised) data instead of as a second pydantic
model: a firing tick emits thousands of events, and the envelope model cost more than the rest of
firing each. The rows are inserted by one executemany just before the transaction commits.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import datetime, timedelta
from functools import lru_cache

from pydantic import TypeAdapter
from sqlalchemy import insert
from sqlmodel.ext.asyncio.session import AsyncSession

from xinfang.common.db import before_commit
from xinfang.common.events import Event
from xinfang.common.messaging.tables import OutboxEvent
from xinfang.common.tracing import current_traceparent

OUTBOX = OutboxEvent.__table__  # type: ignore[attr-defined]
ROWS = "supervision_outbox_rows"
_TIME = TypeAdapter(datetime)


def emit(session: AsyncSession, event: Event, *, source: str, now: datetime) -> str:
    """Write `event` to the outbox inside the caller's transaction; returns its event id."""
    event_id, traceparent = next(_EVENT_IDS), current_traceparent()
    rows = session.info.get(ROWS)
    if rows is None:
        rows = session.info[ROWS] = []
        before_commit(session, _insert_rows)
        session.info["outbox_written"] = True  # the unit of work wakes the relay on commit
    rows.append(
        {
            "event_id": event_id,
            "type": event.TYPE,
            "subject": event.nats_subject(),
            "case_no": event.case_no,
            "payload": envelope_json(event, event_id, source, now, traceparent),
            "traceparent": traceparent,
            "created_at": now,
            "published_at": None,
        }
    )
    return event_id


def envelope_json(
    event: Event, event_id: str, source: str, time: datetime, traceparent: str | None
) -> str:
    """The CloudEvents envelope of `event` as `new_envelope(...).model_dump_json()` writes it."""
    return (
        f'{{"specversion":"1.0","id":"{event_id}",{_source_and_type(source, event.TYPE)}'
        f'"subject":{_text(event.case_no)},{_time_and_trace(time, time.utcoffset(), traceparent)}'
        f"{event.model_dump_json()}}}"
    )


@lru_cache(maxsize=64)
def _source_and_type(source: str, type_: str) -> str:
    return f'"source":{_text(source)},"type":"{type_}",'


@lru_cache(maxsize=256)
def _time_and_trace(time: datetime, offset: timedelta | None, traceparent: str | None) -> str:
    """Kept per moment and offset (one instant written in two zones is two texts): a tick
    stamps thousands of events with one moment."""
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
_EVENT_IDS = event_ids()


def _new_pool() -> None:
    global _EVENT_IDS
    _EVENT_IDS = event_ids()


os.register_at_fork(after_in_child=_new_pool)  # a forked child never reuses the parent's pool


async def _insert_rows(session: AsyncSession) -> None:
    rows = session.info.pop(ROWS, [])
    if rows:
        connection = await session.connection()
        await connection.execute(insert(OUTBOX), rows)
