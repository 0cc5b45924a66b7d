"""Intake on a real nats-server and a real database."""

import secrets
from datetime import UTC, datetime, timedelta

import httpx
import nats
import pytest

from xinfang.common.clock import ManualClock
from xinfang.common.testing.builders import eventually
from xinfang.intake.main import create_app
from xinfang.intake.settings import IntakeSettings


async def _ready(client) -> bool:
    return (await client.get("/readyz")).status_code == 200


@pytest.fixture
async def running(database_url, nats_url, tmp_path):
    settings = IntakeSettings(
        database_url=database_url,
        nats_url=nats_url,
        environment="test",
        attachments_dir=tmp_path / "attachments",
    )
    # A day of its own per test: the session's NATS server (and the durable consumer) is shared,
    # so a case number must never recur from one test to the next.
    day = datetime(2030, 1, 1, 2, tzinfo=UTC) + timedelta(days=secrets.randbelow(20_000))
    app = create_app(settings, clock=ManualClock(day))
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://intake") as client,
    ):
        await eventually(lambda: _ready(client), within=15)
        nc = await nats.connect(nats_url)
        yield app, client, nc
        await nc.close()
