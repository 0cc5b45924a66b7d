"""Shared fixtures of supervision's tests: an app on a real database with messaging off, a manual
clock to move, and a `World` that applies events through the handler table and reads the outbox."""

from __future__ import annotations

import json
import secrets
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlmodel import col, select

from xinfang.common.auth import Role, issue_token
from xinfang.common.clock import CHINA_TZ, ManualClock
from xinfang.common.events import Event, new_envelope
from xinfang.common.messaging.tables import OutboxEvent
from xinfang.supervision import handlers
from xinfang.supervision.bootstrap import Supervision
from xinfang.supervision.main import create_app
from xinfang.supervision.scheduler import TickResult
from xinfang.supervision.settings import SupervisionSettings

START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 09:00 on Monday 2 March in China


class World:
    """One supervision app, its manual clock, and ways to drive and observe it."""

    def __init__(self, app: FastAPI, clock: ManualClock) -> None:
        self.app, self.clock = app, clock
        self.sv: Supervision = app.state.supervision
        self.table = handlers.event_handlers(ctx=self.sv.ctx)

    def case_no(self) -> str:
        return f"XF20260302{secrets.randbelow(10**6):06d}"

    async def apply(self, event: Event) -> None:
        """Apply an event as the consumer would: its handler inside one unit of work."""
        envelope = new_envelope(event, source="/test", time=self.clock.now())
        async with self.sv.db.transaction() as session:
            await self.table[envelope.type](session, event, envelope)

    async def apply_together(self, *events: Event) -> None:
        """Apply events in one unit of work, as the consumer runner applies a fetched batch."""
        async with self.sv.db.transaction() as session:
            for event in events:
                envelope = new_envelope(event, source="/test", time=self.clock.now())
                await self.table[envelope.type](session, event, envelope)

    def on(self, year: int, month: int, day: int, hour: int = 9) -> None:
        """Move the clock to `hour` o'clock China time on that day."""
        self.clock.set(datetime(year, month, day, hour, tzinfo=CHINA_TZ).astimezone(UTC))

    def later(self, days: int) -> None:
        self.clock.advance(timedelta(days=days))

    async def tick(self) -> TickResult:
        return await self.sv.scheduler.tick()

    async def emitted(self, case_no: str | None, type_: str) -> list[dict[str, Any]]:
        """The `data` of every outbox event of `type_` (about `case_no`, unless None)."""
        async with self.sv.db.reading() as session:
            query = select(OutboxEvent).where(OutboxEvent.type == type_)
            if case_no is not None:
                query = query.where(OutboxEvent.case_no == case_no)
            rows = (await session.exec(query.order_by(col(OutboxEvent.seq)))).all()
        return [json.loads(r.payload)["data"] for r in rows]

    def auth_supervisor(self) -> dict[str, str]:
        return self.auth(Role.SUPERVISOR)

    def auth_handler(self, department: str) -> dict[str, str]:
        return self.auth(Role.HANDLER, department=department)

    def auth(self, *roles: Role, department: str | None = None) -> dict[str, str]:
        token = issue_token(
            secret=self.sv.settings.jwt_secret,
            sub="tester",
            roles=list(roles),
            now=datetime.now(UTC),  # wall time: verify_token checks expiry against it
            department=department,
        )
        return {"Authorization": f"Bearer {token}"}


def settings_for(database_url: str, **overrides: Any) -> SupervisionSettings:
    fields: dict[str, Any] = {
        "database_url": database_url,
        "environment": "test",
        "start_background": False,
    }
    return SupervisionSettings(**(fields | overrides))


@pytest.fixture
def calendar_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "calendars"
    directory.mkdir()
    return directory


@pytest.fixture
async def world(database_url: str, calendar_dir: Path) -> AsyncIterator[World]:
    clock = ManualClock(START)
    app = create_app(settings_for(database_url, calendar_dir=calendar_dir), clock=clock)
    async with app.router.lifespan_context(app):
        yield World(app, clock)


@pytest.fixture
async def api(world: World) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=world.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        yield client


@pytest.fixture
async def second_world(world: World, database_url: str, calendar_dir: Path) -> AsyncIterator[World]:
    """A second supervision instance on the same database, with its own clock."""
    clock = ManualClock(START)
    settings = settings_for(database_url, calendar_dir=calendar_dir, instance_id="2")
    app = create_app(settings, clock=clock)
    async with app.router.lifespan_context(app):
        yield World(app, clock)


@pytest.fixture
async def world_with(database_url: str, calendar_dir: Path) -> AsyncIterator[Any]:
    """`await world_with(**settings)`: a world whose settings differ from the default."""
    from contextlib import AsyncExitStack

    async with AsyncExitStack() as stack:

        async def make(**overrides: Any) -> World:
            clock = ManualClock(START)
            settings = settings_for(database_url, calendar_dir=calendar_dir, **overrides)
            app = create_app(settings, clock=clock)
            await stack.enter_async_context(app.router.lifespan_context(app))
            return World(app, clock)

        yield make


@pytest.fixture
async def served(database_url: str, calendar_dir: Path) -> AsyncIterator[tuple[World, str]]:
    """A world whose app listens on a real port (uvicorn), for browser tests."""
    from xinfang.common.testing.live import serving

    clock = ManualClock(START)
    app = create_app(settings_for(database_url, calendar_dir=calendar_dir), clock=clock)
    async with serving(app) as base_url:
        yield World(app, clock), base_url
