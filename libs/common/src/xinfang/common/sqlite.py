"""SQLite under asyncio: the connection every service's SQLite engine uses, and its settings.

aiosqlite hands every call to a thread of its own and back: two thread switches and a wake-up of
the event loop per call, and a statement is several calls (cursor, execute, fetch, close). Those
hand-offs cost more than the statements: a consumer's batch spent most of its time in them.
A call only needs the thread when it may wait, for another connection's lock or for the disk:
- a read never waits in WAL mode (readers and the writer do not block each other);
- neither does any statement of a transaction begun with BEGIN IMMEDIATE, which holds the write
  lock from its start (`Database.transaction()` begins every write transaction that way);
- nor does a rollback, which only drops what the transaction wrote to the log;
- BEGIN may wait for the lock: it is tried here without waiting (the lock is free unless another
  process is writing) and otherwise goes to the thread to wait;
- a write outside such a transaction may wait too, and COMMIT writes and syncs the log to disk.
So reads and the statements of an immediate transaction run on the loop's thread, and the rest
goes through aiosqlite's thread as before: the loop never waits for a lock or an fsync.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiosqlite
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

BUSY_TIMEOUT_MS = 30_000
STATEMENT_CALLS = frozenset({"execute", "executemany"})
ENDS_A_TRANSACTION = frozenset({"commit", "rollback", "close"})
CURSOR_CALLS = frozenset({"fetchone", "fetchmany", "fetchall", "close"})
TAKES_THE_WRITE_LOCK = ("BEGIN IMMEDIATE", "BEGIN EXCLUSIVE")
LOCKED = object()  # BEGIN found the write lock taken


class LoopConnection(aiosqlite.Connection):
    """aiosqlite's connection, running on the loop's thread the calls that cannot wait."""

    holds_write_lock = False  # inside a transaction begun with BEGIN IMMEDIATE

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        name, owner = getattr(fn, "__name__", ""), getattr(fn, "__self__", None)
        if not self._running or not self._connection:
            raise ValueError("Connection closed")
        if name in STATEMENT_CALLS and _start(args).startswith("BEGIN"):
            result = self._begin_unless_locked(fn, args, kwargs)
            if result is LOCKED:
                result = await super()._execute(fn, *args, **kwargs)
        elif self._may_wait(name, owner, args):
            result = await super()._execute(fn, *args, **kwargs)
        else:
            result = fn(*args, **kwargs)
        self._follow_transaction(name, owner, args)
        return result

    def _begin_unless_locked(
        self, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        """BEGIN here if the lock is free at once, as it is unless another process is writing
        (this process's writers take turns before they begin); LOCKED when it is not."""
        self._conn.execute("PRAGMA busy_timeout=0")
        try:
            return fn(*args, **kwargs)
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) and "busy" not in str(error):
                raise
            return LOCKED
        finally:
            self._conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")

    def _may_wait(self, name: str, owner: object, args: tuple[Any, ...]) -> bool:
        if name in STATEMENT_CALLS:
            return not (_start(args).startswith("SELECT") or self.holds_write_lock)
        if isinstance(owner, sqlite3.Cursor):
            return name not in CURSOR_CALLS  # fetching rows and closing a cursor take no lock
        # A rollback only drops what the transaction wrote to the log (WAL): it never waits.
        # Commit (the fsync), close and anything else go to the thread.
        return name not in ("cursor", "rollback")

    def _follow_transaction(self, name: str, owner: object, args: tuple[Any, ...]) -> None:
        if name in STATEMENT_CALLS and _start(args).startswith(TAKES_THE_WRITE_LOCK):
            self.holds_write_lock = True
        elif name in ENDS_A_TRANSACTION and isinstance(owner, sqlite3.Connection):
            self.holds_write_lock = False


def _start(args: tuple[Any, ...]) -> str:
    """The start of the statement a call runs, upper case ('' when it is not text)."""
    sql = args[0] if args and isinstance(args[0], str) else ""
    return sql.lstrip()[:15].upper()


def connect(database: str, **kwargs: Any) -> LoopConnection:
    """What SQLAlchemy's aiosqlite dialect calls to open a connection (`async_creator_fn`)."""

    def connector() -> sqlite3.Connection:
        return sqlite3.connect(database, **kwargs)

    connection = LoopConnection(connector, iter_chunk_size=64)
    connection._thread.daemon = True  # as SQLAlchemy does for aiosqlite's own connections
    return connection


def prepare(engine: AsyncEngine, url: str) -> None:
    """Create the file's folder, and set each new connection's pragmas: WAL, full sync (a
    committed transaction survives a power cut), a busy timeout, foreign keys."""
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)

    @event.listens_for(engine.sync_engine, "connect")
    def _pragmas(dbapi_connection: Any, _: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        _use_wal(cursor)
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


def _use_wal(cursor: Any, attempts: int = 100) -> None:
    # Switching a fresh file to WAL needs its exclusive lock, and SQLite fails at once instead of
    # waiting when another connection is switching or writing (instances starting together on
    # a new database): wait a moment and look again; once the file is in WAL nothing is locked.
    for attempt in range(attempts):
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except Exception as error:
            if "locked" not in str(error) or attempt == attempts - 1:
                raise
            time.sleep(0.02)
