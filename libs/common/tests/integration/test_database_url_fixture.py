"""The database_url fixture hands each test an empty database of its own."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine


async def test_each_test_gets_an_empty_writable_database(database_url: str) -> None:
    engine = create_async_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text("CREATE TABLE probe (case_no VARCHAR(32))"))
            await connection.execute(text("INSERT INTO probe VALUES ('XF-1')"))
        async with engine.connect() as connection:
            rows = (await connection.execute(text("SELECT case_no FROM probe"))).all()
    finally:
        await engine.dispose()
    assert [row.case_no for row in rows] == ["XF-1"]
