"""Rows a transaction writes, gathered in the session and written by one statement per table just
before it commits.

A consumer batch makes the notices, attempts and cases of up to 50 events, and a dispatcher batch
settles `dispatch_batch` notices: an ORM object for each cost more than the rest of the work, and
autoflush wrote them one by one before every query. So a query in the same transaction does not
see the rows gathered here; the handlers keep what they need to know (`session.info`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, insert, update
from sqlmodel.ext.asyncio.session import AsyncSession

from xinfang.common.db import before_commit
from xinfang.notify.models import CaseRecord, DeliveryAttempt, Notice, NoticeCase, NoticeRecord

NOTICE = Notice.__table__  # type: ignore[attr-defined]
CASE = NoticeCase.__table__  # type: ignore[attr-defined]
ATTEMPT = DeliveryAttempt.__table__  # type: ignore[attr-defined]

# What settling a notice may change; the rest of a notice is written once, when it is made.
SETTLED = (
    "status",
    "channel",
    "attempts",
    "round_attempts",
    "next_attempt_at",
    "locked_until",
    "delivered_at",
    "failed_at",
    "last_error",
    "recipient_masked",
)
_SETTLE = update(NOTICE).where(NOTICE.c.id == bindparam("notice_id"))
_NAME_DEPARTMENTS = update(CASE).where(CASE.c.case_no == bindparam("case"))


class Gathered:
    """What one transaction writes: new cases, notices and attempts, notices settled, cases
    whose department names changed. Records may still change until the commit writes them."""

    def __init__(self) -> None:
        self.cases: list[CaseRecord] = []
        self.notices: list[NoticeRecord] = []
        self.settled: dict[str, NoticeRecord] = {}
        self.attempts: list[dict[str, Any]] = []
        self.named: dict[str, CaseRecord] = {}

    async def write(self, session: AsyncSession) -> None:
        """Insert, then update, one statement each (an executemany)."""
        await _insert(session, CASE, [vars(c) for c in self.cases])
        await _insert(session, NOTICE, [vars(n) for n in self.notices])
        await _insert(session, ATTEMPT, self.attempts)
        if self.settled:
            rows = [_settled(n) for n in self.settled.values()]
            await session.exec(_SETTLE, params=rows)  # type: ignore[call-overload]
        if self.named:
            rows = [
                {"case": c.case_no, "department_names": c.department_names}
                for c in self.named.values()
            ]
            await session.exec(_NAME_DEPARTMENTS, params=rows)  # type: ignore[call-overload]


def gathered(session: AsyncSession) -> Gathered:
    """This transaction's gathered rows, written just before it commits."""
    rows = session.info.get("notify_rows")
    if rows is None:
        rows = session.info["notify_rows"] = Gathered()
        before_commit(session, _write)
    assert isinstance(rows, Gathered)
    return rows


def add_case(session: AsyncSession, case: CaseRecord) -> None:
    gathered(session).cases.append(case)


def add_notice(session: AsyncSession, notice: NoticeRecord) -> None:
    gathered(session).notices.append(notice)


def settle(session: AsyncSession, notice: NoticeRecord) -> None:
    """Write the settled fields of a stored notice (`SETTLED`) at commit."""
    gathered(session).settled[notice.id] = notice


def name_departments(session: AsyncSession, case: CaseRecord) -> None:
    """Write a stored case's department names at commit."""
    gathered(session).named[case.case_no] = case


def add_attempt(session: AsyncSession, row: dict[str, Any]) -> None:
    gathered(session).attempts.append(row)


async def _write(session: AsyncSession) -> None:
    rows = session.info.pop("notify_rows", None)
    if rows is not None:
        await rows.write(session)


async def _insert(session: AsyncSession, table: Any, rows: list[dict[str, Any]]) -> None:
    if rows:
        await session.exec(insert(table), params=rows)  # type: ignore[call-overload]


def _settled(notice: NoticeRecord) -> dict[str, Any]:
    return {"notice_id": notice.id, **{name: getattr(notice, name) for name in SETTLED}}
