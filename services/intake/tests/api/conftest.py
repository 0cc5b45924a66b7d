"""An intake app per test on its own database, without NATS (events stay in the outbox)."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
from sqlmodel import func, select

from xinfang.common.auth import Role, issue_token
from xinfang.common.clock import ManualClock
from xinfang.common.messaging.tables import OutboxEvent
from xinfang.intake.main import create_app
from xinfang.intake.models import Petition, Petitioner
from xinfang.intake.settings import IntakeSettings


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def settings(database_url: str, tmp_path) -> IntakeSettings:
    return IntakeSettings(
        database_url=database_url,
        environment="test",
        start_background=False,
        attachments_dir=tmp_path / "attachments",
    )


@pytest.fixture
async def app(settings, clock):
    app = create_app(settings, clock=clock)
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def client(app) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://intake") as client:
        yield client


@pytest.fixture
def bearer(app):
    """`bearer(Role.CLERK)` → an Authorization header (tokens expire by the real time)."""

    def make(*roles: Role, sub: str = "clerk-7") -> dict[str, str]:
        now = datetime.now(UTC)
        token = issue_token(secret=app.state.jwt_secret, sub=sub, roles=list(roles), now=now)
        return {"Authorization": f"Bearer {token}"}

    return make


async def stored_counts(app) -> tuple[int, int, int]:
    async with app.state.intake.db.reading() as session:
        counts = []
        for table in (Petition, Petitioner, OutboxEvent):
            counts.append((await session.exec(select(func.count()).select_from(table))).one())
    return tuple(counts)


@pytest.fixture
def counts(app):
    return lambda: stored_counts(app)


async def outbox(app) -> list[OutboxEvent]:
    async with app.state.intake.db.reading() as session:
        return list((await session.exec(select(OutboxEvent).order_by(OutboxEvent.seq))).all())


@pytest.fixture
def events(app):
    """The events written to the outbox so far, as (type, data) pairs."""
    import json

    async def read():
        return [(r.type, json.loads(r.payload)["data"]) for r in await outbox(app)]

    return read
