"""Intake's composition root: builds the adapters once; tests pass overrides here."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import partial

from xinfang.common.clock import Clock, SystemClock
from xinfang.common.crypto import Sealer
from xinfang.common.db import Database
from xinfang.common.messaging.runtime import MessagingRuntime
from xinfang.common.metrics import ServiceMetrics
from xinfang.common.reference import (
    Category,
    Department,
    Region,
    load_categories,
    load_departments,
    load_regions,
)
from xinfang.intake.attachments import AttachmentStore
from xinfang.intake.consumers import subscriptions
from xinfang.intake.groupcommit import GroupCommit
from xinfang.intake.handlers.registration import Registration, write_registrations
from xinfang.intake.metrics import IntakeMetrics
from xinfang.intake.models import PetitionCreated
from xinfang.intake.ratelimit import RateLimiter
from xinfang.intake.settings import IntakeSettings


@dataclass
class Intake:
    """Everything intake's handlers and routes need."""

    settings: IntakeSettings
    db: Database
    clock: Clock
    metrics: ServiceMetrics
    intake_metrics: IntakeMetrics
    runtime: MessagingRuntime
    pii: Sealer
    notice_sealer: Sealer
    categories: dict[str, Category]
    category_version: str
    regions: dict[str, Region]
    departments: dict[str, Department]
    attachments: AttachmentStore
    lookups: RateLimiter
    registrations: GroupCommit[Registration, PetitionCreated] = field(init=False)

    @property
    def source(self) -> str:
        return self.settings.event_source


def _table_version(settings: IntakeSettings) -> str:
    """The classification table's version: set in settings, or the hash of its file."""
    if settings.category_version:
        return settings.category_version
    data = (settings.reference_dir / "categories.json").read_bytes()
    return "sha256:" + hashlib.sha256(data).hexdigest()[:12]


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
    intake = Intake(
        settings=settings,
        db=db,
        clock=clock,
        metrics=metrics,
        intake_metrics=IntakeMetrics(metrics.registry),
        runtime=runtime,
        pii=Sealer(settings.pii_keys),
        notice_sealer=Sealer([settings.notice_key]),
        categories={c.code: c for c in load_categories(settings.reference_dir)},
        category_version=_table_version(settings),
        regions={r.code: r for r in load_regions(settings.reference_dir)},
        departments={d.code: d for d in load_departments(settings.reference_dir)},
        attachments=AttachmentStore(settings.attachments_dir),
        lookups=RateLimiter(per_minute=settings.lookups_per_minute, clock=clock),
    )
    intake.registrations = GroupCommit(partial(write_registrations, intake))
    return intake
