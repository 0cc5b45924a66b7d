"""The databases a run of the whole system uses (an e2e test's, `make bench`): SQLite files,
or PostgreSQL databases of its own on a server, dropped afterwards."""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PG_URL_ENV = "XINFANG_TEST_PG_URL"
LOCAL_PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
SERVICES = ("intake", "routing", "supervision", "notify")


def postgres_server() -> str | None:
    """The PostgreSQL server to use: $XINFANG_TEST_PG_URL, else 127.0.0.1:5432 if it answers."""
    if os.environ.get(PG_URL_ENV):
        return os.environ[PG_URL_ENV]
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=5):
            return LOCAL_PG_URL
    except OSError:
        return None


class Databases:
    """Names a database per purpose (a service, the replay, the tick); `url(purpose)`."""

    def __init__(self, kind: str, root: Path, server: str | None = None) -> None:
        self.kind, self.root, self.server = kind, root, server
        self.prefix = f"xinfang_run_{secrets.token_hex(4)}"
        self.created: list[str] = []

    def url(self, purpose: str) -> str:
        if self.kind == "sqlite":
            return f"sqlite+aiosqlite:///{self.root / f'{purpose}.db'}"
        assert self.server is not None
        return f"{self.server.rsplit('/', 1)[0]}/{self.prefix}_{purpose}"

    def service_env(self) -> dict[str, dict[str, str]]:
        """The harness's per-service settings that point each service at its database."""
        if self.kind == "sqlite":
            return {}  # the harness's own SQLite files
        return {s: {f"XINFANG_{s.upper()}_DATABASE_URL": self.url(s)} for s in SERVICES}

    @contextmanager
    def created_for(self, purposes: list[str]) -> Iterator[Databases]:
        """On PostgreSQL, create a database per purpose and drop them all afterwards."""
        if self.kind == "sqlite":
            self.root.mkdir(parents=True, exist_ok=True)
            yield self
            return
        try:
            for purpose in purposes:
                name = f"{self.prefix}_{purpose}"
                asyncio.run(self._execute(f'CREATE DATABASE "{name}"'))
                self.created.append(name)
            yield self
        finally:
            for name in self.created:
                asyncio.run(self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    async def _execute(self, statement: str) -> None:
        import asyncpg

        assert self.server is not None
        connection = await asyncpg.connect(self.server.replace("+asyncpg", ""))
        try:
            await connection.execute(statement)
        finally:
            await connection.close()
