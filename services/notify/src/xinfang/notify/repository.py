"""Notify's queries. Never commits: the caller's unit of work does."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import ColumnElement, RowMapping, and_, func, or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from xinfang.notify.models import CaseRecord, DeliveryAttempt, Notice, NoticeCase, NoticeRecord
from xinfang.notify.rows import CASE, NOTICE


async def get_case(session: AsyncSession, *, case_no: str) -> NoticeCase | None:
    return await session.get(NoticeCase, case_no)


async def get_notice(
    session: AsyncSession, *, notice_id: str, for_update: bool = False
) -> Notice | None:
    return await session.get(Notice, notice_id, with_for_update=for_update)


# The hot paths' queries are built once: building a statement costs about as much as running it.
_NOTICES = sa.select(NOTICE).where(NOTICE.c.id.in_(sa.bindparam("ids", expanding=True)))
_PENDING_NOTICES = _NOTICES.where(NOTICE.c.status == "pending").with_for_update()
_CASES = sa.select(CASE).where(CASE.c.case_no.in_(sa.bindparam("case_nos", expanding=True)))
_CASE_AND_KEYS = (
    sa.select(CASE, NOTICE.c.notice_type, NOTICE.c.recipient_hash, NOTICE.c.step)
    .select_from(CASE.outerjoin(NOTICE, NOTICE.c.case_no == CASE.c.case_no))
    .where(CASE.c.case_no == sa.bindparam("case_no"))
)
_KEYS = sa.select(NOTICE.c.notice_type, NOTICE.c.recipient_hash, NOTICE.c.step).where(
    NOTICE.c.case_no == sa.bindparam("case_no")
)
_CASE_COLUMNS = tuple(column.name for column in CASE.columns)


async def notices_by_id(
    session: AsyncSession, *, notice_ids: Sequence[str], pending: bool = False
) -> dict[str, NoticeRecord]:
    """These notices by id (with `pending`, only those still pending, locked for update)."""
    query = _PENDING_NOTICES if pending else _NOTICES
    rows = await _rows(session, query, ids=list(notice_ids))
    return {row["id"]: NoticeRecord(**row) for row in rows}


async def cases_by_no(session: AsyncSession, *, case_nos: Collection[str]) -> dict[str, CaseRecord]:
    """These cases by number."""
    if not case_nos:
        return {}
    rows = await _rows(session, _CASES, case_nos=sorted(case_nos))
    return {row["case_no"]: CaseRecord(**row) for row in rows}


async def case_and_notice_keys(
    session: AsyncSession, *, case_no: str
) -> tuple[CaseRecord, set[tuple[str, str, str]]] | None:
    """The case and the (notice type, recipient hash, step) of each of its notices, in one
    query; None if there is no such case."""
    rows = await _rows(session, _CASE_AND_KEYS, case_no=case_no)
    if not rows:
        return None
    case = CaseRecord(**{name: rows[0][name] for name in _CASE_COLUMNS})
    keys = {(r["notice_type"], r["recipient_hash"], r["step"]) for r in rows if r["step"]}
    return case, keys


async def notice_keys(session: AsyncSession, *, case_no: str) -> set[tuple[str, str, str]]:
    """(notice type, recipient hash, step) of every notice the case has."""
    rows = await _rows(session, _KEYS, case_no=case_no)
    return {(r["notice_type"], r["recipient_hash"], r["step"]) for r in rows}


async def _rows(session: AsyncSession, query: sa.Select[Any], **params: Any) -> list[RowMapping]:
    """A core query's rows, as mappings from column name to value."""
    result = await session.exec(query, params=params)  # type: ignore[call-overload]
    return list(result.mappings())


async def find_notice(
    session: AsyncSession, *, case_no: str, notice_type: str, recipient_hash: str, step: str
) -> Notice | None:
    """The notice with this unique key, if one was already made."""
    query = select(Notice).where(
        Notice.case_no == case_no,
        Notice.notice_type == notice_type,
        Notice.recipient_hash == recipient_hash,
        Notice.step == step,
    )
    return (await session.exec(query)).first()


async def notices_of_case(session: AsyncSession, *, case_no: str) -> list[Notice]:
    query = (
        select(Notice)
        .where(Notice.case_no == case_no)
        .order_by(col(Notice.created_at), col(Notice.id))
    )
    return list((await session.exec(query)).all())


def _due(now: datetime, paused: Sequence[str] = ()) -> ColumnElement[bool]:
    free = or_(col(Notice.locked_until).is_(None), col(Notice.locked_until) < now)
    due = and_(Notice.status == "pending", col(Notice.next_attempt_at) <= now, free)
    return and_(due, col(Notice.channel).not_in(list(paused))) if paused else due


async def any_due(session: AsyncSession, *, now: datetime, paused: Sequence[str] = ()) -> bool:
    """Whether a notice is due and free: a read that spares the write lock when none is."""
    query = select(col(Notice.id)).where(_due(now, paused)).limit(1)
    return (await session.exec(query)).first() is not None


async def claim_due(
    session: AsyncSession,
    *,
    now: datetime,
    until: datetime,
    limit: int,
    paused: Sequence[str] = (),
) -> list[str]:
    """Lease up to `limit` due notices until `until`; returns the ids this caller got.

    The lease is re-checked by the UPDATE itself, so of two instances racing for a notice only
    one gets it (PostgreSQL re-evaluates the condition on the locked row; SQLite has one writer).
    """
    due = (
        select(col(Notice.id))
        .where(_due(now, paused))
        .order_by(col(Notice.next_attempt_at))
        .limit(limit)
    )
    claim = (
        update(Notice)
        .where(col(Notice.id).in_(due), _due(now, paused))
        .values(locked_until=until)
        .returning(col(Notice.id))
        .execution_options(synchronize_session=False)
    )
    return list((await session.exec(claim)).scalars().all())


async def count_pending(session: AsyncSession) -> int:
    query = select(func.count()).select_from(Notice).where(Notice.status == "pending")
    return (await session.exec(query)).one()


async def count_failed(session: AsyncSession) -> int:
    query = select(func.count()).select_from(Notice).where(Notice.status == "failed")
    return (await session.exec(query)).one()


async def count_unprinted(session: AsyncSession) -> int:
    query = (
        select(func.count())
        .select_from(Notice)
        .where(
            Notice.channel == "letter",
            Notice.status == "delivered",
            col(Notice.printed_at).is_(None),
        )
    )
    return (await session.exec(query)).one()


async def oldest_pending(session: AsyncSession) -> datetime | None:
    """When the longest-waiting pending notice was made."""
    query = select(func.min(col(Notice.created_at))).where(Notice.status == "pending")
    return (await session.exec(query)).one()


async def attempts_of(
    session: AsyncSession, *, notice_ids: Sequence[str]
) -> dict[str, list[DeliveryAttempt]]:
    """The delivery history of each notice, oldest try first."""
    query = (
        select(DeliveryAttempt)
        .where(col(DeliveryAttempt.notice_id).in_(list(notice_ids)))
        .order_by(col(DeliveryAttempt.id))
    )
    history: dict[str, list[DeliveryAttempt]] = {notice_id: [] for notice_id in notice_ids}
    for attempt in (await session.exec(query)).all():
        history[attempt.notice_id].append(attempt)
    return history


async def dead_letters(session: AsyncSession, *, limit: int) -> list[Notice]:
    """Notices given up on, newest first."""
    query = (
        select(Notice)
        .where(Notice.status == "failed")
        .order_by(col(Notice.failed_at).desc())
        .limit(limit)
    )
    return list((await session.exec(query)).all())


async def print_queue(session: AsyncSession, *, printed: bool, limit: int) -> list[Notice]:
    """Stored letters, waiting for the mailing clerk (or, with `printed`, already printed)."""
    done = col(Notice.printed_at).is_not(None) if printed else col(Notice.printed_at).is_(None)
    query = (
        select(Notice)
        .where(Notice.channel == "letter", Notice.status == "delivered", done)
        .order_by(col(Notice.delivered_at))
        .limit(limit)
    )
    return list((await session.exec(query)).all())
