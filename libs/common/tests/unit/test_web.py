import asyncio

import httpx
from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict, Field

from xinfang.common.auth import Role, issue_token
from xinfang.common.clock import SystemClock
from xinfang.common.db import Database
from xinfang.common.messaging.runtime import MessagingRuntime
from xinfang.common.metrics import ServiceMetrics
from xinfang.common.settings import BaseServiceSettings
from xinfang.common.web import build_app


class Thing(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=2)
    count: int


def an_app(tmp_path) -> FastAPI:
    from fastapi import APIRouter

    settings = BaseServiceSettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/t.db",
        max_body_bytes=1000,
        start_background=False,
    )
    db = Database(settings.database_url)
    metrics = ServiceMetrics("t")
    runtime = MessagingRuntime(
        settings=settings, db=db, clock=SystemClock(), metrics=metrics, subscriptions=[]
    )
    router = APIRouter()

    @router.post("/things")
    async def create(thing: Thing) -> Thing:
        return thing

    return build_app(
        title="t",
        description="t",
        settings=settings,
        db=db,
        runtime=runtime,
        metrics=metrics,
        routers=[router],
    )


async def client_for(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


async def test_a_validation_error_names_the_field_and_the_reason_in_both_languages(tmp_path):
    async with await client_for(an_app(tmp_path)) as client:
        response = await client.post("/things", json={"name": "x", "count": "many", "extra": 1})
    assert response.status_code == 422
    errors = {e["field"]: e for e in response.json()["errors"]}
    assert set(errors) == {"name", "count", "extra"}
    assert errors["count"]["message"]["zh"] == "应为整数"
    assert errors["extra"]["code"] == "extra_forbidden"
    assert errors["name"]["message"]["en"]


async def test_a_body_over_the_limit_is_refused_with_413_even_without_content_length(tmp_path):
    async def chunks():
        for _ in range(20):
            yield b"x" * 100

    async with await client_for(an_app(tmp_path)) as client:
        declared = await client.post("/things", content=b"x" * 5000)
        streamed = await client.post("/things", content=chunks())
    assert declared.status_code == 413
    assert streamed.status_code == 413
    assert streamed.json()["errors"][0]["code"] == "payload_too_large"


async def test_operations_routes_answer_and_dead_letters_need_an_operator(tmp_path):
    app = an_app(tmp_path)
    async with app.router.lifespan_context(app), await client_for(app) as client:
        assert (await client.get("/healthz")).json() == {"status": "ok"}
        ready = await client.get("/readyz")
        assert ready.status_code == 503  # messaging was not started
        assert ready.json()["checks"] == {"database": True, "messaging": False}
        assert (await client.get("/api/v1/dead-letters")).status_code == 401
        clerk = issue_token(
            secret=app.state.jwt_secret,
            sub="c",
            roles=[Role.CLERK],
            now=SystemClock().now(),
            audience=[app.state.jwt_audience],
        )
        operator = issue_token(
            secret=app.state.jwt_secret,
            sub="o",
            roles=[Role.OPERATOR],
            now=SystemClock().now(),
            audience=[app.state.jwt_audience],
        )
        forbidden = await client.get(
            "/api/v1/dead-letters", headers={"Authorization": f"Bearer {clerk}"}
        )
        allowed = await client.get(
            "/api/v1/dead-letters", headers={"Authorization": f"Bearer {operator}"}
        )
        assert forbidden.status_code == 403
        assert allowed.status_code == 200
        assert allowed.json() == []
        metrics = (await client.get("/metrics")).text
    assert 'xinfang_t_http_requests_total{method="GET",route="/healthz",status="200"}' in metrics


async def test_readiness_fails_when_a_background_loop_has_died(tmp_path):
    class Broken:
        async def run(self) -> None:
            raise RuntimeError("a bug in a worker")

    app = an_app(tmp_path)
    runtime = app.state.runtime
    runtime.workers = [Broken()]
    await runtime.start()
    for _ in range(50):
        if runtime.dead_tasks:
            break
        await asyncio.sleep(0.01)
    assert runtime.dead_tasks == ["Broken"]
    assert runtime.ready is False
    await runtime.stop()
