"""A database that is restarting or unreachable answers 503 with Retry-After in the one error
shape (found by `make chaos`: a PostgreSQL restart made every request a bare 500 with a
traceback); a real SQL error stays a 500."""

from __future__ import annotations

from pathlib import Path

import httpx
from fastapi import FastAPI
from sqlalchemy import text

from xinfang.common.db import Database
from xinfang.common.errors import install_error_handlers
from xinfang.common.testing.nats_server import free_port


def an_app(db: Database) -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/count")
    async def count() -> int:
        async with db.reading() as session:
            return int((await session.exec(text("SELECT count(*) FROM petition"))).one()[0])  # type: ignore[call-overload]

    return app


async def get(app: FastAPI, path: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.get(path)


async def test_a_postgresql_nobody_listens_on_answers_503_with_retry_after() -> None:
    db = Database(f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/xinfang")
    try:
        response = await get(an_app(db), "/count")
    finally:
        await db.dispose()
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    [error] = response.json()["errors"]
    assert error["code"] == "database_unavailable"
    assert error["message"]["zh"] and error["message"]["en"]


async def test_a_missing_table_is_a_bug_and_stays_a_500(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}")
    try:
        response = await get(an_app(db), "/count")
    finally:
        await db.dispose()
    assert response.status_code == 500
