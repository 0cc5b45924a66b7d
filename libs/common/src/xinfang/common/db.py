"""Async database engine and unit of work, for SQLite (WAL) and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, nullcontext
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, text
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
from sqlalchemy.types import TypeDecorator
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from xinfang.common import sqlite

# pg_advisory_xact_lock key serialising schema changes between instances ("xinfang" as an int).
SCHEMA_LOCK = 0x78696E66616E67


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware datetimes on every backend (SQLite keeps naive UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def after_commit(session: AsyncSession, callback: Callable[[], None]) -> None:
    """Run `callback` once the caller's unit of work commits; never if it rolls back."""
    callbacks = session.info.setdefault("after_commit", [])
    if callback not in callbacks:
        callbacks.append(callback)


def before_commit(session: AsyncSession, step: Callable[[AsyncSession], Awaitable[None]]) -> None:
    """Run `step(session)` once, just before the caller's unit of work commits (bulk writes
    gathered during the transaction)."""
    steps = session.info.setdefault("before_commit", [])
    if step not in steps:
        steps.append(step)


class Database:
    """One service's database: an engine, sessions, and `transaction()` as the unit of work."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        kwargs: dict[str, Any] = {"echo": echo}
        if not self.is_sqlite:
            kwargs |= {"pool_size": 10, "max_overflow": 10, "pool_pre_ping": True}
        else:
            kwargs["connect_args"] = {"async_creator_fn": sqlite.connect}
        self.engine = create_async_engine(url, **kwargs)
        if self.is_sqlite:
            sqlite.prepare(self.engine, url)
        self._sessions = async_sessionmaker(
            self.engine, class_=AsyncSession, expire_on_commit=False
        )
        # SQLite has one writer at a time; queueing writers here avoids busy-lock upgrades.
        self._write_lock = asyncio.Lock() if self.is_sqlite else None
        self.outbox_signal = asyncio.Event()

    async def create_all(self, metadata: Any = SQLModel.metadata) -> None:
        """Create the tables of `metadata` that are missing (tests and benchmarks; a service
        migrates its database instead, `xinfang.common.migrations`).

        On PostgreSQL, instances starting together on a fresh database would race (both see a
        table missing; the second CREATE fails): a transaction-scoped advisory lock makes them
        take turns, and the later one finds the tables there.
        """
        async with self.engine.begin() as conn:
            if not self.is_sqlite:
                await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SCHEMA_LOCK})
            await conn.run_sync(metadata.create_all)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """The unit of work: commit on success, roll back on error; wakes the relay if it wrote
        outbox events. On SQLite it holds the write lock from its start (BEGIN IMMEDIATE), so
        none of its statements waits for another writer midway (`xinfang.common.sqlite`)."""
        async with self._write_lock or nullcontext(), self._sessions() as session:
            try:
                if self.is_sqlite:
                    connection = await session.connection()
                    await connection.exec_driver_sql("BEGIN IMMEDIATE")
                yield session
                for step in session.info.pop("before_commit", []):
                    await step(session)
                await session.commit()
            except BaseException:
                await session.rollback()
                raise
        if session.info.pop("outbox_written", False):
            self.outbox_signal.set()
        for callback in session.info.pop("after_commit", []):
            callback()

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncSession]:
        """A session for queries only."""
        async with self._sessions() as session:
            yield session

    async def ping(self) -> bool:
        """True when the database answers."""
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            return True
        except Exception:
            return False

    async def dispose(self) -> None:
        await self.engine.dispose()
