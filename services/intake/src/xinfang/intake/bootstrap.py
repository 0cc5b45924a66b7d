"""Intake's composition root: builds the adapters once; tests pass overrides here."""

from __future__ import annotations

from dataclasses import dataclass

from xinfang.common.clock import Clock, SystemClock
from xinfang.common.crypto import Sealer
from xinfang.common.db import Database
from xinfang.common.messaging.runtime import MessagingRuntime
from xinfang.common.metrics import ServiceMetrics
from xinfang.common.reference import Category, Region, load_categories, load_regions
from xinfang.intake.consumers import subscriptions
from xinfang.intake.settings import IntakeSettings


@dataclass
class Intake:
    """Everything intake's handlers and routes need."""

    settings: IntakeSettings
    db: Database
    clock: Clock
    metrics: ServiceMetrics
    runtime: MessagingRuntime
    pii: Sealer
    notice_sealer: Sealer
    categories: dict[str, Category]
    regions: dict[str, Region]

    @property
    def source(self) -> str:
        return self.settings.event_source


def bootstrap(settings: IntakeSettings, *, clock: Clock | None = None) -> Intake:
    """Wire intake from its settings."""
    clock = clock or SystemClock()
    db = Database(settings.database_url)
    metrics = ServiceMetrics("intake")
    runtime = MessagingRuntime(
        settings=settings,
        db=db,
        clock=clock,
        metrics=metrics,
        subscriptions=subscriptions(settings),
    )
    return Intake(
        settings=settings,
        db=db,
        clock=clock,
        metrics=metrics,
        runtime=runtime,
        pii=Sealer(settings.pii_keys),
        notice_sealer=Sealer([settings.notice_key]),
        categories={c.code: c for c in load_categories(settings.reference_dir)},
        regions={r.code: r for r in load_regions(settings.reference_dir)},
    )
