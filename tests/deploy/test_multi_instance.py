"""Several instances of a service on one PostgreSQL database, as compose.cluster.yml and the
Kubernetes Deployments run them: they must be able to start at the same moment."""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import Iterator

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table

from xinfang.common.db import Database

PG_ADMIN = os.environ.get(
    "XINFANG_TEST_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)
INSTANCES = 4


async def _admin(statement: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(PG_ADMIN.replace("+asyncpg", "", 1), timeout=5)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@pytest.fixture
def fresh_database() -> Iterator[str]:
    try:
        asyncio.run(_admin("SELECT 1"))
    except Exception as error:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip(f"no PostgreSQL at {PG_ADMIN}: {error!r}")
    name = f"xinfang_instances_{secrets.token_hex(4)}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{PG_ADMIN.rsplit('/', 1)[0]}/{name}"
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def tables() -> MetaData:
    metadata = MetaData()
    for n in range(12):
        Table(f"t{n}", metadata, Column("id", Integer, primary_key=True), Column("v", String(20)))
    return metadata


async def test_instances_starting_together_on_a_fresh_database_all_create_their_tables(
    fresh_database: str,
) -> None:
    databases = [Database(fresh_database) for _ in range(INSTANCES)]
    metadata = tables()
    try:
        results = await asyncio.gather(
            *(db.create_all(metadata) for db in databases), return_exceptions=True
        )
    finally:
        for db in databases:
            await db.engine.dispose()
    assert [r for r in results if isinstance(r, BaseException)] == []
