# ruff: noqa: E501  (the matrix is a table: one row per route, wider than a line of code)
"""Who may call what in notify: every route × every kind of caller, on a real database with a
real SMTP server. Notices are the bureau's operators' and supervisors' business; letters the
mailing clerk's. Columns: see `xinfang.common.testing.authz`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from xinfang.common.auth import Role
from xinfang.common.clock import ManualClock
from xinfang.common.testing.authz import (
    Call,
    Fresh,
    Who,
    check_matrix,
    check_routes,
    check_tokens,
    readme_table,
)
from xinfang.notify import repository
from xinfang.notify.main import create_app
from xinfang.notify.models import Notice
from xinfang.notify.settings import NotifySettings

README = Path(__file__).parents[4] / "README.md"
NOON_IN_CHINA = datetime(2026, 11, 23, 4, 0, tzinfo=UTC)

MATRIX = """
route                                        | anon | own-code | other-code | clerk | dept-A | dept-B | superv | leader | admin | oper
GET  /openapi.json                           | 200  | 200      | 200        | 200   | 200    | 200    | 200    | 200    | 200   | 200
GET  /docs                                   | 200  | 200      | 200        | 200   | 200    | 200    | 200    | 200    | 200   | 200
GET  /docs/oauth2-redirect                   | 200  | 200      | 200        | 200   | 200    | 200    | 200    | 200    | 200   | 200
GET  /redoc                                  | 200  | 200      | 200        | 200   | 200    | 200    | 200    | 200    | 200   | 200
GET  /                                       | 307  | 307      | 307        | 307   | 307    | 307    | 307    | 307    | 307   | 307
GET  /healthz                                | 200  | 200      | 200        | 200   | 200    | 200    | 200    | 200    | 200   | 200
GET  /readyz                                 | 503  | 503      | 503        | 503   | 503    | 503    | 503    | 503    | 503   | 503
GET  /metrics                                | 200  | 200      | 200        | 200   | 200    | 200    | 200    | 200    | 200   | 200
GET  /api/v1/dead-letters                    | 401  | 403      | 403        | 403   | 403    | 403    | 403    | 403    | 200   | 200
GET  /api/v1/cases/{case_no}/notices         | 401  | 403      | 403        | 403   | 403    | 403    | 200    | 403    | 200   | 200
GET  /api/v1/notices/dead-letters            | 401  | 403      | 403        | 403   | 403    | 403    | 403    | 403    | 200   | 200
POST /api/v1/notices/{notice_id}/resend      | 401  | 403      | 403        | 403   | 403    | 403    | 403    | 403    | 202   | 202
GET  /api/v1/letters                         | 401  | 403      | 403        | 200   | 403    | 403    | 403    | 403    | 200   | 200
GET  /api/v1/letters/{notice_id}.pdf         | 401  | 403      | 403        | 200   | 403    | 403    | 403    | 403    | 200   | 200
POST /api/v1/letters/{notice_id}/printed     | 401  | 403      | 403        | 200   | 403    | 403    | 403    | 403    | 200   | 200
"""


@pytest.fixture
async def app(database_url: str, tmp_path: Path, smtp_server: Any) -> AsyncIterator[FastAPI]:
    settings = NotifySettings(
        database_url=database_url,
        environment="test",
        start_background=False,
        letters_dir=str(tmp_path / "letters"),
        smtp_host=smtp_server.host,
        smtp_port=smtp_server.port,
        fallback_order=["email", "letter"],
    )
    app = create_app(settings, clock=ManualClock(NOON_IN_CHINA))
    async with app.router.lifespan_context(app):
        yield app


class Notices:
    """Cases whose notices went out (by e-mail, as a letter) or failed, through the handlers."""

    def __init__(self, app: FastAPI, petitions: Any) -> None:
        self.notify, self.petitions = app.state.notify, petitions

    async def case(self, person: dict[str, Any], *, dispatch: bool = True) -> str:
        [subscription] = self.notify.runtime.subscriptions
        case_no = str(self.petitions.case_no())
        received = self.petitions.received(case_no, person)
        for event in (received, self.petitions.routed(case_no)):
            async with self.notify.db.transaction() as session:
                handler = subscription.handlers[event.TYPE]
                await handler(session, event, self.petitions.envelope(event))
        if dispatch:
            await self.notify.dispatcher.run_once()
        return case_no

    async def notices(self, case_no: str) -> list[Notice]:
        async with self.notify.db.reading() as session:
            return await repository.notices_of_case(session, case_no=case_no)

    async def letter(self) -> str:
        """A registration letter to a petitioner without an e-mail address or phone."""
        case_no = await self.case(self.petitions.person(email=None, phone=None))
        return next(n.id for n in await self.notices(case_no) if n.channel == "letter")

    async def dead(self) -> str:
        """A notice given up on: its e-mail refused for good (set in the table, so the probe
        does not depend on how the dispatcher retries)."""
        case_no = await self.case(self.petitions.person(phone=None), dispatch=False)
        notice = (await self.notices(case_no))[0]
        async with self.notify.db.transaction() as session:
            notice.status, notice.failed_at = "failed", self.notify.clock.now()
            notice.last_error = "smtp_refused: 550 mailbox unavailable"
            session.add(notice)
        return notice.id


def probes(notices: Notices, letter: str) -> dict[str, Callable[[Who], Awaitable[Call]]]:
    dead = Fresh(notices.dead)

    async def resend(who: Who) -> Call:
        return Call("POST", f"/api/v1/notices/{await dead.get()}/resend", used=dead.used)

    async def printed(who: Who) -> Call:
        return Call("POST", f"/api/v1/letters/{letter}/printed")

    async def pdf(who: Who) -> Call:
        return Call("GET", f"/api/v1/letters/{letter}.pdf")

    return {
        "POST /api/v1/notices/{notice_id}/resend": resend,
        "POST /api/v1/letters/{notice_id}/printed": printed,
        "GET /api/v1/letters/{notice_id}.pdf": pdf,
    }


def test_every_route_of_notify_has_a_row_in_the_matrix(tmp_path: Path) -> None:
    # The app's routes exist once it is built: no database, no lifespan needed.
    url = f"sqlite+aiosqlite:///{tmp_path / 'unused.db'}"
    app = create_app(NotifySettings(database_url=url, environment="test", start_background=False))

    assert check_routes(app, MATRIX) == []


async def test_every_caller_gets_what_the_matrix_says_from_every_route(
    app: FastAPI, petitions: Any, smtp_server: Any
) -> None:
    notices = Notices(app, petitions)
    case_no = await notices.case(petitions.person())
    assert smtp_server.messages, "the e-mail notice went out through the real SMTP server"

    wrong = await check_matrix(
        app,
        MATRIX,
        departments=("320115-ZJJ", "C_EDU"),
        codes=("NOT-A-CODE", "NOT-A-CODE"),
        values={"case_no": case_no},
        probes=probes(notices, await notices.letter()),
    )

    assert wrong == [], "\n".join(wrong)


def test_the_readme_shows_this_matrix() -> None:
    table = readme_table("notify", MATRIX)
    assert table in README.read_text(), table


async def test_expired_tampered_unsigned_and_foreign_tokens_are_refused(app: FastAPI) -> None:
    def header(path: str) -> Callable[[str], Call]:
        return lambda token: Call("GET", path, headers={"Authorization": f"Bearer {token}"})

    calls = {
        "print queue": (header("/api/v1/letters"), 200, 401),
        "dead letters": (header("/api/v1/notices/dead-letters"), 200, 401),
    }

    wrong = await check_tokens(app, calls, roles=[Role.OPERATOR])

    assert wrong == [], "\n".join(wrong)
