"""Several instances of a service on one PostgreSQL database, as compose.cluster.yml and the
Kubernetes Deployments run them: they must be able to start (and migrate) at the same moment."""

from __future__ import annotations

import asyncio
import os
import secrets
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table

from xinfang.common.db import SCHEMA_LOCK, Database
from xinfang.common.migrations import heads

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


async def _waiting_for_the_schema_lock(connection: Any) -> int:
    return int(
        await connection.fetchval(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
        )
    )


async def test_two_processes_migrating_a_fresh_database_together_both_succeed(
    fresh_database: str,
) -> None:
    import asyncpg

    # The test holds the schema lock until both `migrate` processes wait for it, so they
    # really run at the same moment; then each takes its turn.
    dsn = fresh_database.replace("+asyncpg", "", 1)
    holder = await asyncpg.connect(dsn)
    await holder.execute("SELECT pg_advisory_lock($1)", SCHEMA_LOCK)
    env = {**os.environ, "XINFANG_INTAKE_DATABASE_URL": fresh_database}
    command = [sys.executable, "-m", "xinfang.intake", "migrate"]
    processes = [
        await asyncio.create_subprocess_exec(*command, env=env, stderr=asyncio.subprocess.PIPE)
        for _ in range(2)
    ]
    try:
        for _ in range(1200):
            if await _waiting_for_the_schema_lock(holder) == 2:
                break
            assert all(p.returncode is None for p in processes), "a migrate process stopped early"
            await asyncio.sleep(0.1)
        else:
            raise AssertionError("the two migrate processes never waited for the schema lock")
        await holder.execute("SELECT pg_advisory_unlock($1)", SCHEMA_LOCK)
        errors = [(await asyncio.wait_for(p.communicate(), 120))[1] for p in processes]
        assert [p.returncode for p in processes] == [0, 0], errors
        versions = await holder.fetch("SELECT version_num FROM alembic_version_intake")
        assert [row[0] for row in versions] == list(heads("intake"))
    finally:
        for process in processes:
            if process.returncode is None:
                process.kill()
        await holder.close()
