"""The scheduler: a worker that ticks on the injectable clock and fires timers kept in the database.

Every timer is a column (`Deadline.next_check_on`, `SupervisionOrder.next_escalate_on`), so timers
survive restarts and a tick after downtime catches up on everything come due. Due deadlines are
taken a batch at a time, held by the transaction that fires them (row locks on PostgreSQL, SQLite's
single writer), and moved on by one executemany in it, with their events; due orders are claimed
one by one with a conditional UPDATE on their `version`. Either way, with several instances on one
database, exactly one fires each timer.
"""

from __future__ import annotations

import asyncio
import math
import time
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from xinfang.common.clock import CHINA_TZ
from xinfang.common.db import Database
from xinfang.common.logging import get_logger
from xinfang.supervision import calendars, domain, kpis, repository
from xinfang.supervision.context import Context
from xinfang.supervision.domain import DeadlineKind
from xinfang.supervision.facts import case_facts
from xinfang.supervision.handlers.clocks import recount
from xinfang.supervision.handlers.orders import (
    announce_escalation,
    escalation_values,
    raise_alert,
)
from xinfang.supervision.metrics import SupervisionMetrics
from xinfang.supervision.models import Deadline, ZeroReport
from xinfang.supervision.store import Store
from xinfang.supervision.timers import DeadlineTimers

log = get_logger(__name__)


@dataclass
class TickResult:
    """What one tick did, for logs, tests and the benchmark."""

    warned: int = 0
    missed: int = 0
    escalated: int = 0
    recounted: int = 0
    skipped: int = 0  # claimed by another instance first
    extra: dict[str, int] = field(default_factory=dict)


class Scheduler:
    """`async run()`: tick every `interval` seconds on the injectable clock."""

    def __init__(
        self,
        *,
        db: Database,
        ctx: Context,
        interval: float,
        batch: int,
        metrics: SupervisionMetrics | None = None,
        kpi_every: float = 300.0,
    ) -> None:
        self.db, self.ctx, self.interval, self.batch = db, ctx, interval, batch
        self.timers = DeadlineTimers(ctx)
        self.metrics, self.kpi_every, self.kpis_refreshed_at = metrics, kpi_every, -math.inf

    async def run(self) -> None:
        while True:
            try:
                await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the next tick retries; timers stay in the database
                log.warning("scheduler_tick_failed", error=repr(exc))
            await asyncio.sleep(self.interval)

    async def tick(self) -> TickResult:
        """Reload a new calendar year if one appeared, then fire every timer come due."""
        started = time.perf_counter()
        result = TickResult()
        await self.check_calendar(result)
        today = domain.china_day(self.ctx.clock.now())
        while await self._deadlines_round(today, result):
            pass
        while await self._orders_round(today, result):
            pass
        await self._zero_reports(result)
        if self.metrics is not None:
            await self._measure(today, result, time.perf_counter() - started)
        return result

    async def _measure(self, today: date, result: TickResult, seconds: float) -> None:
        assert self.metrics is not None
        m = self.metrics
        m.tick_seconds.observe(seconds)
        for what in ("warned", "missed", "escalated", "recounted", "skipped"):
            m.fired.labels(what).inc(getattr(result, what))
        async with self.db.reading() as session:
            m.timers_due.set(await repository.count_due(session, today=today))
            m.open_orders.set(await repository.count_open_orders(session))
            for department, count in (await repository.overdue_by_department(session)).items():
                m.overdue.labels(department).set(count)
        if time.monotonic() - self.kpis_refreshed_at >= self.kpi_every:
            self.kpis_refreshed_at = time.monotonic()
            await self._refresh_kpis(today)

    async def _refresh_kpis(self, today: date) -> None:
        """The current year's KPIs per department, as gauges; one department's cases at a time,
        so memory stays bounded by the largest department rather than the whole year."""
        assert self.metrics is not None
        async with self.db.reading() as session:
            departments = await repository.case_departments(session)
        for department in departments:
            async with self.db.reading() as session:
                facts = await case_facts(
                    session, since=date(today.year, 1, 1), until=today, department=department
                )
            values = kpis.compute(
                facts,
                today=today,
                formula=self.ctx.formula,  # type: ignore[arg-type]
                rating_window_days=self.ctx.rating_window_days,
            )
            for name, value in values.items():
                if value is not None:
                    self.metrics.kpi.labels(name, department).set(value)

    # --- zero-reports -----------------------------------------------------------------------

    async def _zero_reports(self, result: TickResult) -> None:
        """After the configured hour, one alert per unit that has not reported today."""
        local = self.ctx.clock.now().astimezone(CHINA_TZ)
        if local.hour < self.ctx.early.report_hour:
            if self.metrics is not None:
                self.metrics.zero_reports_missing.set(0)
            return
        today = local.date()
        async with self.db.reading() as session:
            done = set(
                (
                    await session.exec(select(ZeroReport.unit_code).where(ZeroReport.day == today))
                ).all()
            )
        missing = [u for u in self.ctx.early.units if u not in done]
        if self.metrics is not None:
            self.metrics.zero_reports_missing.set(len(missing))
        for unit in missing:
            try:
                async with self.db.transaction() as session:
                    raised = await raise_alert(
                        session,
                        key=f"zero_report:{unit}:{today}",
                        kind="zero_report",
                        ctx=self.ctx,
                        summary=f"{unit}截至{self.ctx.early.report_hour}时未报送"
                        f"{today}零报告 ({unit} has not filed today's zero-report)",
                    )
            except IntegrityError:  # another instance raised it first
                continue
            result.extra["zero_report"] = result.extra.get("zero_report", 0) + bool(raised)

    # --- calendar ---------------------------------------------------------------------------

    async def check_calendar(self, result: TickResult | None = None) -> int:
        """Load years that appeared in `calendar_dir` and recount provisional deadlines."""
        if not calendars.years_in(self.ctx.calendar_dir) - set(self.ctx.calendar.notices):
            return 0
        self.ctx.reload_calendar()
        return await self.recount_provisional(result)

    async def recount_provisional(self, result: TickResult | None = None) -> int:
        """Recount running provisional deadlines whose years are now known."""
        done = 0
        async with self.db.reading() as session:
            rows = await repository.provisional_deadlines(session, limit=100_000)
        async with self.db.transaction() as session:
            for row in rows:
                if await self._recount_one(session, row):
                    done += 1
        if result is not None:
            result.recounted += done
        return done

    async def _recount_one(self, session: AsyncSession, row: Deadline) -> bool:
        """Recount one deadline if the calendar now changes it; claimed, so announced once."""
        due = domain.schedule(
            DeadlineKind(row.kind),
            starts_on=row.starts_on,
            profile=domain.PROFILES[row.profile],
            calendar=self.ctx.calendar,
            paused_days=row.paused_days,
            extension_days=row.extension_days,
        )
        if due.provisional and due.due_on == row.due_on:
            return False  # its year is still unknown
        if not await repository.claim(session, row, {"provisional": due.provisional}):
            return False
        fresh = await session.get(Deadline, row.id)
        assert fresh is not None
        await session.refresh(fresh)
        await recount(session, fresh, self.ctx)
        return True

    # --- deadlines --------------------------------------------------------------------------

    async def _deadlines_round(self, today: date, result: TickResult) -> bool:
        """Take a batch of due timers in one statement, fire them, write them back in bulk."""
        async with self.db.transaction() as session:
            rows = await repository.due_deadlines(session, today=today, limit=self.batch)
            if not rows:
                return False
            expired = {row.case_no for row in rows if today > row.due_on}
            await Store.of(session).load_cases(expired)
            changes = await self.timers.fire(session, rows, today, result)
            await repository.write_back(session, changes)
        return len(rows) == self.batch

    async def _orders_round(self, today: date, result: TickResult) -> bool:
        async with self.db.reading() as session:
            rows = await repository.orders_to_escalate(session, today=today, limit=self.batch)
        if not rows:
            return False
        async with self.db.transaction() as session:
            for order in rows:
                values = escalation_values(order, ctx=self.ctx, today=today)
                if values is None:
                    values = {"next_escalate_on": None}
                if not await repository.claim(session, order, values):
                    result.skipped += 1
                    continue
                if "step_name" in values:
                    await announce_escalation(session, order, values["step_name"], self.ctx)
                    result.escalated += 1
        return len(rows) == self.batch
