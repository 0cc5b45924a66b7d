"""Starts a service's messaging in its lifespan: connect, provision, relay, consumers."""

from __future__ import annotations

import asyncio
from typing import Any

from xinfang.common.clock import Clock
from xinfang.common.db import Database
from xinfang.common.logging import get_logger
from xinfang.common.messaging.connection import connect
from xinfang.common.messaging.consumer import ConsumerRunner, Subscription
from xinfang.common.messaging.outbox import OutboxRelay
from xinfang.common.messaging.provision import StreamSpec, ensure_consumer, ensure_stream
from xinfang.common.metrics import ServiceMetrics
from xinfang.common.settings import BaseServiceSettings

log = get_logger(__name__)


class MessagingRuntime:
    """Owns one NATS connection and the background tasks of a service.

    The HTTP API keeps accepting work while NATS is away: events wait in the outbox.
    """

    def __init__(
        self,
        *,
        settings: BaseServiceSettings,
        db: Database,
        clock: Clock,
        metrics: ServiceMetrics,
        subscriptions: list[Subscription],
        workers: list[Any] | None = None,
    ) -> None:
        self.settings, self.db, self.clock, self.metrics = settings, db, clock, metrics
        self.subscriptions = subscriptions
        self.workers = workers or []  # `async run()` loops that need the database, not NATS
        self.nc: Any = None
        self.js: Any = None
        self.runners: list[ConsumerRunner] = []
        self.relay: OutboxRelay | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self.dead_tasks: list[str] = []  # a loop that died is a bug: readiness says so
        self._connected = asyncio.Event()

    @property
    def ready(self) -> bool:
        """Connected, provisioned, every consumer bound and no background task dead."""
        return (
            not self.dead_tasks
            and self.nc is not None
            and self.nc.is_connected
            and self._connected.is_set()
            and all(r.ready for r in self.runners)
        )

    async def start(self) -> None:
        """Start the workers; connect in the background (retrying), then relay and consume."""
        for worker in self.workers:
            self._spawn(worker.run(), type(worker).__name__)
        self._tasks.append(asyncio.create_task(self._start(), name="messaging-start"))

    async def _start(self) -> None:
        s = self.settings
        while self.nc is None:
            try:
                self.nc = await connect(
                    s.nats_url,
                    name=f"{s.service_name}-{s.instance_id}",
                    user=s.nats_user,
                    password=s.nats_password,
                    inbox_prefix=f"_INBOX_{s.service_name}",
                )
            except Exception as exc:
                log.warning("nats_connect_failed", url=s.nats_url, error=repr(exc))
                await asyncio.sleep(1.0)
        self.js = self.nc.jetstream()
        await self._provision()
        self.relay = OutboxRelay(
            db=self.db,
            js=self.js,
            clock=self.clock,
            metrics=self.metrics,
            batch=s.relay_batch,
            interval=s.relay_interval_seconds,
        )
        self._spawn(self.relay.run(), "outbox-relay")
        for sub in self.subscriptions:
            runner = ConsumerRunner(
                subscription=sub,
                db=self.db,
                js=self.js,
                clock=self.clock,
                metrics=self.metrics,
                batch=s.consumer_batch,
            )
            self.runners.append(runner)
            self._spawn(runner.run(), sub.spec.durable)
        self._connected.set()
        log.info("messaging_started", consumers=[r.name for r in self.runners])

    async def _provision(self) -> None:
        while True:
            try:
                if self.settings.provision_stream:
                    await ensure_stream(self.js, StreamSpec(replicas=self.settings.stream_replicas))
                for sub in self.subscriptions:
                    await ensure_consumer(self.js, sub.spec)
                return
            except Exception as exc:
                log.warning("nats_provision_failed", error=repr(exc))
                await asyncio.sleep(1.0)

    def _spawn(self, coro: Any, name: str) -> None:
        task = asyncio.create_task(coro, name=name)
        task.add_done_callback(self._on_task_done)
        self._tasks.append(task)

    def _on_task_done(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            self.dead_tasks.append(task.get_name())
            log.error("background_task_died", task=task.get_name(), error=repr(task.exception()))

    async def stop(self) -> None:
        """Cancel the tasks and close the connection; unacked messages are redelivered later."""
        pending = {task for task in self._tasks if not task.done()}
        # Python 3.11's wait_for (and some drivers) can swallow a cancellation that lands just as
        # the awaited thing completes; so cancel again until every task has really ended.
        for _ in range(20):
            if not pending:
                break
            for task in pending:
                task.cancel()
            _, pending = await asyncio.wait(pending, timeout=0.5)
        if pending:
            log.error("background_tasks_did_not_stop", tasks=[t.get_name() for t in pending])
        if self.nc is not None and not self.nc.is_closed:
            await self.nc.close()
