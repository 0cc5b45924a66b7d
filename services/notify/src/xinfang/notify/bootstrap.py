"""Notify's composition root: builds the adapters once; tests pass overrides here."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from xinfang.common.clock import Clock, SystemClock
from xinfang.common.crypto import Sealer
from xinfang.common.db import Database
from xinfang.common.messaging.runtime import MessagingRuntime
from xinfang.common.metrics import ServiceMetrics
from xinfang.notify import domain
from xinfang.notify.breaker import Breakers
from xinfang.notify.channels import Channel
from xinfang.notify.channels.email import EmailChannel
from xinfang.notify.channels.letter import LetterChannel
from xinfang.notify.channels.portal import PortalChannel
from xinfang.notify.channels.sms import SmsChannel
from xinfang.notify.channels.webhook import WebhookChannel
from xinfang.notify.consumers import subscriptions
from xinfang.notify.directory import Directory, load_directory
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
    directory: Directory
    breakers: Breakers
    wakeup: asyncio.Event = field(default_factory=asyncio.Event)
    # Set by bootstrap once the container exists, since both are built from it.
    dispatcher: Dispatcher = field(init=False)
    runtime: MessagingRuntime = field(init=False)

    @property
    def source(self) -> str:
        return self.settings.event_source

    def schedule(self, channel: str, now: datetime, *, audience: str) -> datetime:
        """When a notice may go: now, or for an SMS to a quiet audience (petitioners by default)
        the morning after the quiet hours."""
        settings = self.settings
        if channel != "sms" or audience not in settings.quiet_audiences:
            return now
        morning = domain.quiet_until(
            now, start_hour=settings.quiet_start_hour, end_hour=settings.quiet_end_hour
        )
        return morning or now


def real_channels(settings: NotifySettings, clock: Clock) -> dict[str, Channel]:
    """Every channel, configured from the settings."""

    def timestamp() -> str:
        return str(int(clock.now().timestamp()))

    return {
        "email": EmailChannel(
            host=settings.smtp_host,
            port=settings.smtp_port,
            sender=settings.smtp_from,
            sender_name=settings.authority_name,
            timeout=settings.smtp_timeout,
        ),
        "sms": SmsChannel(
            url=settings.sms_gateway_url,
            account=settings.sms_account,
            secret=settings.sms_secret,
            timeout=settings.http_timeout,
            timestamp=timestamp,
        ),
        "webhook": WebhookChannel(timeout=settings.http_timeout, timestamp=timestamp),
        "letter": LetterChannel(directory=settings.letters_dir),
        "portal": PortalChannel(),
    }


def bootstrap(
    settings: NotifySettings,
    *,
    clock: Clock | None = None,
    channels: Mapping[str, Channel] | None = None,
    directory: Directory | None = None,
) -> Notify:
    """Wire notify from its settings; `channels` replaces the real ones (by name) in tests."""
    metrics = ServiceMetrics("notify")
    clock = clock or SystemClock()
    notify = Notify(
        settings=settings,
        db=Database(settings.database_url),
        clock=clock,
        metrics=metrics,
        notice_metrics=NoticeMetrics(metrics.registry),
        sealer=Sealer([settings.notice_key]),
        channels={**real_channels(settings, clock), **(channels or {})},
        directory=directory or load_directory(settings.recipients_file or None),
        breakers=Breakers(
            threshold=settings.breaker_threshold,
            cooldown=timedelta(seconds=settings.breaker_cooldown_seconds),
        ),
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
