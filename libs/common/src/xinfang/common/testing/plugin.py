"""pytest plugin of the xinfang packages: a real nats-server, a database per test and a real SMTP
server. Loaded by `addopts = -p xinfang.common.testing.plugin`; aiosmtpd and asyncpg are imported
only by the fixtures that need them."""

from __future__ import annotations

import asyncio
import os
import secrets
import threading
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default as default_policy
from pathlib import Path
from typing import Any, TypeVar, cast

import pytest

from xinfang.common.testing.nats_server import NatsServer, free_port

PG_URL_ENV = "XINFANG_TEST_PG_URL"

# The shared migration tests assert in a library module: show their values like a test's own.
pytest.register_assert_rewrite("xinfang.common.testing.migrations")

T = TypeVar("T")


def _database_backends() -> list[Any]:
    backends = [pytest.param("sqlite", id="sqlite")]
    if os.environ.get(PG_URL_ENV):
        backends.append(pytest.param("postgresql", id="postgresql", marks=pytest.mark.pg))
    return backends


@pytest.fixture(scope="session")
def nats_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NatsServer]:
    """A nats-server with JetStream for the whole session, on free ports and a temporary store."""
    server = NatsServer(tmp_path_factory.mktemp("nats"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def nats_url(nats_server: NatsServer) -> str:
    """URL of the session's nats-server, restarted first if an earlier test killed it."""
    if not nats_server.running:
        nats_server.restart()
    return nats_server.url


@pytest.fixture(params=_database_backends())
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """SQLAlchemy async URL of an empty database: a SQLite file, and a fresh PostgreSQL database
    when XINFANG_TEST_PG_URL names a server."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
        return
    yield from _postgresql_database(os.environ[PG_URL_ENV])


def _postgresql_database(admin_url: str) -> Iterator[str]:
    from sqlalchemy.engine import make_url

    admin = make_url(admin_url)
    # asyncpg speaks plain postgresql:// and knows nothing of SQLAlchemy's +driver suffix.
    admin_dsn = admin.set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"xinfang_test_{secrets.token_hex(6)}"
    _run(_execute(admin_dsn, f'CREATE DATABASE "{name}"'))
    try:
        test_url = admin.set(drivername="postgresql+asyncpg", database=name)
        yield test_url.render_as_string(hide_password=False)
    finally:
        _run(_execute(admin_dsn, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _execute(dsn: str, statement: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    # A thread of its own, so this works whether or not the caller has an event loop running.
    result: list[T] = []
    errors: list[BaseException] = []

    def target() -> None:
        try:
            result.append(asyncio.run(coroutine))
        except BaseException as error:
            errors.append(error)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]
    return result[0]


@dataclass
class ReceivedMail:
    """One message as the SMTP server received it."""

    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage

    @property
    def subject(self) -> str:
        """Decoded Subject header."""
        return str(self.message["Subject"] or "")

    @property
    def text(self) -> str:
        """Decoded text/plain body, or an empty string if there is none."""
        body = self.message.get_body(preferencelist=("plain",))
        return cast(str, body.get_content()) if body is not None else ""


@dataclass
class SmtpServer:
    """A running SMTP server and the messages it has received so far."""

    host: str
    port: int
    messages: list[ReceivedMail] = field(default_factory=list)
    _controller: Any = field(default=None, repr=False)

    def start(self) -> None:
        """Listen (again) on the same port."""
        from aiosmtpd.controller import Controller

        self._controller = Controller(
            _Collector(self.messages),
            hostname=self.host,
            port=self.port,
            server_hostname="localhost",
            enable_SMTPUTF8=True,
            decode_data=False,
        )
        self._controller.start()

    def stop(self) -> None:
        """A mail server outage; start() resumes on the same port."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


class _Collector:
    """aiosmtpd handler that keeps each message, parsed."""

    def __init__(self, messages: list[ReceivedMail]) -> None:
        self.messages = messages

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = BytesParser(policy=default_policy).parsebytes(envelope.content)
        mail = ReceivedMail(
            mail_from=envelope.mail_from,
            rcpt_tos=list(envelope.rcpt_tos),
            message=cast(EmailMessage, message),
        )
        self.messages.append(mail)
        return "250 OK"


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 and a free port; accepts SMTPUTF8 and 8-bit."""
    server = SmtpServer(host="127.0.0.1", port=free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def browser() -> Any:
    """A headless Chromium (Playwright); see xinfang.common.testing.live."""
    from xinfang.common.testing.live import chromium

    async with chromium() as browser:
        yield browser


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """The fuzzing profiles exist before Hypothesis reads `--hypothesis-profile`; without one,
    the short deterministic profile of `make test` applies."""
    from hypothesis import settings

    from xinfang.common.testing.fuzz import CI_PROFILE

    settings.load_profile(CI_PROFILE)
