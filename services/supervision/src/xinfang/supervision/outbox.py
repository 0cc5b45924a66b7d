"""Supervision's events into the outbox, in the caller's transaction, in the order emitted.

`emit` does what `xinfang.common.messaging.outbox.add_event` does, the envelope built as JSON
text around the event's own (validated, pydantic-serialised) data instead of as a second pydantic
model: a firing tick emits thousands of events, and the envelope model cost more than the rest of
firing each. The rows are inserted by one executemany just before the transaction commits.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
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
    event_id, traceparent = str(uuid.uuid4()), current_traceparent()
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
    head = (
        f'{{"specversion":"1.0","id":"{event_id}","source":{_text(source)},'
        f'"type":"{event.TYPE}","subject":{_text(event.case_no)},'
        f'"time":{_time(time)},"datacontenttype":"application/json",'
        f'"traceparent":{_text(traceparent)},"data":'
    )
    return f"{head}{event.model_dump_json()}}}"


def _text(value: str | None) -> str:
    """A JSON string (or null); ids, codes and sources need no escaping, the rest is dumped."""
    if value is None:
        return "null"
    if value.isascii() and value.isprintable() and '"' not in value and "\\" not in value:
        return f'"{value}"'
    return json.dumps(value, ensure_ascii=False)


@lru_cache(maxsize=256)
def _time(moment: datetime) -> str:
    """As pydantic writes it (a tick stamps thousands of events with one moment)."""
    return _TIME.dump_json(moment).decode()


async def _insert_rows(session: AsyncSession) -> None:
    rows = session.info.pop(ROWS, [])
    if rows:
        connection = await session.connection()
        await connection.execute(insert(OUTBOX), rows)
