"""SQLite statements that cannot wait run on the event loop's thread; those that may wait for a
lock or the disk go through aiosqlite's thread, so the loop never stalls behind another writer."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import event, text

from xinfang.common.db import Database


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'loop.db'}")

    @event.listens_for(database.engine.sync_engine, "connect")
    def _thread_function(dbapi_connection: object, _: object) -> None:
        # thread_id() answers with the thread that runs the statement calling it.
        dbapi_connection.run_async(  # type: ignore[attr-defined]
            lambda raw: raw.create_function("thread_id", 0, threading.get_ident)
        )

    async with database.transaction() as session:
        await session.exec(text("CREATE TABLE seen (thread INTEGER)"))  # type: ignore[call-overload]
    yield database
    await database.dispose()


async def test_reads_run_on_the_event_loops_thread(db: Database) -> None:
    async with db.reading() as session:
        [thread] = (await session.exec(text("SELECT thread_id()"))).one()  # type: ignore[call-overload]

    assert thread == threading.get_ident()


async def test_the_statements_of_a_write_transaction_run_on_the_event_loops_thread(
    db: Database,
) -> None:
    async with db.transaction() as session:
        await session.exec(text("INSERT INTO seen VALUES (thread_id())"))  # type: ignore[call-overload]

    async with db.reading() as session:
        [thread] = (await session.exec(text("SELECT thread FROM seen"))).one()  # type: ignore[call-overload]
    assert thread == threading.get_ident()


async def test_a_failed_transaction_leaves_nothing_and_frees_the_lock_for_the_next(
    db: Database,
) -> None:
    with pytest.raises(RuntimeError):
        async with db.transaction() as session:
            await session.exec(text("INSERT INTO seen VALUES (1)"))  # type: ignore[call-overload]
            raise RuntimeError("the handler failed")

    await asyncio.wait_for(_insert_one(db), timeout=10)

    async with db.reading() as session:
        assert (await session.exec(text("SELECT count(*) FROM seen"))).one()[0] == 1  # type: ignore[call-overload]


async def test_a_write_outside_a_transaction_goes_through_the_connections_thread(
    db: Database,
) -> None:
    async with db.engine.connect() as connection:
        await connection.execute(text("INSERT INTO seen VALUES (thread_id())"))
        await connection.commit()

    async with db.reading() as session:
        [thread] = (await session.exec(text("SELECT thread FROM seen"))).one()  # type: ignore[call-overload]
    assert thread != threading.get_ident()


async def test_a_transaction_waiting_for_another_writer_leaves_the_loop_free(
    db: Database, tmp_path: Path
) -> None:
    other = sqlite3.connect(tmp_path / "loop.db", check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    rescue = threading.Timer(10.0, other.commit)  # frees a loop stuck behind that lock
    rescue.start()
    try:
        writing = asyncio.create_task(_insert_one(db))
        await asyncio.sleep(0.1)
        async with db.reading() as session:
            count = (await session.exec(text("SELECT count(*) FROM seen"))).one()[0]  # type: ignore[call-overload]
        stuck = rescue.finished.is_set()
        rescue.cancel()
        assert not writing.done()
        other.commit()
        await asyncio.wait_for(writing, timeout=10)
    finally:
        rescue.cancel()
        other.close()

    assert not stuck, "the loop waited for the other writer's lock"
    assert count == 0
    async with db.reading() as session:
        assert (await session.exec(text("SELECT count(*) FROM seen"))).one()[0] == 1  # type: ignore[call-overload]


async def _insert_one(db: Database) -> None:
    async with db.transaction() as session:
        await session.exec(text("INSERT INTO seen VALUES (1)"))  # type: ignore[call-overload]
