"""Notify's composition root: builds the adapters once; tests pass overrides here."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field

from xinfang.common.clock import Clock, SystemClock
from xinfang.common.crypto import Sealer
from xinfang.common.db import Database
from xinfang.common.messaging.runtime import MessagingRuntime
from xinfang.common.metrics import ServiceMetrics
from xinfang.notify.channels import Channel
from xinfang.notify.channels.email import EmailChannel
from xinfang.notify.consumers import subscriptions
from xinfang.notify.dispatcher import Dispatcher
from xinfang.notify.metrics import NoticeMetrics
from xinfang.notify.settings import NotifySettings


@dataclass
class Notify:
    """Everything notify's handlers, dispatcher and routes need."""

    settings: NotifySettings
    db: Database
    clock: Clock
    metrics: ServiceMetrics
    notice_metrics: NoticeMetrics
    sealer: Sealer
    channels: dict[str, Channel]
    wakeup: asyncio.Event = field(default_factory=asyncio.Event)
    # Set by bootstrap once the container exists, since both are built from it.
    dispatcher: Dispatcher = field(init=False)
    runtime: MessagingRuntime = field(init=False)

    @property
    def source(self) -> str:
        return self.settings.event_source


def email_channel(settings: NotifySettings) -> EmailChannel:
    return EmailChannel(
        host=settings.smtp_host,
        port=settings.smtp_port,
        sender=settings.smtp_from,
        sender_name=settings.authority_name,
        timeout=settings.smtp_timeout,
    )


def bootstrap(
    settings: NotifySettings,
    *,
    clock: Clock | None = None,
    channels: Mapping[str, Channel] | None = None,
) -> Notify:
    """Wire notify from its settings; `channels` replaces the real ones (by name) in tests."""
    metrics = ServiceMetrics("notify")
    notify = Notify(
        settings=settings,
        db=Database(settings.database_url),
        clock=clock or SystemClock(),
        metrics=metrics,
        notice_metrics=NoticeMetrics(metrics.registry),
        sealer=Sealer([settings.notice_key]),
        channels={"email": email_channel(settings), **(channels or {})},
    )
    notify.dispatcher = Dispatcher(notify)
    notify.runtime = MessagingRuntime(
        settings=settings,
        db=notify.db,
        clock=notify.clock,
        metrics=metrics,
        subscriptions=subscriptions(notify),
        workers=[notify.dispatcher],
    )
    return notify
