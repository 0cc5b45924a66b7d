"""The outbox: events committed with the state change, published afterwards by a relay."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel.ext.asyncio.session import AsyncSession

from xinfang.common.clock import Clock
from xinfang.common.db import Database, before_commit
from xinfang.common.events import Event, envelope_json, new_event_id
from xinfang.common.logging import get_logger
from xinfang.common.messaging.tables import OutboxEvent
from xinfang.common.metrics import ServiceMetrics
from xinfang.common.tracing import current_traceparent

log = get_logger(__name__)

OUTBOX = OutboxEvent.__table__  # type: ignore[attr-defined]
# The relay's two statements, built once (through the ORM they cost more than publishing).
UNPUBLISHED = (
    select(OUTBOX.c.seq, OUTBOX.c.event_id, OUTBOX.c.type, OUTBOX.c.subject)
    .add_columns(OUTBOX.c.payload, OUTBOX.c.traceparent)
    .where(OUTBOX.c.published_at.is_(None))
    .order_by(OUTBOX.c.seq)
    .limit(bindparam("limit"))
)
MARK_PUBLISHED = (
    update(OUTBOX)
    .where(OUTBOX.c.seq.in_(bindparam("seqs", expanding=True)))
    .values(published_at=bindparam("now"))
)
# PostgreSQL: a service's instances share its outbox, and only the relay whose round holds this
# transaction-scoped advisory lock publishes; the others stand by ("outbox" as an int).
RELAY_LOCK = 0x6F7574626F78
TRY_RELAY_LOCK = text("SELECT pg_try_advisory_xact_lock(:key)")


@dataclass(frozen=True)
class WrittenEvent:
    """An event as the outbox holds it: its envelope's attributes, and the envelope in JSON."""

    id: str
    type: str
    subject: str | None
    time: datetime
    traceparent: str | None
    payload: str


def add_event(session: AsyncSession, event: Event, *, source: str, now: datetime) -> WrittenEvent:
    """Write `event` to the outbox inside the caller's transaction, with a fresh id and the
    current trace context; returns what was written.

    The rows of one transaction are inserted together, in the order they were added, by one
    executemany just before it commits (an ORM object per row cost more than the rest of a
    typical handler). So a query in the same transaction does not see them yet.
    """
    event_id, traceparent = new_event_id(), current_traceparent()
    payload = envelope_json(
        event, event_id=event_id, source=source, time=now, traceparent=traceparent
    )
    rows = session.info.setdefault("outbox_rows", [])
    rows.append(
        {
            "event_id": event_id,
            "type": event.TYPE,
            "subject": event.nats_subject(),
            "case_no": event.case_no,
            "payload": payload,
            "traceparent": traceparent,
            "created_at": now,
            "published_at": None,
        }
    )
    before_commit(session, _insert_rows)
    session.info["outbox_written"] = True
    return WrittenEvent(event_id, event.TYPE, event.case_no, now, traceparent, payload)


async def _insert_rows(session: AsyncSession) -> None:
    rows = session.info.pop("outbox_rows", [])
    if rows:
        await session.exec(insert(OUTBOX), params=rows)  # type: ignore[call-overload]


class OutboxRelay:
    """Publishes unpublished outbox rows in order, with `Nats-Msg-Id` = event id, then marks them.

    A crash between publish and mark re-publishes on restart; the stream's duplicate window and
    the consumers' inbox absorb it. On PostgreSQL a round is one transaction holding the relay
    lock, so of several instances one publishes at a time and none publishes a row another is
    publishing. SQLite's write lock cannot be held while publishing: there a round reads, publishes,
    then marks, and several relays on one file would publish the same rows twice.
    """

    def __init__(
        self,
        *,
        db: Database,
        js: Any,
        clock: Clock,
        metrics: ServiceMetrics,
        batch: int = 200,
        interval: float = 0.2,
        keep_published: timedelta = timedelta(days=7),
    ) -> None:
        self.db, self.js, self.clock, self.metrics = db, js, clock, metrics
        self.batch, self.interval, self.keep_published = batch, interval, keep_published

    async def publish_pending(self) -> int:
        """Publish one batch; returns how many rows it published (none while another
        instance's relay holds the outbox)."""
        if self.db.is_sqlite:
            async with self.db.reading() as session:
                rows = await self._unpublished(await session.connection())
            if not rows:
                return 0
            await self._publish(rows)
            async with self.db.transaction() as session:
                await self._mark(await session.connection(), rows)
            return len(rows)
        async with self.db.transaction() as session:
            connection = await session.connection()
            if not (await connection.execute(TRY_RELAY_LOCK, {"key": RELAY_LOCK})).scalar():
                return 0
            rows = await self._unpublished(connection)
            await self._publish(rows)
            await self._mark(connection, rows)
        return len(rows)

    async def _unpublished(self, connection: AsyncConnection) -> list[Any]:
        return list((await connection.execute(UNPUBLISHED, {"limit": self.batch})).all())

    async def _publish(self, rows: list[Any]) -> None:
        acks = [
            await self.js.publish_async(row.subject, row.payload.encode(), headers=_headers(row))
            for row in rows
        ]
        results = await asyncio.wait_for(asyncio.gather(*acks), timeout=10)
        for result in results:
            self.metrics.outbox_published.labels(
                "duplicate" if result.duplicate else "published"
            ).inc()

    async def _mark(self, connection: AsyncConnection, rows: list[Any]) -> None:
        if rows:
            seqs = [row.seq for row in rows]
            await connection.execute(MARK_PUBLISHED, {"seqs": seqs, "now": self.clock.now()})

    async def measure_backlog(self) -> None:
        """Set the backlog gauges from the table."""
        async with self.db.reading() as session:
            count, oldest = (
                await session.exec(
                    select(func.count(), func.min(OUTBOX.c.created_at)).where(
                        OUTBOX.c.published_at.is_(None)
                    )
                )
            ).one()
        self.metrics.outbox_backlog.set(count)
        age = (self.clock.now() - oldest).total_seconds() if oldest else 0.0
        self.metrics.outbox_oldest_age.set(max(age, 0.0))

    async def prune(self) -> None:
        """Drop rows published longer ago than `keep_published` (kept meanwhile to refill a
        stream after a disaster)."""
        cutoff = self.clock.now() - self.keep_published
        async with self.db.transaction() as session:
            await session.exec(delete(OUTBOX).where(OUTBOX.c.published_at < cutoff))

    async def run(self) -> None:
        """Publish forever: woken by commits that wrote events, or every `interval`."""
        rounds = 0
        while True:
            try:
                published = await self.publish_pending()
                if rounds % 50 == 0:
                    await self.measure_backlog()
                if rounds % 20_000 == 0:
                    await self.prune()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.metrics.relay_errors.inc()
                log.warning("outbox_relay_failed", error=str(exc) or type(exc).__name__)
                published = 0
                await asyncio.sleep(1.0)
            rounds += 1
            if published < self.batch:
                await self._wait()

    async def _wait(self) -> None:
        try:
            await asyncio.wait_for(self.db.outbox_signal.wait(), timeout=self.interval)
        except TimeoutError:
            pass
        self.db.outbox_signal.clear()


def _headers(row: Any) -> dict[str, str]:
    headers = {"Nats-Msg-Id": row.event_id, "Ce-Type": row.type}
    if row.traceparent:
        headers["traceparent"] = row.traceparent
    return headers
