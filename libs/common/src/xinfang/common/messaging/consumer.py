"""The consumer runner: fetch a batch, apply it in one transaction with the inbox, then ack.

Duplicate → ack. Transient error → nak with back-off. Poison → dead-letter row, then term.
A message still failing at its last delivery is dead-lettered too, so nothing is dropped silently.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import structlog
from nats.errors import TimeoutError as NatsTimeoutError
from pydantic import ValidationError
from sqlalchemy import bindparam, func, insert, select
from sqlmodel.ext.asyncio.session import AsyncSession

from xinfang.common.clock import Clock
from xinfang.common.db import Database
from xinfang.common.events import Envelope, Event, PoisonMessage, parse_event
from xinfang.common.logging import get_logger
from xinfang.common.messaging.provision import ConsumerSpec
from xinfang.common.messaging.tables import AppliedEvent, DeadLetter
from xinfang.common.metrics import ServiceMetrics
from xinfang.common.tracing import continue_trace, trace_id_of

log = get_logger(__name__)

INBOX = AppliedEvent.__table__  # type: ignore[attr-defined]
# Built once and run on the session's connection: through the ORM session, building and running
# these two cost more than the rest of a small batch.
APPLIED = select(INBOX.c.event_id).where(
    INBOX.c.consumer == bindparam("consumer"),
    INBOX.c.event_id.in_(bindparam("ids", expanding=True)),
)
RECORD_APPLIED = insert(INBOX)

Handler = Callable[[AsyncSession, Event, Envelope], Awaitable[None]]
BATCH_CASES = "batch_cases"  # session.info: the case numbers of the batch being applied


def batch_cases(session: AsyncSession) -> set[str]:
    """The cases the events of the batch in this unit of work are about (empty outside a
    consumer), so a handler can read them all with its first query instead of one by one."""
    cases: set[str] = session.info.get(BATCH_CASES, set())
    return cases


@dataclass(frozen=True)
class Subscription:
    """What a service consumes: the durable consumer and a table from event type to handler."""

    spec: ConsumerSpec
    handlers: Mapping[str, Handler]


def backoff_seconds(deliveries: int) -> float:
    """0.5 s, 1 s, 2 s … capped at 30 s."""
    return float(min(0.5 * 2 ** max(deliveries - 1, 0), 30.0))


def _on_its_subject(event: Event, envelope: Envelope, subject: str) -> Event:
    """NATS permissions say who may publish on which subject, so an event of one type arriving
    on another type's subject is a forgery (or a bug) and never applied; so is one whose
    envelope names another case than its data (logs and timelines go by the envelope)."""
    if subject != event.nats_subject():
        raise PoisonMessage(f"{event.TYPE} arrived on {subject}, not {event.nats_subject()}")
    if envelope.subject != event.case_no:
        raise PoisonMessage(f"envelope about {envelope.subject}, data about {event.case_no}")
    return event


def _storable(text: str) -> str:
    """PostgreSQL text cannot hold NUL, and a message that cannot be kept would be lost."""
    return text.replace("\x00", "\\u0000")


class ConsumerRunner:
    """Runs one durable pull consumer for a service."""

    def __init__(
        self,
        *,
        subscription: Subscription,
        db: Database,
        js: Any,
        clock: Clock,
        metrics: ServiceMetrics,
        batch: int = 50,
    ) -> None:
        self.sub_spec = subscription.spec
        self.handlers = subscription.handlers
        self.db, self.js, self.clock, self.metrics, self.batch = db, js, clock, metrics, batch
        self.name = subscription.spec.durable
        self.ready = False
        self._pull: Any = None
        # Each message is counted and timed: the labelled children, looked up once.
        self._latency = metrics.handler_latency.labels(self.name)
        self._counters: dict[str, Any] = {}

    async def run(self) -> None:
        """Fetch and apply forever; an error in one round never stops the consumer."""
        self._pull = await self.js.pull_subscribe_bind(
            durable=self.name, stream=self.sub_spec.stream
        )
        self.ready = True
        last_gauge = 0.0
        while True:
            try:
                await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # unacked messages come back after ack_wait
                log.warning("consumer_round_failed", consumer=self.name, error=repr(exc))
                await asyncio.sleep(1.0)
            if time.monotonic() - last_gauge > 5:
                last_gauge = time.monotonic()
                await self._measure()

    async def run_once(self) -> int:
        """Fetch one batch (waiting up to a second) and apply it; returns its size."""
        try:
            msgs = await self._pull.fetch(batch=self.batch, timeout=1.0)
        except (NatsTimeoutError, TimeoutError):
            return 0
        await self.apply_batch(msgs)
        return len(msgs)

    async def apply_batch(self, msgs: list[Any]) -> None:
        """Apply a batch in one transaction; if anything in it fails, apply one by one."""
        parsed = [p for p in [await self._parse(m) for m in msgs] if p is not None]
        if not parsed:
            return
        started = time.perf_counter()
        try:
            async with self.db.transaction() as session:
                results = await self._apply(session, [(env, event) for _, env, event in parsed])
        except Exception:
            for item in parsed:
                await self._apply_alone(*item)
            return
        elapsed = (time.perf_counter() - started) / len(parsed)
        for (msg, env, _), result in zip(parsed, results, strict=True):
            await self._ack(msg, env, result, elapsed)

    async def _parse(self, msg: Any) -> tuple[Any, Envelope, Event] | None:
        env = None
        try:
            env = Envelope.model_validate_json(msg.data)
            return msg, env, _on_its_subject(parse_event(env), env, msg.subject)
        except (ValidationError, PoisonMessage, ValueError) as exc:
            await self._dead_letter(msg, env, exc)
            return None

    async def _apply(self, session: AsyncSession, items: list[tuple[Envelope, Event]]) -> list[str]:
        """Apply each event not in the inbox yet, then record them all there in one statement."""
        seen = await self._applied(session, [env.id for env, _ in items])
        session.info[BATCH_CASES] = {e.subject for e, _ in items if e.subject and e.id not in seen}
        results, inbox = [], []
        for env, event in items:
            if env.id in seen:  # applied before, or earlier in this very batch
                results.append("duplicate")
                continue
            seen.add(env.id)
            results.append(await self._handle(session, env, event))
            inbox.append(
                {"consumer": self.name, "event_id": env.id, "applied_at": self.clock.now()}
            )
        if inbox:
            await (await session.connection()).execute(RECORD_APPLIED, inbox)
        return results

    async def _applied(self, session: AsyncSession, event_ids: list[str]) -> set[str]:
        connection = await session.connection()
        rows = await connection.execute(APPLIED, {"consumer": self.name, "ids": event_ids})
        return {row[0] for row in rows}

    async def _handle(self, session: AsyncSession, env: Envelope, event: Event) -> str:
        handler = self.handlers.get(env.type)
        if handler is None:
            return "ignored"
        # bind and reset rather than bound_contextvars(), which reads every context variable
        # of the task first: that cost more than many a handler.
        tokens = structlog.contextvars.bind_contextvars(
            case_no=env.subject,
            event_id=env.id,
            event_type=env.type,
            trace_id=trace_id_of(continue_trace(env.traceparent)),
        )
        try:
            await handler(session, event, env)
        finally:
            structlog.contextvars.reset_contextvars(**tokens)
        return "applied"

    async def _apply_alone(self, msg: Any, env: Envelope, event: Event) -> None:
        started = time.perf_counter()
        try:
            async with self.db.transaction() as session:
                [result] = await self._apply(session, [(env, event)])
        except PoisonMessage as exc:
            await self._dead_letter(msg, env, exc)
        except Exception as exc:
            await self._retry_or_give_up(msg, env, exc)
        else:
            await self._ack(msg, env, result, time.perf_counter() - started)

    async def _ack(self, msg: Any, env: Envelope, result: str, elapsed: float) -> None:
        await msg.ack()
        self._counter(result).inc()
        self._latency.observe(elapsed)
        if result == "applied":
            log.debug("event_applied", consumer=self.name, event_type=env.type, case_no=env.subject)
        elif result == "ignored":  # delivered by a wide filter; this service has no use for it
            log.info("event_ignored", consumer=self.name, event_type=env.type, reason="no handler")

    def _counter(self, result: str) -> Any:
        counter = self._counters.get(result)
        if counter is None:
            counter = self._counters[result] = self.metrics.messages.labels(self.name, result)
        return counter

    async def _retry_or_give_up(self, msg: Any, env: Envelope, exc: Exception) -> None:
        deliveries = msg.metadata.num_delivered
        if deliveries >= self.sub_spec.max_deliver:
            await self._dead_letter(msg, env, exc)
            return
        log.warning(
            "event_retry",
            consumer=self.name,
            case_no=env.subject,
            event_id=env.id,
            deliveries=deliveries,
            error=repr(exc),
        )
        await msg.nak(delay=backoff_seconds(deliveries))
        self.metrics.messages.labels(self.name, "nak").inc()

    async def _dead_letter(self, msg: Any, env: Envelope | None, exc: Exception) -> None:
        """Keep the message in the dead-letter table, then terminate it on the server."""
        meta = msg.metadata
        row = DeadLetter(
            consumer=self.name,
            subject=msg.subject,
            event_id=env.id if env else (msg.headers or {}).get("Nats-Msg-Id"),
            event_type=env.type if env else None,
            stream_seq=meta.sequence.stream,
            deliveries=meta.num_delivered,
            payload=_storable(msg.data.decode("utf-8", errors="replace")),
            error=_storable(f"{type(exc).__name__}: {exc}")[:4000],
            created_at=self.clock.now(),
        )
        try:
            async with self.db.transaction() as session:
                session.add(row)
        except Exception as db_exc:  # cannot keep it: leave it to NATS for later
            log.error("dead_letter_write_failed", consumer=self.name, error=repr(db_exc))
            await msg.nak(delay=5.0)
            return
        await msg.term()
        self.metrics.messages.labels(self.name, "dead_lettered").inc()
        self.metrics.dead_letters.inc()  # the alert's gauge at once; _measure recounts it
        log.error(
            "event_dead_lettered",
            consumer=self.name,
            subject=msg.subject,
            event_id=row.event_id,
            error=row.error[:300],
        )

    async def _measure(self) -> None:
        try:
            info = await self.js.consumer_info(self.sub_spec.stream, self.name)
            self.metrics.consumer_pending.labels(self.name).set(info.num_pending or 0)
            async with self.db.reading() as session:
                count = await session.scalar(select(func.count()).select_from(DeadLetter))
            self.metrics.dead_letters.set(count or 0)
        except Exception as exc:
            log.debug("consumer_measure_failed", consumer=self.name, error=repr(exc))
