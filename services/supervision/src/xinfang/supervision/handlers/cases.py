"""A case's record, status and timeline."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert
from sqlmodel.ext.asyncio.session import AsyncSession

from xinfang.common.db import before_commit
from xinfang.common.events import CaseStatusChanged, PoisonMessage
from xinfang.common.messaging.outbox import add_event
from xinfang.supervision.domain import CaseStatus, ImpossibleTransition, TooEarly, move
from xinfang.supervision.models import TimelineEntry
from xinfang.supervision.store import CaseRow, Store

TIMELINE = TimelineEntry.__table__  # type: ignore[attr-defined]


def note(session: AsyncSession, *, case_no: str, what: str, text: str, at: datetime) -> None:
    """Add a line to the case's timeline; a transaction's lines are inserted together, in order,
    just before it commits."""
    lines = session.info.setdefault("timeline_lines", [])
    lines.append({"case_no": case_no, "what": what[:40], "text": text, "at": at})
    before_commit(session, _insert_lines)


async def _insert_lines(session: AsyncSession) -> None:
    lines = session.info.pop("timeline_lines", [])
    if lines:
        await session.exec(insert(TIMELINE), params=lines)  # type: ignore[call-overload]


async def case_of(session: AsyncSession, case_no: str, *, at: datetime) -> CaseRow:
    """The case's record, created empty when supervision first hears of it."""
    store = Store.of(session)
    return await store.case(case_no) or store.new_case(case_no, at=at)


async def known_case(session: AsyncSession, case_no: str) -> CaseRow:
    """The case's record, which its registration must have created: an event about a case not
    registered here yet came early (instances consume in parallel), so it is retried."""
    case = await Store.of(session).case(case_no)
    if case is None or case.status is None:
        raise TooEarly(f"case {case_no}: not registered here yet")
    return case


def set_status(
    session: AsyncSession, case: CaseRow, target: CaseStatus, *, at: datetime, source: str
) -> bool:
    """Move the case to `target`, announcing it; an impossible move is a poison message, an early
    one (TooEarly) an ordinary error the consumer retries with back-off."""
    current = CaseStatus(case.status) if case.status else None
    try:
        changed = move(current, target)
    except ImpossibleTransition as exc:
        raise PoisonMessage(f"case {case.case_no}: {exc}") from exc
    if not changed:
        return False
    case.status, case.updated_at = target.value, at
    event = CaseStatusChanged(
        case_no=case.case_no, status=target.value, status_zh=target.zh, changed_at=at
    )
    add_event(session, event, source=source, now=at)
    note(session, case_no=case.case_no, what="status", text=f"状态：{target.zh}", at=at)
    return True
